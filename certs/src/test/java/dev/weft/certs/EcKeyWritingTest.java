package dev.weft.certs;

import static org.assertj.core.api.Assertions.assertThat;
import static org.junit.jupiter.api.Assumptions.assumeTrue;

import java.math.BigInteger;
import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.Path;
import java.security.KeyFactory;
import java.security.KeyPair;
import java.security.KeyPairGenerator;
import java.security.PrivateKey;
import java.security.PublicKey;
import java.security.Signature;
import java.security.interfaces.ECPrivateKey;
import java.security.spec.ECGenParameterSpec;
import java.security.spec.ECParameterSpec;
import java.security.spec.ECPrivateKeySpec;
import java.time.Instant;
import java.time.temporal.ChronoUnit;
import java.util.ArrayList;
import java.util.Arrays;
import java.util.List;
import java.util.concurrent.TimeUnit;

import org.bouncycastle.asn1.ASN1ObjectIdentifier;
import org.bouncycastle.asn1.pkcs.PrivateKeyInfo;
import org.bouncycastle.asn1.x509.AlgorithmIdentifier;
import org.bouncycastle.asn1.x9.X962Parameters;
import org.bouncycastle.asn1.x9.X9ObjectIdentifiers;
import org.junit.jupiter.api.BeforeAll;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

/**
 * {@link Pem#writePrivateKey(PrivateKey)} writes EC keys whose encoding lacks the public point, as
 * the JDK's do, with the point embedded as OpenSSL and BouncyCastle write it, so a reader pairs
 * them with their certificate without signing; every other key keeps its encoding.
 */
class EcKeyWritingTest {

  /** JDK curve names by the names {@link TestPki} and OpenSSL's text output use. */
  private static final List<String[]> CURVES = List.of(
      new String[] {"P-256", "secp256r1"}, new String[] {"P-384", "secp384r1"}, new String[] {"P-521", "secp521r1"});

  private static TestPki.Issuer issuer;

  @TempDir
  Path dir;

  @BeforeAll
  static void createIssuer() throws Exception {
    Instant now = Instant.now().truncatedTo(ChronoUnit.SECONDS);
    issuer = TestPki.selfSignedCa("ec-writing-ca", true, now.minus(1, ChronoUnit.HOURS), now.plus(1, ChronoUnit.DAYS));
  }

  /** The answer and how many signatures it took. */
  private record Check(boolean matches, long signatures) {}

  private static Check check(PrivateKey privateKey, PublicKey publicKey) {
    long before = Certificates.SIGNATURE_CHECKS.get();
    boolean matches = Certificates.keysMatch(privateKey, publicKey);
    return new Check(matches, Certificates.SIGNATURE_CHECKS.get() - before);
  }

  /** A key pair the JDK generates on {@code curve} (a JDK name such as secp256r1). */
  private static KeyPair jdkKeyPair(String curve) throws Exception {
    KeyPairGenerator generator = KeyPairGenerator.getInstance("EC");
    generator.initialize(new ECGenParameterSpec(curve), TestPki.RANDOM);
    return generator.generateKeyPair();
  }

  private static byte[] der(String pem) {
    return PemFastPathTest.der(pem);
  }

  @Test
  void jdkEcKeysAreWrittenWithTheirPublicPointAndMatchTheirCertificateWithoutSigning() throws Exception {
    for (String[] curve : CURVES) {
      String label = curve[0];
      KeyPair key = jdkKeyPair(curve[1]);
      KeyPair other = jdkKeyPair(curve[1]);
      ECPrivateKey original = (ECPrivateKey) key.getPrivate();
      assertThat(Certificates.embeddedEcPoint(original.getEncoded())).as(label + ": the JDK embeds no point").isNull();

      String pem = Pem.writePrivateKey(original);
      long fallbacks = Pem.BC_FALLBACKS.get();
      ECPrivateKey read = (ECPrivateKey) Pem.readPrivateKey(pem);

      assertThat(Pem.BC_FALLBACKS.get()).as(label + ": read on the JDK-only path").isEqualTo(fallbacks);
      assertThat(read.getEncoded()).as(label).isEqualTo(der(pem));
      assertThat(Certificates.embeddedEcPoint(read.getEncoded())).as(label + ": embedded point")
          .isEqualTo(Certificates.subjectPublicKeyPoint(key.getPublic().getEncoded()));
      assertThat(read.getS()).as(label + ": scalar").isEqualTo(original.getS());
      assertThat(Certificates.sameCurve(read.getParams(), original.getParams())).as(label + ": curve").isTrue();
      assertThat(read.getAlgorithm()).isEqualTo("EC");

      PublicKey certified = TestPki.leaf(issuer, key.getPublic()).getPublicKey();
      PublicKey otherCertified = TestPki.leaf(issuer, other.getPublic()).getPublicKey();
      assertThat(check(read, certified)).as(label + ": own certificate").isEqualTo(new Check(true, 0));
      assertThat(check(read, otherCertified)).as(label + ": another key's certificate").isEqualTo(new Check(false, 0));
      assertThat(check(Pem.readPrivateKey(Pem.writePrivateKey(other.getPrivate())), certified)).as(label)
          .isEqualTo(new Check(false, 0));

      // The scalar survived: what the read key signs, the original public key verifies.
      byte[] message = ("signed with the key read back, " + label).getBytes(StandardCharsets.US_ASCII);
      Signature signer = Signature.getInstance(KeyType.signatureAlgorithmFor(read));
      signer.initSign(read);
      signer.update(message);
      byte[] signature = signer.sign();
      Signature verifier = Signature.getInstance(KeyType.signatureAlgorithmFor(key.getPublic()));
      verifier.initVerify(key.getPublic());
      verifier.update(message);
      assertThat(verifier.verify(signature)).as(label + ": signature verifies with the original public key").isTrue();
    }
  }

  @Test
  void theLayoutIsBouncyCastlesAndOpenSslsSec1WithCurveAndPoint() throws Exception {
    for (String[] curve : List.of(CURVES.get(0), CURVES.get(1))) {
      // The same key as BouncyCastle holds it (its encoding embeds curve and point) and as the JDK
      // holds it (its encoding embeds neither): written by Pem, both give BouncyCastle's bytes.
      KeyPair bc = TestPki.keyPair(curve[0], TestPki.BOUNCY_CASTLE);
      BigInteger scalar = ((ECPrivateKey) bc.getPrivate()).getS();
      ECParameterSpec jdkCurve = ((ECPrivateKey) jdkKeyPair(curve[1]).getPrivate()).getParams();
      PrivateKey jdk = KeyFactory.getInstance("EC").generatePrivate(new ECPrivateKeySpec(scalar, jdkCurve));
      assertThat(Certificates.embeddedEcPoint(jdk.getEncoded())).isNull();

      byte[] written = der(Pem.writePrivateKey(jdk));

      assertThat(written).as(curve[0]).isEqualTo(bc.getPrivate().getEncoded());
      PrivateKeyInfo info = PrivateKeyInfo.getInstance(written);
      var inner = org.bouncycastle.asn1.sec.ECPrivateKey.getInstance(info.parsePrivateKey());
      ASN1ObjectIdentifier oid = ASN1ObjectIdentifier.getInstance(
          X962Parameters.getInstance(info.getPrivateKeyAlgorithm().getParameters()).getParameters());
      assertThat(info.getVersion().intValueExact()).isZero();
      assertThat(info.getPrivateKeyAlgorithm())
          .isEqualTo(PrivateKeyInfo.getInstance(jdk.getEncoded()).getPrivateKeyAlgorithm());
      assertThat(inner.getKey()).isEqualTo(scalar);
      assertThat(inner.getParametersObject().toASN1Primitive()).as(curve[0] + ": [0] parameters").isEqualTo(oid);
      assertThat(inner.getPublicKey().getOctets()).as(curve[0] + ": [1] publicKey")
          .isEqualTo(Certificates.subjectPublicKeyPoint(bc.getPublic().getEncoded()));
    }
  }

  @Test
  void writingAKeyReadBackGivesTheSameText() throws Exception {
    for (String[] curve : CURVES) {
      PrivateKey jdk = jdkKeyPair(curve[1]).getPrivate();
      String pem = Pem.writePrivateKey(jdk);
      assertThat(Certificates.embeddedEcPoint(der(pem))).as(curve[0]).isNotNull();

      assertThat(Pem.writePrivateKey(Pem.readPrivateKey(pem))).as(curve[0]).isEqualTo(pem);

      Path first = dir.resolve(curve[0] + "-first.pem");
      Path second = dir.resolve(curve[0] + "-second.pem");
      Pem.writePrivateKey(first, jdk);
      Pem.writePrivateKey(second, Pem.readPrivateKey(first));
      assertThat(Files.readString(first)).as(curve[0] + ": files").isEqualTo(pem);
      assertThat(Files.readString(second)).as(curve[0] + ": files").isEqualTo(pem);
    }
  }

  @Test
  void otherKeysAreWrittenWithTheirOwnEncoding() throws Exception {
    List<PrivateKey> keys = new ArrayList<>();
    for (String kind : List.of("RSA", "Ed25519", "Ed448", "P-256", "P-384")) {
      keys.add(TestPki.keyPair(kind, TestPki.BOUNCY_CASTLE).getPrivate());
      if (!kind.startsWith("P-")) {
        keys.add(TestPki.keyPair(kind, null).getPrivate());
      }
    }
    ECPrivateKey jdk = (ECPrivateKey) jdkKeyPair("secp256r1").getPrivate();
    PrivateKeyInfo info = PrivateKeyInfo.getInstance(jdk.getEncoded());
    // A curve BouncyCastle does not name, and a key whose parameters are not the curve its encoding names.
    keys.add(new TestPki.OpaqueEcKey(jdk, new PrivateKeyInfo(new AlgorithmIdentifier(X9ObjectIdentifiers.id_ecPublicKey,
        new X962Parameters(new ASN1ObjectIdentifier("1.3.6.1.4.1.55555.1"))), info.parsePrivateKey()).getEncoded()));
    keys.add(new TestPki.OpaqueEcKey(jdk, new PrivateKeyInfo(new AlgorithmIdentifier(X9ObjectIdentifiers.id_ecPublicKey,
        new X962Parameters(new ASN1ObjectIdentifier("1.3.132.0.34"))), info.parsePrivateKey()).getEncoded()));

    for (PrivateKey key : keys) {
      assertThat(der(Pem.writePrivateKey(key))).as(key.getAlgorithm() + " " + key.getClass().getSimpleName())
          .isEqualTo(key.getEncoded());
    }
  }

  @Test
  void openSslAcceptsTheWrittenKeyAndReadsTheEmbeddedPoint() throws Exception {
    assumeTrue(openSsl() != null, "openssl is not installed (no openssl on PATH), so the interoperability check"
        + " with it cannot run");
    for (String[] curve : CURVES) {
      KeyPair key = jdkKeyPair(curve[1]);
      Path file = dir.resolve(curve[0] + ".pem");
      Pem.writePrivateKey(file, key.getPrivate());
      assertThat(Certificates.embeddedEcPoint(der(Files.readString(file)))).as(curve[0]).isNotNull();

      Result text = run(openSsl(), "pkey", "-in", file.toString(), "-noout", "-text");
      assertThat(text.exitCode()).as(curve[0] + ": " + text).isZero();
      String curveLine = "NIST CURVE: " + curve[0];
      assertThat(text.output()).as(curve[0]).contains("Private-Key:", "pub:", curveLine);

      Result check = run(openSsl(), "pkey", "-in", file.toString(), "-noout", "-check");
      assertThat(check.exitCode()).as(curve[0] + ": " + check).isZero();
      assertThat(check.output()).as(curve[0]).contains("Key is valid");

      // OpenSSL takes the embedded public key as it is: the public key it derives is the JDK's.
      Path publicKey = dir.resolve(curve[0] + "-public.der");
      Result pubout = run(openSsl(), "pkey", "-in", file.toString(), "-pubout", "-outform", "DER",
          "-out", publicKey.toString());
      assertThat(pubout.exitCode()).as(curve[0] + ": " + pubout).isZero();
      assertThat(Files.readAllBytes(publicKey)).as(curve[0]).isEqualTo(key.getPublic().getEncoded());

      // And what OpenSSL writes back (without the optional [0] parameters) reads as the same key.
      Path rewritten = dir.resolve(curve[0] + "-openssl.pem");
      Result out = run(openSsl(), "pkey", "-in", file.toString(), "-out", rewritten.toString());
      assertThat(out.exitCode()).as(curve[0] + ": " + out).isZero();
      ECPrivateKey fromOpenSsl = (ECPrivateKey) Pem.readPrivateKey(rewritten);
      assertThat(fromOpenSsl.getS()).isEqualTo(((ECPrivateKey) key.getPrivate()).getS());
      assertThat(Certificates.embeddedEcPoint(fromOpenSsl.getEncoded()))
          .isEqualTo(Certificates.embeddedEcPoint(der(Files.readString(file))));
    }
  }

  private record Result(int exitCode, String output) {}

  /** The openssl executable on PATH, or null. */
  private static String openSsl() {
    for (String directory : System.getenv().getOrDefault("PATH", "").split(java.io.File.pathSeparator)) {
      Path candidate = Path.of(directory.isEmpty() ? "." : directory, "openssl");
      if (Files.isRegularFile(candidate) && Files.isExecutable(candidate)) {
        return candidate.toString();
      }
    }
    return null;
  }

  private Result run(String... command) throws Exception {
    Path output = Files.createTempFile(dir, "openssl", ".out");
    Process process = new ProcessBuilder(command).redirectErrorStream(true).redirectOutput(output.toFile())
        .redirectInput(ProcessBuilder.Redirect.from(new java.io.File("/dev/null"))).start();
    if (!process.waitFor(60, TimeUnit.SECONDS)) {
      process.destroyForcibly();
      throw new AssertionError(Arrays.toString(command) + " did not finish within 60 s");
    }
    return new Result(process.exitValue(), Files.readString(output));
  }
}

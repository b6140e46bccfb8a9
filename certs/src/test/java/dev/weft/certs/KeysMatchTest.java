package dev.weft.certs;

import static org.assertj.core.api.Assertions.assertThat;
import static org.assertj.core.api.Assertions.assertThatCode;

import java.math.BigInteger;
import java.security.KeyFactory;
import java.security.KeyPair;
import java.security.PrivateKey;
import java.security.Provider;
import java.security.PublicKey;
import java.security.interfaces.ECPrivateKey;
import java.security.interfaces.RSAPublicKey;
import java.security.spec.ECParameterSpec;
import java.security.spec.RSAPublicKeySpec;
import java.time.Instant;
import java.time.temporal.ChronoUnit;
import java.util.Arrays;
import java.util.List;

import org.bouncycastle.asn1.DERBitString;
import org.bouncycastle.asn1.pkcs.PrivateKeyInfo;
import org.bouncycastle.asn1.sec.SECObjectIdentifiers;
import org.bouncycastle.asn1.x509.AlgorithmIdentifier;
import org.bouncycastle.asn1.x9.X962Parameters;
import org.bouncycastle.asn1.x9.X9ObjectIdentifiers;
import org.junit.jupiter.api.BeforeAll;
import org.junit.jupiter.api.Test;

/**
 * {@link Certificates#keysMatch}: RSA keys and EC keys that embed their public point are matched
 * without signing, with the same answers signing gives; everything else still signs.
 */
class KeysMatchTest {

  private static TestPki.Issuer issuer;

  @BeforeAll
  static void createIssuer() throws Exception {
    Instant now = Instant.now().truncatedTo(ChronoUnit.SECONDS);
    issuer = TestPki.selfSignedCa("keys-match-ca", true, now.minus(1, ChronoUnit.HOURS), now.plus(1, ChronoUnit.DAYS));
  }

  /** The answer and how many signatures it took. */
  private record Check(boolean matches, long signatures) {}

  private static Check check(PrivateKey privateKey, PublicKey publicKey) {
    long before = Certificates.SIGNATURE_CHECKS.get();
    boolean matches = Certificates.keysMatch(privateKey, publicKey);
    return new Check(matches, Certificates.SIGNATURE_CHECKS.get() - before);
  }

  /** The certificate's view of the key, as CertifiedKey sees it. */
  private static PublicKey certified(PublicKey key) throws Exception {
    return TestPki.leaf(issuer, key).getPublicKey();
  }

  /** The key as the sidecar gets it: written to PEM and read back. */
  private static PrivateKey fromPem(PrivateKey key) {
    return Pem.readPrivateKey(Pem.writePrivateKey(key));
  }

  @Test
  void ecKeysThatEmbedTheirPublicPointAreMatchedWithoutSigning() throws Exception {
    for (String curve : List.of("P-256", "P-384")) {
      KeyPair key = TestPki.keyPair(curve, TestPki.BOUNCY_CASTLE);
      KeyPair other = TestPki.keyPair(curve, TestPki.BOUNCY_CASTLE);
      PublicKey certified = certified(key.getPublic());

      assertThat(Certificates.embeddedEcPoint(fromPem(key.getPrivate()).getEncoded())).as(curve).isNotNull();
      assertThat(check(fromPem(key.getPrivate()), certified)).as(curve).isEqualTo(new Check(true, 0));
      assertThat(check(key.getPrivate(), certified)).as(curve + ", BouncyCastle's own key object")
          .isEqualTo(new Check(true, 0));
      assertThat(check(fromPem(other.getPrivate()), certified)).as(curve).isEqualTo(new Check(false, 0));
      assertThat(check(other.getPrivate(), certified)).as(curve).isEqualTo(new Check(false, 0));
    }
  }

  @Test
  void jdkEcKeysInMemoryEmbedNoPublicPointSoASignatureDecides() throws Exception {
    // Written to PEM by Pem they gain the point (EcKeyWritingTest); the JDK's own objects lack it.
    KeyPair key = TestPki.keyPair("P-256", null);
    KeyPair other = TestPki.keyPair("P-256", null);
    PublicKey certified = certified(key.getPublic());

    assertThat(Certificates.embeddedEcPoint(key.getPrivate().getEncoded())).isNull();
    assertThat(check(key.getPrivate(), certified)).isEqualTo(new Check(true, 1));
    assertThat(check(other.getPrivate(), certified)).isEqualTo(new Check(false, 1));
  }

  @Test
  void ecKeysOnDifferentCurvesNeverMatch() throws Exception {
    PublicKey p384 = certified(TestPki.keyPair("P-384", null).getPublic());

    for (Provider provider : Arrays.asList(null, TestPki.BOUNCY_CASTLE)) {
      PrivateKey p256 = fromPem(TestPki.keyPair("P-256", provider).getPrivate());

      assertThat(check(p256, p384)).isEqualTo(new Check(false, 0));
    }
  }

  @Test
  void rsaKeysAreMatchedByModulusAndExponentWithoutSigning() throws Exception {
    for (Provider provider : Arrays.asList(null, TestPki.BOUNCY_CASTLE)) {
      KeyPair key = TestPki.keyPair("RSA", provider);
      PublicKey certified = certified(key.getPublic());
      RSAPublicKey rsa = (RSAPublicKey) certified;
      PublicKey otherExponent = KeyFactory.getInstance("RSA")
          .generatePublic(new RSAPublicKeySpec(rsa.getModulus(), BigInteger.valueOf(3)));

      assertThat(check(fromPem(key.getPrivate()), certified)).isEqualTo(new Check(true, 0));
      assertThat(check(key.getPrivate(), certified)).isEqualTo(new Check(true, 0));
      assertThat(check(fromPem(TestPki.keyPair("RSA", provider).getPrivate()), certified))
          .isEqualTo(new Check(false, 0));
      assertThat(check(key.getPrivate(), otherExponent)).isEqualTo(new Check(false, 0));
    }
  }

  @Test
  void anEmbeddedPointInAnotherFormFallsBackToSigning() throws Exception {
    KeyPair key = TestPki.keyPair("P-256", null);
    byte[] uncompressed = Certificates.subjectPublicKeyPoint(key.getPublic().getEncoded());
    byte[] compressed = Arrays.copyOf(uncompressed, 33);
    compressed[0] = (byte) ((uncompressed[64] & 1) == 0 ? 0x02 : 0x03);

    PrivateKey withCompressedPoint = ecKey(((ECPrivateKey) key.getPrivate()).getS(), compressed);

    assertThat(Certificates.embeddedEcPoint(withCompressedPoint.getEncoded())).isEqualTo(compressed);
    assertThat(check(withCompressedPoint, certified(key.getPublic()))).isEqualTo(new Check(true, 1));
  }

  @Test
  void theEmbeddedPointIsTrustedAsDocumented() throws Exception {
    // A key file whose embedded point is another key's: the check believes the point.
    KeyPair scalarOwner = TestPki.keyPair("P-256", null);
    KeyPair pointOwner = TestPki.keyPair("P-256", null);
    PrivateKey inconsistent = ecKey(((ECPrivateKey) scalarOwner.getPrivate()).getS(),
        Certificates.subjectPublicKeyPoint(pointOwner.getPublic().getEncoded()));

    assertThat(check(inconsistent, certified(pointOwner.getPublic()))).isEqualTo(new Check(true, 0));
    assertThat(check(inconsistent, certified(scalarOwner.getPublic()))).isEqualTo(new Check(false, 0));
  }

  @Test
  void unreadableEncodingsFallBackToSigningWithoutThrowing() throws Exception {
    KeyPair key = TestPki.keyPair("P-256", TestPki.BOUNCY_CASTLE);
    ECPrivateKey real = (ECPrivateKey) fromPem(key.getPrivate());
    PublicKey certified = certified(key.getPublic());
    byte[] encoded = real.getEncoded();
    List<byte[]> unreadable = Arrays.asList(null, new byte[0], Arrays.copyOf(encoded, encoded.length - 1),
        Arrays.copyOf(encoded, 40), new byte[] {0x30, (byte) 0x84, 0x7f, (byte) 0xff, (byte) 0xff, (byte) 0xff},
        new byte[] {0x30, (byte) 0x80, 0x00, 0x00});

    for (byte[] encoding : unreadable) {
      PrivateKey opaque = new TestPki.OpaqueEcKey(real, encoding);

      assertThatCode(() -> Certificates.keysMatch(opaque, certified)).doesNotThrowAnyException();
      assertThat(check(opaque, certified)).as(Arrays.toString(encoding)).isEqualTo(new Check(true, 1));
    }
  }

  @Test
  void eddsaKeysStillGoToTheSignatureCheckWhichRefusesThem() throws Exception {
    for (Provider provider : Arrays.asList(null, TestPki.BOUNCY_CASTLE)) {
      KeyPair key = TestPki.keyPair("Ed25519", provider);
      PublicKey certified = certified(key.getPublic());

      // Unchanged: KeyType has no EdDSA signature, so the signature check refuses every EdDSA
      // pair, matching or not, as before; Weft issues and accepts only EC and RSA keys.
      assertThat(check(fromPem(key.getPrivate()), certified)).isEqualTo(new Check(false, 1));
      assertThat(check(fromPem(key.getPrivate()), certified(TestPki.keyPair("P-256", null).getPublic())))
          .isEqualTo(new Check(false, 0));
    }
  }

  /** A P-256 PKCS#8 key with scalar {@code s} and {@code point} as its embedded public key. */
  private static PrivateKey ecKey(BigInteger s, byte[] point) throws Exception {
    X962Parameters curve = new X962Parameters(SECObjectIdentifiers.secp256r1);
    byte[] pkcs8 = new PrivateKeyInfo(new AlgorithmIdentifier(X9ObjectIdentifiers.id_ecPublicKey, curve),
        new org.bouncycastle.asn1.sec.ECPrivateKey(256, s, new DERBitString(point), curve)).getEncoded();
    return Pem.readPrivateKey(PemFastPathTest.pem("PRIVATE KEY", pkcs8));
  }
}

package dev.weft.certs;

import static org.assertj.core.api.Assertions.assertThat;
import static org.assertj.core.api.Assertions.assertThatThrownBy;

import java.math.BigInteger;
import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.Path;
import java.nio.file.attribute.PosixFilePermissions;
import java.security.KeyPair;
import java.security.PrivateKey;
import java.security.cert.X509Certificate;
import java.util.Base64;
import java.util.List;

import org.bouncycastle.asn1.sec.ECPrivateKey;
import org.bouncycastle.asn1.sec.SECObjectIdentifiers;
import org.bouncycastle.asn1.x9.X962Parameters;
import org.bouncycastle.pkcs.PKCS10CertificationRequest;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

class PemTest {

  private static final TrustDomain TD = TrustDomain.of("cluster.local");
  private static final SpiffeId CART = SpiffeId.forWorkload(TD, "shop", "cart");

  private final CertificateAuthority ca = CertificateAuthority.builder(TD).selfSigned();

  @TempDir
  Path dir;

  @Test
  void certificatesAndChainsRoundTrip() {
    KeyPair intermediateKey = KeyType.EC_P256.generate(TestPki.RANDOM);
    CertificateChain chain = ca.issueIntermediate(intermediateKey.getPublic(), "i", java.time.Duration.ofDays(1));

    String pem = Pem.writeCertificates(chain.certificates());

    assertThat(pem).startsWith("-----BEGIN CERTIFICATE-----\n").contains("-----END CERTIFICATE-----\n-----BEGIN CERTIFICATE-----");
    assertThat(Pem.readCertificates(pem)).containsExactlyElementsOf(chain.certificates());
    assertThat(CertificateChain.fromPem(pem)).isEqualTo(chain);
    assertThat(Pem.readCertificate(Pem.writeCertificate(ca.certificate()))).isEqualTo(ca.certificate());
    assertThatThrownBy(() -> Pem.readCertificate(pem)).hasMessage("found 2 certificates (expected: exactly one)");
  }

  @Test
  void privateKeysRoundTripAsPkcs8() {
    for (KeyType type : List.of(KeyType.EC_P256, KeyType.EC_P384, KeyType.RSA_2048)) {
      PrivateKey key = type.generate(TestPki.RANDOM).getPrivate();

      String pem = Pem.writePrivateKey(key);

      assertThat(pem).startsWith("-----BEGIN PRIVATE KEY-----\n").endsWith("-----END PRIVATE KEY-----\n");
      PrivateKey read = Pem.readPrivateKey(pem);
      if (key instanceof java.security.interfaces.ECPrivateKey ec) {
        // The encoding gained the public point (EcKeyWritingTest), so the keys differ in encoding only.
        var readEc = (java.security.interfaces.ECPrivateKey) read;
        assertThat(readEc.getS()).as(type.name()).isEqualTo(ec.getS());
        assertThat(Certificates.sameCurve(readEc.getParams(), ec.getParams())).as(type.name()).isTrue();
      } else {
        assertThat(read).as(type.name()).isEqualTo(key);
      }
    }
  }

  @Test
  void readsTraditionalSec1EcKeysAsOpenSslWritesThem() throws Exception {
    PrivateKey key = KeyType.EC_P256.generate(TestPki.RANDOM).getPrivate();
    BigInteger scalar = ((java.security.interfaces.ECPrivateKey) key).getS();
    // "openssl ecparam -genkey" output: SEC 1 ECPrivateKey with the named curve inside.
    byte[] sec1 = new ECPrivateKey(256, scalar, new X962Parameters(SECObjectIdentifiers.secp256r1)).getEncoded();
    String pem = "-----BEGIN EC PRIVATE KEY-----\n"
        + Base64.getMimeEncoder(64, "\n".getBytes(StandardCharsets.US_ASCII)).encodeToString(sec1)
        + "\n-----END EC PRIVATE KEY-----\n";

    PrivateKey read = Pem.readPrivateKey(pem);

    assertThat(((java.security.interfaces.ECPrivateKey) read).getS()).isEqualTo(scalar);
    assertThat(Certificates.keysMatch(read, ca.certificate().getPublicKey())).isFalse();
  }

  @Test
  void csrsRoundTrip() {
    KeyPair key = KeyType.EC_P256.generate(TestPki.RANDOM);
    PKCS10CertificationRequest csr = CertificateRequests.create(key, CART);

    String pem = Pem.writeCsr(csr);
    PKCS10CertificationRequest read = Pem.readCsr(pem);

    assertThat(pem).startsWith("-----BEGIN CERTIFICATE REQUEST-----\n");
    assertThat(read).isEqualTo(csr);
    assertThat(SpiffeId.fromCertificate(ca.sign(read, CART).leaf())).isEqualTo(CART);
  }

  @Test
  void reportsWhatWasFoundInsteadOfTheExpectedObject() {
    String certPem = Pem.writeCertificate(ca.certificate());
    String keyPem = Pem.writePrivateKey(KeyType.EC_P256.generate(TestPki.RANDOM).getPrivate());

    assertThatThrownBy(() -> Pem.readPrivateKey(certPem))
        .isInstanceOf(PemException.class)
        .hasMessage("PEM block is a CERTIFICATE (expected: PRIVATE KEY)");
    assertThatThrownBy(() -> Pem.readCertificates(certPem + keyPem))
        .hasMessage("PEM block 1 is a PRIVATE KEY (expected: CERTIFICATE)");
    assertThatThrownBy(() -> Pem.readCsr(certPem))
        .hasMessage("found a CERTIFICATE (expected: exactly one CERTIFICATE REQUEST)");
    assertThatThrownBy(() -> Pem.readCertificates("no pem here"))
        .hasMessage("no PEM block found (expected: at least one CERTIFICATE)");
    assertThatThrownBy(() -> Pem.readCertificates("-----BEGIN CERTIFICATE-----\n!!!!\n-----END CERTIFICATE-----\n"))
        .isInstanceOf(PemException.class)
        .hasMessageStartingWith("malformed PEM after 0 block(s)");
  }

  @Test
  void privateKeyFileIsCreatedWithMode0600() throws Exception {
    Path file = dir.resolve("key.pem");
    PrivateKey key = KeyType.EC_P256.generate(TestPki.RANDOM).getPrivate();

    Pem.writePrivateKey(file, key);

    assertThat(PosixFilePermissions.toString(Files.getPosixFilePermissions(file))).isEqualTo("rw-------");
    assertThat(Files.readString(file)).isEqualTo(Pem.writePrivateKey(key));
    assertThat(((java.security.interfaces.ECPrivateKey) Pem.readPrivateKey(file)).getS())
        .isEqualTo(((java.security.interfaces.ECPrivateKey) key).getS());
    try (var listing = Files.list(dir)) {
      assertThat(listing.map(p -> p.getFileName().toString())).containsExactly("key.pem");
    }
  }

  @Test
  void rewritingAKeyFileReplacesItAndTightensItsMode() throws Exception {
    Path file = dir.resolve("key.pem");
    Files.writeString(file, "old", java.nio.file.StandardOpenOption.CREATE_NEW);
    Files.setPosixFilePermissions(file, PosixFilePermissions.fromString("rw-rw-rw-"));
    PrivateKey key = KeyType.EC_P256.generate(TestPki.RANDOM).getPrivate();

    Pem.writePrivateKey(file, key);

    assertThat(PosixFilePermissions.toString(Files.getPosixFilePermissions(file))).isEqualTo("rw-------");
    assertThat(Files.readString(file)).isEqualTo(Pem.writePrivateKey(key));
    assertThat(((java.security.interfaces.ECPrivateKey) Pem.readPrivateKey(file)).getS())
        .isEqualTo(((java.security.interfaces.ECPrivateKey) key).getS());
  }

  @Test
  void certificateFilesAreWorldReadableAndReadBack() throws Exception {
    Path file = dir.resolve("chain.pem");

    Pem.writeCertificates(file, ca.chain());

    assertThat(PosixFilePermissions.toString(Files.getPosixFilePermissions(file))).isEqualTo("rw-r--r--");
    assertThat(Pem.readCertificates(file)).isEqualTo(ca.chain());
  }

  @Test
  void fileErrorsNameTheFile() throws Exception {
    Path file = dir.resolve("not-a-key.pem");
    Files.writeString(file, Pem.writeCertificate(ca.certificate()));

    assertThatThrownBy(() -> Pem.readPrivateKey(file))
        .isInstanceOf(PemException.class)
        .hasMessage(file + ": PEM block is a CERTIFICATE (expected: PRIVATE KEY)");
  }

  @Test
  void keyHoldingTypesNeverPrintKeyMaterial() {
    KeyPair key = KeyType.EC_P256.generate(TestPki.RANDOM);
    CertifiedKey certified = new CertifiedKey(key.getPrivate(), ca.sign(CertificateRequests.create(key, CART), CART));
    String keyBody = Pem.writePrivateKey(key.getPrivate()).lines().skip(1).findFirst().orElseThrow();
    String scalar = ((java.security.interfaces.ECPrivateKey) key.getPrivate()).getS().toString(16);

    assertThat(certified.toString()).contains("privateKey=<EC key redacted>", "notAfter=")
        .doesNotContain(keyBody).doesNotContain(scalar);
    assertThat(ca.toString()).contains("signingKey=<EC key redacted>");
  }

  @Test
  void certifiedKeyRefusesAKeyThatDoesNotMatchTheLeaf() {
    KeyPair key = KeyType.EC_P256.generate(TestPki.RANDOM);
    KeyPair other = KeyType.EC_P256.generate(TestPki.RANDOM);
    CertificateChain chain = ca.sign(CertificateRequests.create(key, CART), CART);
    X509Certificate leaf = chain.leaf();

    assertThatThrownBy(() -> new CertifiedKey(other.getPrivate(), chain))
        .isInstanceOf(IllegalArgumentException.class)
        .hasMessageContaining("private key (EC) does not belong to the leaf certificate")
        .hasMessageContaining(leaf.getSerialNumber().toString(16));
  }
}

package dev.weft.certs;

import static org.assertj.core.api.Assertions.assertThat;

import java.lang.reflect.Constructor;
import java.math.BigInteger;
import java.net.URL;
import java.net.URLClassLoader;
import java.security.KeyPair;
import java.security.PrivateKey;
import java.security.Provider;
import java.security.cert.X509Certificate;
import java.security.interfaces.ECPrivateKey;
import java.time.Instant;
import java.time.temporal.ChronoUnit;
import java.util.ArrayList;
import java.util.Arrays;
import java.util.Base64;
import java.util.Collections;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Map;
import java.util.Set;
import java.util.function.BiFunction;
import java.util.function.Function;

import org.bouncycastle.asn1.ASN1Encodable;
import org.bouncycastle.asn1.ASN1Integer;
import org.bouncycastle.asn1.ASN1Object;
import org.bouncycastle.asn1.DERNull;
import org.bouncycastle.asn1.DEROctetString;
import org.bouncycastle.asn1.DERSequence;
import org.bouncycastle.asn1.DERSet;
import org.bouncycastle.asn1.cms.ContentInfo;
import org.bouncycastle.asn1.pkcs.EncryptedPrivateKeyInfo;
import org.bouncycastle.asn1.pkcs.PKCSObjectIdentifiers;
import org.bouncycastle.asn1.pkcs.PrivateKeyInfo;
import org.bouncycastle.asn1.sec.SECObjectIdentifiers;
import org.bouncycastle.asn1.x509.AlgorithmIdentifier;
import org.bouncycastle.asn1.x9.X962Parameters;
import org.bouncycastle.asn1.x9.X9ObjectIdentifiers;
import org.bouncycastle.openssl.PEMParser;
import org.junit.jupiter.api.BeforeAll;
import org.junit.jupiter.api.Test;

/**
 * {@link Pem}'s JDK-only fast path: it reads what BouncyCastle read, gives the same objects, hands
 * everything else to BouncyCastle (so results and errors stay as they were), and loads no
 * BouncyCastle class when it applies.
 */
class PemFastPathTest {

  private static TestPki.Issuer issuer;

  @BeforeAll
  static void createIssuer() throws Exception {
    Instant now = Instant.now().truncatedTo(ChronoUnit.SECONDS);
    issuer = TestPki.selfSignedCa("fast-path-ca", true, now.minus(1, ChronoUnit.HOURS), now.plus(1, ChronoUnit.DAYS));
  }

  @Test
  void privateKeysMadeByTheJdkOrBouncyCastleReadAsBouncyCastleReadThem() {
    for (String kind : TestPki.KEY_KINDS) {
      for (Provider provider : Arrays.asList(null, TestPki.BOUNCY_CASTLE)) {
        String label = kind + " key made by " + (provider == null ? "the JDK" : "BouncyCastle");
        PrivateKey key = TestPki.keyPair(kind, provider).getPrivate();
        String pem = Pem.writePrivateKey(key);

        long fallbacks = Pem.BC_FALLBACKS.get();
        ReadOutcome fast = ReadOutcome.of(() -> Pem.readPrivateKey(pem));

        assertThat(Pem.BC_FALLBACKS.get()).as(label + ": fallbacks").isEqualTo(fallbacks);
        assertThat(fast.error()).as(label).isNull();
        assertThat(fast).as(label).isEqualTo(ReadOutcome.of(() -> BcPem.readPrivateKey(pem)));
        assertThat(Pem.readPrivateKey(pem).getEncoded()).as(label).isEqualTo(der(pem));
        if (!(kind.startsWith("P-") && provider == null)) {
          // JDK-made EC keys gain their public point when written (EcKeyWritingTest); others are as they were.
          assertThat(der(pem)).as(label).isEqualTo(key.getEncoded());
        }
      }
    }
  }

  @Test
  void algorithmNamesAreTheOnesBouncyCastlesConverterGave() {
    // JcaPEMKeyConverter asks for an "ECDSA" KeyFactory, which the JDK lacks, and falls back to "EC";
    // EdDSA keys come out as "EdDSA". Callers (KeyType, keysMatch, toString) rely on these names.
    Map<String, String> expected = Map.of("P-256", "EC", "P-384", "EC", "RSA", "RSA", "RSASSA-PSS", "RSASSA-PSS",
        "Ed25519", "EdDSA", "Ed448", "EdDSA");
    for (String kind : TestPki.KEY_KINDS) {
      String pem = Pem.writePrivateKey(TestPki.keyPair(kind, TestPki.BOUNCY_CASTLE).getPrivate());

      assertThat(Pem.readPrivateKey(pem).getAlgorithm()).as(kind).isEqualTo(expected.get(kind));
      assertThat(BcPem.readPrivateKey(pem).getAlgorithm()).as(kind).isEqualTo(expected.get(kind));
    }
  }

  @Test
  void certificatesForEveryKindOfKeyReadAsBouncyCastleReadThem() throws Exception {
    List<X509Certificate> certificates = new ArrayList<>();
    for (String kind : TestPki.KEY_KINDS) {
      for (Provider provider : Arrays.asList(null, TestPki.BOUNCY_CASTLE)) {
        certificates.add(TestPki.leaf(issuer, TestPki.keyPair(kind, provider).getPublic()));
      }
    }
    certificates.add(issuer.certificate());
    String pem = Pem.writeCertificates(certificates);

    long fallbacks = Pem.BC_FALLBACKS.get();
    List<X509Certificate> read = Pem.readCertificates(pem);

    assertThat(Pem.BC_FALLBACKS.get()).isEqualTo(fallbacks);
    assertThat(read).containsExactlyElementsOf(certificates);
    assertThat(ReadOutcome.of(() -> read)).isEqualTo(ReadOutcome.of(() -> BcPem.readCertificates(pem)));
  }

  @Test
  void lineEndingsWhitespaceAndTextAroundBlocksStayOnTheFastPath() throws Exception {
    X509Certificate leaf = TestPki.leaf(issuer, TestPki.keyPair("P-256", null).getPublic());
    String leafPem = Pem.writeCertificate(leaf);
    String caPem = Pem.writeCertificate(issuer.certificate());
    String keyPem = Pem.writePrivateKey(TestPki.keyPair("P-256", TestPki.BOUNCY_CASTLE).getPrivate());
    Map<String, Function<String, String>> layouts = new LinkedHashMap<>();
    layouts.put("CRLF", text -> text.replace("\n", "\r\n"));
    layouts.put("bare CR", text -> text.replace("\n", "\r"));
    layouts.put("no final newline", String::stripTrailing);
    layouts.put("text before, between and after blocks, as openssl pkcs12 prints it",
        text -> "Bag Attributes\n    friendlyName: workload\nsubject=/CN=leaf\nissuer=/CN=fast-path-ca\n\n"
            + text.replaceAll("-----END ([A-Z ]+)-----\n", "-----END $1-----\nsome notes: between blocks\n\n")
            + "trailing text\n");
    layouts.put("indented base64, trailing blanks, blank lines inside blocks",
        text -> text.lines().map(line -> line.startsWith("-----") ? line + " \t" : "  " + line + "\t\n")
            .reduce("", (a, b) -> a + b + "\n"));
    for (Map.Entry<String, Function<String, String>> layout : layouts.entrySet()) {
      String certificates = layout.getValue().apply(leafPem + caPem);
      String key = layout.getValue().apply(keyPem);

      long fallbacks = Pem.BC_FALLBACKS.get();
      ReadOutcome fastCertificates = ReadOutcome.of(() -> Pem.readCertificates(certificates));
      ReadOutcome fastKey = ReadOutcome.of(() -> Pem.readPrivateKey(key));

      assertThat(Pem.BC_FALLBACKS.get()).as(layout.getKey() + ": fallbacks").isEqualTo(fallbacks);
      assertThat(fastCertificates).as(layout.getKey())
          .isEqualTo(ReadOutcome.of(() -> List.of(leaf, issuer.certificate())))
          .isEqualTo(ReadOutcome.of(() -> BcPem.readCertificates(certificates)));
      assertThat(fastKey.error()).as(layout.getKey()).isNull();
      assertThat(fastKey).as(layout.getKey()).isEqualTo(ReadOutcome.of(() -> BcPem.readPrivateKey(key)));
    }
  }

  @Test
  void otherCertificateTextGoesToBouncyCastleWithTheSameOutcome() throws Exception {
    String leafPem = Pem.writeCertificate(TestPki.leaf(issuer, TestPki.keyPair("P-256", null).getPublic()));
    byte[] der = issuer.certificate().getEncoded();
    String keyPem = Pem.writePrivateKey(TestPki.keyPair("P-256", null).getPrivate());
    Map<String, String> cases = new LinkedHashMap<>();
    cases.put("no block", "no pem here");
    cases.put("empty text", "");
    cases.put("a certificate then a key", leafPem + keyPem);
    cases.put("X509 CERTIFICATE, an older name PEMParser accepts", leafPem.replace("CERTIFICATE", "X509 CERTIFICATE"));
    cases.put("a header line", leafPem.replaceFirst("-----\n", "-----\nComment: from the CA\n"));
    cases.put("an indented block", leafPem.lines().map(line -> "  " + line).reduce("", (a, b) -> a + b + "\n"));
    cases.put("a block that never ends", leafPem.substring(0, leafPem.indexOf("-----END")));
    cases.put("mismatched END", leafPem.replace("END CERTIFICATE", "END PRIVATE KEY"));
    cases.put("text after the END marker", leafPem.replace("END CERTIFICATE-----", "END CERTIFICATE----- x"));
    cases.put("a malformed second BEGIN line", leafPem + "-----BEGIN CERTIFICATE----- x\n" + leafPem);
    cases.put("a BEGIN line without dashes", "-----BEGIN CERTIFICATE\n" + leafPem);
    cases.put("invalid base64", "-----BEGIN CERTIFICATE-----\n!!!!\n-----END CERTIFICATE-----\n");
    cases.put("a space inside base64", leafPem.replaceFirst("\n(....)", "\n$1 "));
    cases.put("base64 without padding", pem("CERTIFICATE", Arrays.copyOf(der, der.length - der.length % 3 + 1))
        .replace("==", ""));
    cases.put("an empty block", "-----BEGIN CERTIFICATE-----\n-----END CERTIFICATE-----\n");
    cases.put("a truncated certificate", pem("CERTIFICATE", Arrays.copyOf(der, der.length - 7)));
    cases.put("bytes after the certificate", pem("CERTIFICATE", Arrays.copyOf(der, der.length + 2)));
    cases.put("garbage DER", pem("CERTIFICATE", new byte[] {0x30, 0x03, 0x02, 0x01, 0x01}));
    cases.put("a certificate with a non-minimal length", pem("CERTIFICATE", longerOuterLength(der)));

    for (Map.Entry<String, String> c : cases.entrySet()) {
      long fallbacks = Pem.BC_FALLBACKS.get();
      ReadOutcome read = ReadOutcome.of(() -> Pem.readCertificates(c.getValue()));

      assertThat(Pem.BC_FALLBACKS.get()).as(c.getKey() + ": fallbacks").isEqualTo(fallbacks + 1);
      assertThat(read).as(c.getKey()).isEqualTo(ReadOutcome.of(() -> BcPem.readCertificates(c.getValue())));
    }
  }

  @Test
  void otherKeyTextGoesToBouncyCastleWithTheSameOutcome() throws Exception {
    KeyPair ec = TestPki.keyPair("P-256", null);
    byte[] pkcs8 = ec.getPrivate().getEncoded();
    PrivateKeyInfo info = PrivateKeyInfo.getInstance(pkcs8);
    BigInteger scalar = ((ECPrivateKey) ec.getPrivate()).getS();
    byte[] rsaPkcs8 = TestPki.keyPair("RSA", null).getPrivate().getEncoded();
    Map<String, String> cases = new LinkedHashMap<>();
    cases.put("SEC 1 EC PRIVATE KEY", pem("EC PRIVATE KEY",
        new org.bouncycastle.asn1.sec.ECPrivateKey(256, scalar, new X962Parameters(SECObjectIdentifiers.secp256r1))));
    cases.put("PKCS#1 RSA PRIVATE KEY", pem("RSA PRIVATE KEY", PrivateKeyInfo.getInstance(rsaPkcs8).parsePrivateKey()
        .toASN1Primitive().getEncoded()));
    cases.put("ENCRYPTED PRIVATE KEY", pem("ENCRYPTED PRIVATE KEY", new EncryptedPrivateKeyInfo(
        new AlgorithmIdentifier(PKCSObjectIdentifiers.pbeWithSHAAnd3_KeyTripleDES_CBC), new byte[48])));
    cases.put("a traditional key encrypted with Proc-Type", "-----BEGIN EC PRIVATE KEY-----\nProc-Type: 4,ENCRYPTED\n"
        + "DEK-Info: AES-128-CBC,00112233445566778899AABBCCDDEEFF\n\n" + Base64.getEncoder().encodeToString(new byte[48])
        + "\n-----END EC PRIVATE KEY-----\n");
    cases.put("an X25519 key, outside the fast path's algorithms",
        Pem.writePrivateKey(TestPki.keyPair("X25519", null).getPrivate()));
    cases.put("PKCS#8 with attributes", pem("PRIVATE KEY", new PrivateKeyInfo(info.getPrivateKeyAlgorithm(),
        info.parsePrivateKey(), new DERSet())));
    cases.put("two keys", Pem.writePrivateKey(ec.getPrivate()) + Pem.writePrivateKey(ec.getPrivate()));
    cases.put("a certificate", Pem.writeCertificate(issuer.certificate()));
    cases.put("no block", "nothing here");
    cases.put("a header line", Pem.writePrivateKey(ec.getPrivate()).replaceFirst("-----\n", "-----\nNote: x\n"));
    cases.put("a truncated PKCS#8 key", pem("PRIVATE KEY", Arrays.copyOf(pkcs8, pkcs8.length - 3)));
    cases.put("bytes after the PKCS#8 key", pem("PRIVATE KEY", Arrays.copyOf(pkcs8, pkcs8.length + 1)));
    cases.put("PKCS#8 with a non-minimal length", pem("PRIVATE KEY", longerOuterLength(pkcs8)));
    cases.put("PKCS#8 version 2", pem("PRIVATE KEY", withVersion(pkcs8, 2)));
    cases.put("PKCS#8 version 1 without a public key", pem("PRIVATE KEY", withVersion(pkcs8, 1)));
    cases.put("an EC OID over an RSA key", pem("PRIVATE KEY", new PrivateKeyInfo(info.getPrivateKeyAlgorithm(),
        PrivateKeyInfo.getInstance(rsaPkcs8).parsePrivateKey())));
    cases.put("an AlgorithmIdentifier with two parameters", pem("PRIVATE KEY", new DERSequence(new ASN1Encodable[] {
        new ASN1Integer(0), new DERSequence(new ASN1Encodable[] {X9ObjectIdentifiers.id_ecPublicKey,
            SECObjectIdentifiers.secp256r1, DERNull.INSTANCE}), new DEROctetString(info.parsePrivateKey())})));
    cases.put("garbage", pem("PRIVATE KEY", new byte[] {1, 2, 3, 4, 5, 6}));

    for (Map.Entry<String, String> c : cases.entrySet()) {
      long fallbacks = Pem.BC_FALLBACKS.get();
      ReadOutcome read = ReadOutcome.of(() -> Pem.readPrivateKey(c.getValue()));

      assertThat(Pem.BC_FALLBACKS.get()).as(c.getKey() + ": fallbacks").isEqualTo(fallbacks + 1);
      assertThat(read).as(c.getKey()).isEqualTo(ReadOutcome.of(() -> BcPem.readPrivateKey(c.getValue())));
    }
  }

  @Test
  @SuppressWarnings("unchecked")
  void readingAKeyAndChainAsTheSidecarDoesLoadsNoBouncyCastleClass() throws Exception {
    // BouncyCastle writes the public point into EC keys, so CertifiedKey needs no signature either.
    KeyPair key = TestPki.keyPair("P-256", TestPki.BOUNCY_CASTLE);
    String keyPem = Pem.writePrivateKey(key.getPrivate());
    String chainPem = Pem.writeCertificates(List.of(TestPki.leaf(issuer, key.getPublic()), issuer.certificate()));
    BigInteger scalar = ((ECPrivateKey) key.getPrivate()).getS();
    String sec1Pem = pem("EC PRIVATE KEY",
        new org.bouncycastle.asn1.sec.ECPrivateKey(256, scalar, new X962Parameters(SECObjectIdentifiers.secp256r1)));

    try (RecordingClassLoader loader = new RecordingClassLoader()) {
      // Pem is called the way the sidecar calls it: reflection over Pem itself would resolve every
      // type in its public signatures, readCsr's BouncyCastle one included.
      Constructor<?> constructor = loader.loadClass(SidecarStartup.class.getName()).getDeclaredConstructor();
      constructor.setAccessible(true);
      var sidecar = (BiFunction<String, String, List<Object>>) constructor.newInstance();

      List<Object> started = sidecar.apply(keyPem, chainPem);

      assertThat(started.get(0)).asString().contains("privateKey=<EC key redacted>");
      assertThat(started.subList(1, 3)).as("fallbacks, signatures").containsExactly(0L, 0L);
      assertThat(loader.found())
          .contains(Pem.class.getName(), Der.class.getName(), Certificates.class.getName(), CertifiedKey.class.getName())
          .noneMatch(name -> name.startsWith("org.bouncycastle."));

      // The loader does see BouncyCastle when a read needs it: a SEC 1 key (without public point).
      List<Object> restarted = sidecar.apply(sec1Pem, chainPem);

      assertThat(restarted.subList(1, 3)).as("fallbacks, signatures").containsExactly(1L, 1L);
      assertThat(loader.found()).anyMatch(name -> name.startsWith("org.bouncycastle.openssl."));
    }
  }

  @Test
  @SuppressWarnings("unchecked")
  void aKeyTheJdkMadeAndPemWroteStartsTheSidecarWithoutBouncyCastleOrASignature() throws Exception {
    // The JDK's own EC encoding has no public point; Pem.writePrivateKey adds it, as the CA command
    // and other writers of workload key files rely on.
    KeyPair key = TestPki.keyPair("P-256", null);
    String keyPem = Pem.writePrivateKey(key.getPrivate());
    String chainPem = Pem.writeCertificates(List.of(TestPki.leaf(issuer, key.getPublic()), issuer.certificate()));

    try (RecordingClassLoader loader = new RecordingClassLoader()) {
      Constructor<?> constructor = loader.loadClass(SidecarStartup.class.getName()).getDeclaredConstructor();
      constructor.setAccessible(true);
      var sidecar = (BiFunction<String, String, List<Object>>) constructor.newInstance();

      List<Object> started = sidecar.apply(keyPem, chainPem);

      assertThat(started.get(0)).asString().contains("privateKey=<EC key redacted>");
      assertThat(started.subList(1, 3)).as("fallbacks, signatures").containsExactly(0L, 0L);
      assertThat(loader.found()).noneMatch(name -> name.startsWith("org.bouncycastle."));
    }
  }

  /**
   * Loads the certs module, its tests and BouncyCastle afresh (only the JDK comes from its parent)
   * and records every class it loads itself.
   */
  private static final class RecordingClassLoader extends URLClassLoader {

    private final Set<String> found = Collections.synchronizedSet(new java.util.LinkedHashSet<>());

    RecordingClassLoader() {
      super(new URL[] {location(Pem.class), location(SidecarStartup.class), location(PEMParser.class),
          location(ASN1Object.class), location(ContentInfo.class)}, ClassLoader.getPlatformClassLoader());
    }

    @Override
    protected Class<?> findClass(String name) throws ClassNotFoundException {
      found.add(name);
      return super.findClass(name);
    }

    List<String> found() {
      synchronized (found) {
        return List.copyOf(found);
      }
    }

    private static URL location(Class<?> type) {
      return type.getProtectionDomain().getCodeSource().getLocation();
    }
  }

  static String pem(String type, byte[] content) {
    return BcPem.write(type, List.of(content));
  }

  /** Returns the content of the one PEM block in {@code pem}, as written by {@link BcPem#write}. */
  static byte[] der(String pem) {
    return Base64.getDecoder().decode(pem.replaceAll("-----(BEGIN|END) [A-Z ]+-----", "").replaceAll("\\s", ""));
  }

  static String pem(String type, ASN1Object object) throws Exception {
    return pem(type, object.getEncoded());
  }

  /** Re-encodes the outer length of a DER element with one byte more than needed. */
  static byte[] longerOuterLength(byte[] der) {
    int first = der[1] & 0xff;
    int lengthBytes = first < 0x80 ? 0 : first & 0x7f;
    byte[] longer = new byte[der.length + 1];
    longer[0] = der[0];
    longer[1] = (byte) (0x80 | (lengthBytes + 1));
    // Short form n becomes 0x81 n; long form 0x8k n... becomes 0x8(k+1) 00 n...
    longer[2] = lengthBytes == 0 ? der[1] : 0;
    System.arraycopy(der, 2, longer, 3, der.length - 2);
    return longer;
  }

  /** Returns a PKCS#8 encoding with its version INTEGER (a single byte after the outer header) replaced. */
  private static byte[] withVersion(byte[] pkcs8, int version) {
    byte[] copy = pkcs8.clone();
    int header = 2 + ((copy[1] & 0x80) != 0 ? copy[1] & 0x7f : 0);
    copy[header + 2] = (byte) version;
    return copy;
  }
}

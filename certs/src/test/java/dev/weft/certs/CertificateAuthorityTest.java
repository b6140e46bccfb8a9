package dev.weft.certs;

import static org.assertj.core.api.Assertions.assertThat;
import static org.assertj.core.api.Assertions.assertThatThrownBy;

import java.math.BigInteger;
import java.security.KeyPair;
import java.security.KeyPairGenerator;
import java.security.cert.X509Certificate;
import java.time.Duration;
import java.time.Instant;
import java.util.HashSet;
import java.util.List;
import java.util.Set;

import org.bouncycastle.asn1.ASN1OctetString;
import org.bouncycastle.asn1.pkcs.PKCSObjectIdentifiers;
import org.bouncycastle.asn1.x500.X500Name;
import org.bouncycastle.asn1.x509.AuthorityKeyIdentifier;
import org.bouncycastle.asn1.x509.Extension;
import org.bouncycastle.asn1.x509.ExtensionsGenerator;
import org.bouncycastle.asn1.x509.GeneralName;
import org.bouncycastle.asn1.x509.GeneralNames;
import org.bouncycastle.asn1.x509.SubjectKeyIdentifier;
import org.bouncycastle.operator.jcajce.JcaContentSignerBuilder;
import org.bouncycastle.pkcs.PKCS10CertificationRequest;
import org.bouncycastle.pkcs.jcajce.JcaPKCS10CertificationRequestBuilder;
import org.junit.jupiter.api.Test;

class CertificateAuthorityTest {

  private static final TrustDomain TD = TrustDomain.of("cluster.local");
  private static final SpiffeId CART = SpiffeId.forWorkload(TD, "shop", "cart");
  private static final Instant START = Instant.parse("2026-03-01T12:00:00Z");
  private static final String SERVER_AUTH = "1.3.6.1.5.5.7.3.1";
  private static final String CLIENT_AUTH = "1.3.6.1.5.5.7.3.2";

  private final MutableClock clock = new MutableClock(START);
  private final CertificateAuthority ca = CertificateAuthority.builder(TD).clock(clock).selfSigned();

  @Test
  void signedLeafVerifiesAgainstTheRootAsClientAndServer() throws Exception {
    KeyPair key = KeyType.EC_P256.generate(TestPki.RANDOM);

    CertificateChain chain = ca.sign(CertificateRequests.create(key, CART), CART);

    assertThat(chain.certificates()).hasSize(1);
    assertThat(chain.leaf().getPublicKey()).isEqualTo(key.getPublic());
    TrustBundle bundle = TrustBundle.of(TD, ca.rootCertificate());
    assertThat(bundle.verify(chain.certificates(), PeerRole.CLIENT, clock)).isEqualTo(CART);
    assertThat(bundle.verify(chain.certificates(), PeerRole.SERVER, clock)).isEqualTo(CART);
  }

  @Test
  void leafCarriesTheWorkloadProfile() throws Exception {
    KeyPair key = KeyType.EC_P256.generate(TestPki.RANDOM);

    X509Certificate leaf = ca.sign(CertificateRequests.create(key, CART), CART).leaf();

    assertThat(leaf.getSubjectAlternativeNames()).containsExactly(List.of(6, CART.toString()));
    assertThat(leaf.getCriticalExtensionOIDs()).contains(Extension.subjectAlternativeName.getId(),
        Extension.keyUsage.getId(), Extension.basicConstraints.getId());
    boolean[] keyUsage = leaf.getKeyUsage();
    assertThat(keyUsage[0]).as("digitalSignature").isTrue();
    for (int i = 1; i < keyUsage.length; i++) {
      assertThat(keyUsage[i]).as("key usage bit %d", i).isFalse();
    }
    assertThat(leaf.getExtendedKeyUsage()).containsExactlyInAnyOrder(SERVER_AUTH, CLIENT_AUTH);
    assertThat(leaf.getBasicConstraints()).isEqualTo(-1);
    assertThat(leaf.getSubjectX500Principal().getName()).isEmpty();
    assertThat(leaf.getIssuerX500Principal()).isEqualTo(ca.certificate().getSubjectX500Principal());
    assertThat(leaf.getSigAlgName()).isEqualTo("SHA256withECDSA");

    byte[] leafSki = SubjectKeyIdentifier.getInstance(extension(leaf, Extension.subjectKeyIdentifier)).getKeyIdentifier();
    byte[] aki = AuthorityKeyIdentifier.getInstance(extension(leaf, Extension.authorityKeyIdentifier)).getKeyIdentifierObject().getOctets();
    byte[] rootSki = SubjectKeyIdentifier.getInstance(extension(ca.certificate(), Extension.subjectKeyIdentifier)).getKeyIdentifier();
    assertThat(aki).isEqualTo(rootSki);
    assertThat(leafSki).isNotEqualTo(rootSki).hasSize(20);
  }

  @Test
  void leafValidityIsBackdatedAndLastsTheDefaultTtl() {
    X509Certificate leaf = signFresh(ca, CART);

    assertThat(leaf.getNotBefore().toInstant()).isEqualTo(START.minus(Duration.ofMinutes(5)));
    assertThat(leaf.getNotAfter().toInstant()).isEqualTo(START.plus(Duration.ofHours(24)));
  }

  @Test
  void ttlIsConfigurableAndCappedAtTheMaximum() {
    CertificateAuthority custom = CertificateAuthority.builder(TD).clock(clock)
        .leafTtl(Duration.ofHours(1)).maxLeafTtl(Duration.ofHours(2)).backdate(Duration.ZERO).selfSigned();
    KeyPair key = KeyType.EC_P256.generate(TestPki.RANDOM);

    X509Certificate byDefault = custom.sign(CertificateRequests.create(key, CART), CART).leaf();
    X509Certificate tooLong = custom.sign(CertificateRequests.create(key, CART), CART, Duration.ofDays(30)).leaf();

    assertThat(byDefault.getNotBefore().toInstant()).isEqualTo(START);
    assertThat(byDefault.getNotAfter().toInstant()).isEqualTo(START.plus(Duration.ofHours(1)));
    assertThat(tooLong.getNotAfter().toInstant()).isEqualTo(START.plus(Duration.ofHours(2)));
    assertThatThrownBy(() -> custom.sign(CertificateRequests.create(key, CART), CART, Duration.ZERO))
        .hasMessage("ttl: PT0S (expected: > 0)");
  }

  @Test
  void leafNeverOutlivesItsIssuer() {
    CertificateAuthority shortRoot = CertificateAuthority.builder(TD).clock(clock).rootTtl(Duration.ofHours(3)).selfSigned();

    X509Certificate leaf = signFresh(shortRoot, CART);

    assertThat(leaf.getNotAfter()).isEqualTo(shortRoot.certificate().getNotAfter());
    clock.advance(Duration.ofHours(4));
    assertThatThrownBy(() -> signFresh(shortRoot, CART))
        .isInstanceOf(IllegalStateException.class)
        .hasMessageContaining("CA chain expired at " + shortRoot.certificate().getNotAfter().toInstant());
  }

  @Test
  void serialNumbersArePositiveRandomAndAtMost128Bits() {
    Set<BigInteger> serials = new HashSet<>();
    KeyPair key = KeyType.EC_P256.generate(TestPki.RANDOM);
    PKCS10CertificationRequest csr = CertificateRequests.create(key, CART);
    int longest = 0;
    for (int i = 0; i < 32; i++) {
      BigInteger serial = ca.sign(csr, CART).leaf().getSerialNumber();
      assertThat(serial.signum()).isPositive();
      assertThat(serial.bitLength()).isLessThanOrEqualTo(128);
      longest = Math.max(longest, serial.bitLength());
      serials.add(serial);
    }
    assertThat(serials).hasSize(32);
    // 32 draws of 128 random bits all staying under 120 bits has probability 2^-256.
    assertThat(longest).isGreaterThan(120);
  }

  @Test
  void refusesACsrThatAsksForAnotherIdentity() {
    KeyPair key = KeyType.EC_P256.generate(TestPki.RANDOM);
    SpiffeId admin = SpiffeId.forWorkload(TD, "kube-system", "admin");

    assertThatThrownBy(() -> ca.sign(CertificateRequests.create(key, admin), CART))
        .isInstanceOf(CsrRejectedException.class)
        .hasMessage("CSR requests URI SAN \"spiffe://cluster.local/ns/kube-system/sa/admin\" but the caller is"
            + " authenticated as spiffe://cluster.local/ns/shop/sa/cart (expected: no URI SAN or exactly"
            + " spiffe://cluster.local/ns/shop/sa/cart)");
  }

  @Test
  void identityComesFromTheCallerNotFromTheCsr() throws Exception {
    KeyPair key = KeyType.EC_P256.generate(TestPki.RANDOM);
    PKCS10CertificationRequest noSan = new JcaPKCS10CertificationRequestBuilder(new X500Name("CN=whatever"), key.getPublic())
        .build(new JcaContentSignerBuilder("SHA256withECDSA").build(key.getPrivate()));

    X509Certificate leaf = ca.sign(noSan, CART).leaf();

    assertThat(SpiffeId.fromCertificate(leaf)).isEqualTo(CART);
    assertThat(leaf.getSubjectX500Principal().getName()).isEmpty();
  }

  @Test
  void refusesACsrWithABadSignature() throws Exception {
    KeyPair key = KeyType.EC_P256.generate(TestPki.RANDOM);
    KeyPair other = KeyType.EC_P256.generate(TestPki.RANDOM);
    // Claims key's public key but is signed by another key.
    PKCS10CertificationRequest forged = new JcaPKCS10CertificationRequestBuilder(new X500Name("CN=x"), key.getPublic())
        .build(new JcaContentSignerBuilder("SHA256withECDSA").build(other.getPrivate()));

    assertThatThrownBy(() -> ca.sign(forged, CART))
        .isInstanceOf(CsrRejectedException.class)
        .hasMessageContaining("CSR signature does not verify with its own public key");
  }

  @Test
  void acceptsRsa2048AndRefusesWeakRsa() throws Exception {
    X509Certificate rsaLeaf = ca.sign(CertificateRequests.create(KeyType.RSA_2048.generate(TestPki.RANDOM), CART), CART).leaf();
    assertThat(rsaLeaf.getPublicKey().getAlgorithm()).isEqualTo("RSA");

    KeyPairGenerator generator = KeyPairGenerator.getInstance("RSA");
    generator.initialize(1024);
    KeyPair weak = generator.generateKeyPair();
    assertThatThrownBy(() -> ca.sign(CertificateRequests.create(weak, CART), CART))
        .isInstanceOf(CsrRejectedException.class)
        .hasMessage("CSR RSA key has 1024 bits (expected: >= 2048)");
  }

  @Test
  void refusesUnsupportedCurves() throws Exception {
    KeyPairGenerator generator = KeyPairGenerator.getInstance("EC");
    generator.initialize(new java.security.spec.ECGenParameterSpec("secp521r1"));
    KeyPair p521 = generator.generateKeyPair();

    assertThatThrownBy(() -> ca.sign(CertificateRequests.create(p521, CART), CART))
        .isInstanceOf(CsrRejectedException.class)
        .hasMessageContaining("CSR key uses EC curve 1.3.132.0.35 (expected: P-256");
  }

  @Test
  void refusesIdentitiesOutsideItsTrustDomain() {
    SpiffeId foreign = SpiffeId.forWorkload("other.org", "shop", "cart");
    KeyPair key = KeyType.EC_P256.generate(TestPki.RANDOM);

    assertThatThrownBy(() -> ca.sign(CertificateRequests.create(key, foreign), foreign))
        .isInstanceOf(IllegalArgumentException.class)
        .hasMessage("identity spiffe://other.org/ns/shop/sa/cart is in trust domain other.org (expected: cluster.local)");
  }

  @Test
  void selfSignedRootIsACaForTheTrustDomain() throws Exception {
    X509Certificate root = ca.certificate();

    assertThat(root.getBasicConstraints()).isGreaterThanOrEqualTo(0);
    assertThat(root.getKeyUsage()[5]).as("keyCertSign").isTrue();
    assertThat(root.getSubjectX500Principal()).isEqualTo(root.getIssuerX500Principal());
    assertThat(SpiffeId.fromCertificate(root)).isEqualTo(TD.spiffeId());
    assertThat(root.getPublicKey().getAlgorithm()).isEqualTo("EC");
    root.verify(root.getPublicKey());
  }

  @Test
  void intermediateLoadedFromPemIssuesLeavesThatChainToTheRoot() throws Exception {
    KeyPair intermediateKey = KeyType.EC_P256.generate(TestPki.RANDOM);
    CertificateChain intermediateChain = ca.issueIntermediate(intermediateKey.getPublic(), "Weft intermediate", Duration.ofDays(30));
    String keyPem = Pem.writePrivateKey(intermediateKey.getPrivate());
    String chainPem = intermediateChain.toPem();

    CertificateAuthority intermediate = CertificateAuthority.builder(TD).clock(clock).loadPem(keyPem, chainPem);
    KeyPair leafKey = KeyType.EC_P256.generate(TestPki.RANDOM);
    CertificateChain leafChain = intermediate.sign(CertificateRequests.create(leafKey, CART), CART);

    assertThat(intermediateChain.certificates()).hasSize(2);
    assertThat(leafChain.certificates()).hasSize(2);
    assertThat(leafChain.intermediates()).containsExactly(intermediateChain.leaf());
    assertThat(leafChain.leaf().getIssuerX500Principal()).isEqualTo(intermediateChain.leaf().getSubjectX500Principal());
    TrustBundle rootOnly = TrustBundle.of(TD, ca.rootCertificate());
    assertThat(rootOnly.verify(leafChain.certificates(), PeerRole.CLIENT, clock)).isEqualTo(CART);
    // Without the intermediate the leaf does not lead to the root.
    assertThatThrownBy(() -> rootOnly.verify(List.of(leafChain.leaf()), PeerRole.CLIENT, clock))
        .isInstanceOf(PeerVerificationException.class)
        .hasMessageContaining("does not lead to a trusted root of trust domain cluster.local");
    // A peer that also sends the root is accepted.
    List<X509Certificate> withRoot = new java.util.ArrayList<>(leafChain.certificates());
    withRoot.add(ca.rootCertificate());
    assertThat(rootOnly.verify(withRoot, PeerRole.SERVER, clock)).isEqualTo(CART);
  }

  @Test
  void loadingRefusesANonCaCertificate() throws Exception {
    KeyPair leafKey = KeyType.EC_P256.generate(TestPki.RANDOM);
    X509Certificate leaf = ca.sign(CertificateRequests.create(leafKey, CART), CART).leaf();

    assertThatThrownBy(() -> CertificateAuthority.builder(TD).clock(clock).load(leafKey.getPrivate(), List.of(leaf)))
        .isInstanceOf(IllegalArgumentException.class)
        .hasMessageContaining("CA chain certificate 0: certificate")
        .hasMessageContaining("is not a CA certificate (expected: basicConstraints CA:true)");
  }

  @Test
  void loadingRefusesACaWithoutKeyCertSign() throws Exception {
    TestPki.Issuer noSign = TestPki.selfSignedCa("no-sign", false, START.minus(Duration.ofDays(1)), START.plus(Duration.ofDays(1)));

    assertThatThrownBy(() -> CertificateAuthority.builder(TD).clock(clock)
            .load(noSign.keyPair().getPrivate(), List.of(noSign.certificate())))
        .hasMessageContaining("lacks keyUsage keyCertSign (expected: keyCertSign set)");
  }

  @Test
  void loadingRefusesAKeyThatDoesNotMatchTheCertificate() {
    KeyPair stranger = KeyType.EC_P256.generate(TestPki.RANDOM);

    assertThatThrownBy(() -> CertificateAuthority.builder(TD).clock(clock).load(stranger.getPrivate(), ca.chain()))
        .hasMessageContaining("CA private key (EC) does not belong to the issuing certificate");
  }

  @Test
  void loadingRefusesAChainOutOfOrder() {
    KeyPair intermediateKey = KeyType.EC_P256.generate(TestPki.RANDOM);
    CertificateChain chain = ca.issueIntermediate(intermediateKey.getPublic(), "Weft intermediate", Duration.ofDays(30));
    CertificateAuthority otherRoot = CertificateAuthority.builder(TD).clock(clock).selfSigned();
    List<X509Certificate> wrongParent = List.of(chain.leaf(), otherRoot.certificate());

    assertThatThrownBy(() -> CertificateAuthority.builder(TD).clock(clock).load(intermediateKey.getPrivate(), wrongParent))
        .hasMessageContaining("CA chain certificate 0 ")
        .hasMessageContaining("is not signed by certificate 1");
  }

  @Test
  void loadingRefusesACaOfAnotherTrustDomain() {
    CertificateAuthority other = CertificateAuthority.builder(TrustDomain.of("other.org")).clock(clock).selfSigned();
    KeyPair intermediateKey = KeyType.EC_P256.generate(TestPki.RANDOM);
    CertificateChain chain = other.issueIntermediate(intermediateKey.getPublic(), "other", Duration.ofDays(1));

    assertThatThrownBy(() -> CertificateAuthority.builder(TD).clock(clock).load(intermediateKey.getPrivate(), chain.certificates()))
        .hasMessageContaining("names trust domain other.org (expected: cluster.local)");
  }

  @Test
  void toStringDoesNotRevealTheKey() throws Exception {
    KeyPair intermediateKey = KeyType.EC_P256.generate(TestPki.RANDOM);
    CertificateChain chain = ca.issueIntermediate(intermediateKey.getPublic(), "i", Duration.ofDays(1));
    CertificateAuthority loaded = CertificateAuthority.builder(TD).clock(clock).load(intermediateKey.getPrivate(), chain.certificates());

    assertThat(loaded.toString())
        .contains("cluster.local", "signingKey=<EC key redacted>")
        .doesNotContain(Pem.writePrivateKey(intermediateKey.getPrivate()).lines().skip(1).findFirst().orElseThrow())
        .doesNotContain(((java.security.interfaces.ECPrivateKey) intermediateKey.getPrivate()).getS().toString())
        .doesNotContain(((java.security.interfaces.ECPrivateKey) intermediateKey.getPrivate()).getS().toString(16));
  }

  @Test
  void csrExtensionRequestWithDnsNamesIsNotCopied() throws Exception {
    KeyPair key = KeyType.EC_P256.generate(TestPki.RANDOM);
    ExtensionsGenerator extensions = new ExtensionsGenerator();
    extensions.addExtension(Extension.subjectAlternativeName, false,
        new GeneralNames(new GeneralName(GeneralName.dNSName, "evil.example.org")));
    PKCS10CertificationRequest csr = new JcaPKCS10CertificationRequestBuilder(new X500Name("CN=x"), key.getPublic())
        .addAttribute(PKCSObjectIdentifiers.pkcs_9_at_extensionRequest, extensions.generate())
        .build(new JcaContentSignerBuilder("SHA256withECDSA").build(key.getPrivate()));

    X509Certificate leaf = ca.sign(csr, CART).leaf();

    assertThat(leaf.getSubjectAlternativeNames()).containsExactly(List.of(6, CART.toString()));
  }

  private X509Certificate signFresh(CertificateAuthority authority, SpiffeId id) {
    KeyPair key = KeyType.EC_P256.generate(TestPki.RANDOM);
    return authority.sign(CertificateRequests.create(key, id), id).leaf();
  }

  private static byte[] extension(X509Certificate certificate, org.bouncycastle.asn1.ASN1ObjectIdentifier oid) {
    return ASN1OctetString.getInstance(certificate.getExtensionValue(oid.getId())).getOctets();
  }
}

package dev.weft.certs;

import static org.assertj.core.api.Assertions.assertThat;
import static org.assertj.core.api.Assertions.assertThatThrownBy;

import java.security.KeyPair;
import java.security.cert.X509Certificate;
import java.time.Duration;
import java.time.Instant;
import java.util.List;
import java.util.Map;

import org.bouncycastle.asn1.x509.KeyPurposeId;
import org.junit.jupiter.api.Test;

class TrustBundleTest {

  private static final TrustDomain TD = TrustDomain.of("cluster.local");
  private static final SpiffeId CART = SpiffeId.forWorkload(TD, "shop", "cart");
  private static final Instant START = Instant.parse("2026-03-01T12:00:00Z");

  private final MutableClock clock = new MutableClock(START);
  private final CertificateAuthority ca = CertificateAuthority.builder(TD).clock(clock).selfSigned();

  @Test
  void bundleWithOldAndNewRootVerifiesLeavesOfBoth() throws Exception {
    CertificateAuthority newCa = CertificateAuthority.builder(TD).clock(clock).selfSigned();
    CertificateChain oldLeaf = issue(ca, CART);
    CertificateChain newLeaf = issue(newCa, CART);
    TrustBundle both = TrustBundle.of(TD, ca.rootCertificate()).withRoot(TD, newCa.rootCertificate());

    assertThat(both.rootsFor(TD)).containsExactly(ca.rootCertificate(), newCa.rootCertificate());
    assertThat(both.verify(oldLeaf.certificates(), PeerRole.CLIENT, clock)).isEqualTo(CART);
    assertThat(both.verify(newLeaf.certificates(), PeerRole.CLIENT, clock)).isEqualTo(CART);

    TrustBundle rotated = both.withoutRoot(TD, ca.rootCertificate());
    assertThat(rotated.verify(newLeaf.certificates(), PeerRole.CLIENT, clock)).isEqualTo(CART);
    assertThatThrownBy(() -> rotated.verify(oldLeaf.certificates(), PeerRole.CLIENT, clock))
        .isInstanceOf(PeerVerificationException.class);
  }

  @Test
  void rejectsAnExpiredLeaf() {
    CertificateChain leaf = issue(ca, CART);
    clock.advance(Duration.ofHours(25));

    assertThatThrownBy(() -> TrustBundle.of(TD, ca.rootCertificate()).verify(leaf.certificates(), PeerRole.CLIENT, clock))
        .isInstanceOf(PeerVerificationException.class)
        .hasMessageContaining("chain of peer " + CART + ": certificate 0")
        .hasMessageContaining("expired at " + START.plus(Duration.ofHours(24)))
        .hasMessageContaining("(validation time " + START.plus(Duration.ofHours(25)) + ")");
  }

  @Test
  void rejectsALeafNotYetValid() {
    clock.advance(Duration.ofHours(1));
    CertificateChain leaf = issue(ca, CART);
    Instant early = START.plus(Duration.ofMinutes(54));

    assertThatThrownBy(() -> TrustBundle.of(TD, ca.rootCertificate()).verify(leaf.certificates(), PeerRole.CLIENT, early))
        .isInstanceOf(PeerVerificationException.class)
        .hasMessageContaining("is not valid until " + START.plus(Duration.ofMinutes(55)))
        .hasMessageContaining("(validation time " + early + ")");
  }

  @Test
  void acceptsALeafWithinTheBackdateWindow() throws Exception {
    CertificateChain leaf = issue(ca, CART);

    assertThat(TrustBundle.of(TD, ca.rootCertificate())
        .verify(leaf.certificates(), PeerRole.SERVER, START.minus(Duration.ofMinutes(4)))).isEqualTo(CART);
  }

  @Test
  void rejectsALeafFromAnotherCaOfTheSameTrustDomain() {
    CertificateAuthority rogue = CertificateAuthority.builder(TD).clock(clock).selfSigned();
    CertificateChain leaf = issue(rogue, CART);

    assertThatThrownBy(() -> TrustBundle.of(TD, ca.rootCertificate()).verify(leaf.certificates(), PeerRole.CLIENT, clock))
        .isInstanceOf(PeerVerificationException.class)
        .hasMessageContaining("chain of peer " + CART + " does not lead to a trusted root of trust domain cluster.local");
  }

  @Test
  void rejectsAPeerOfATrustDomainTheBundleDoesNotKnow() {
    TrustDomain other = TrustDomain.of("other.org");
    CertificateAuthority otherCa = CertificateAuthority.builder(other).clock(clock).selfSigned();
    SpiffeId stranger = SpiffeId.forWorkload(other, "shop", "cart");

    assertThatThrownBy(() -> TrustBundle.of(TD, ca.rootCertificate()).verify(issue(otherCa, stranger).certificates(), PeerRole.CLIENT, clock))
        .isInstanceOf(PeerVerificationException.class)
        .hasMessage("peer spiffe://other.org/ns/shop/sa/cart is in trust domain other.org but the bundle has no roots"
            + " for it (expected one of: [cluster.local])");
  }

  @Test
  void rootsOfOneTrustDomainCannotVouchForAnother() {
    // A CA holding the other.org root key but configured to mint cluster.local identities.
    TrustDomain other = TrustDomain.of("other.org");
    KeyPair rootKey = KeyType.EC_P256.generate(TestPki.RANDOM);
    CertificateAuthority otherCa = CertificateAuthority.builder(other).clock(clock).selfSigned();
    CertificateChain intermediate = otherCa.issueIntermediate(rootKey.getPublic(), "cross", Duration.ofDays(1));
    TestPki.Issuer crossSigner = new TestPki.Issuer(rootKey, intermediate.leaf());
    TrustBundle federated = TrustBundle.of(TD, ca.rootCertificate()).withRoot(other, otherCa.rootCertificate());

    assertThatThrownBy(() -> {
      X509Certificate forged = TestPki.leaf(crossSigner, KeyType.EC_P256.generate(TestPki.RANDOM),
          List.of(CART.toString()), List.of(KeyPurposeId.id_kp_clientAuth), START, START.plus(Duration.ofHours(1)));
      federated.verify(List.of(forged, intermediate.leaf()), PeerRole.CLIENT, clock);
    }).isInstanceOf(PeerVerificationException.class)
        .hasMessageContaining("does not lead to a trusted root of trust domain cluster.local");
  }

  @Test
  void requiresTheExtendedKeyUsageOfThePeersRole() throws Exception {
    TestPki.Issuer issuer = TestPki.selfSignedCa("test root", true, START.minus(Duration.ofDays(1)), START.plus(Duration.ofDays(1)));
    KeyPair key = KeyType.EC_P256.generate(TestPki.RANDOM);
    X509Certificate serverOnly = TestPki.leaf(issuer, key, List.of(CART.toString()), List.of(KeyPurposeId.id_kp_serverAuth),
        START.minus(Duration.ofHours(1)), START.plus(Duration.ofHours(1)));
    X509Certificate noEku = TestPki.leaf(issuer, key, List.of(CART.toString()), List.of(),
        START.minus(Duration.ofHours(1)), START.plus(Duration.ofHours(1)));
    TrustBundle bundle = TrustBundle.of(TD, issuer.certificate());

    assertThat(bundle.verify(List.of(serverOnly), PeerRole.SERVER, clock)).isEqualTo(CART);
    assertThatThrownBy(() -> bundle.verify(List.of(serverOnly), PeerRole.CLIENT, clock))
        .isInstanceOf(PeerVerificationException.class)
        .hasMessage("peer " + CART + " leaf has extendedKeyUsage [1.3.6.1.5.5.7.3.1] (expected: clientAuth"
            + " 1.3.6.1.5.5.7.3.2 for a client)");
    assertThatThrownBy(() -> bundle.verify(List.of(noEku), PeerRole.SERVER, clock))
        .hasMessage("peer " + CART + " leaf has no extendedKeyUsage (expected: serverAuth for a server)");
  }

  @Test
  void rejectsLeavesWithoutASingleSpiffeId() throws Exception {
    TestPki.Issuer issuer = TestPki.selfSignedCa("test root", true, START.minus(Duration.ofDays(1)), START.plus(Duration.ofDays(1)));
    X509Certificate twoIds = TestPki.leaf(issuer, KeyType.EC_P256.generate(TestPki.RANDOM),
        List.of(CART.toString(), "spiffe://cluster.local/ns/shop/sa/admin"), List.of(KeyPurposeId.id_kp_clientAuth),
        START.minus(Duration.ofHours(1)), START.plus(Duration.ofHours(1)));

    assertThatThrownBy(() -> TrustBundle.of(TD, issuer.certificate()).verify(List.of(twoIds), PeerRole.CLIENT, clock))
        .isInstanceOf(PeerVerificationException.class)
        .hasMessageContaining("peer leaf has no usable SPIFFE ID")
        .hasMessageContaining("has 2 URI SANs");
  }

  @Test
  void rejectsACaCertificatePresentedAsLeaf() {
    assertThatThrownBy(() -> TrustBundle.of(TD, ca.rootCertificate()).verify(ca.chain(), PeerRole.CLIENT, clock))
        .isInstanceOf(PeerVerificationException.class)
        .hasMessageContaining("is a CA certificate (expected: basicConstraints CA:false)");
  }

  @Test
  void rejectsAnEmptyChainAndAnExpiredRoot() {
    TrustBundle bundle = TrustBundle.of(TD, ca.rootCertificate());
    assertThatThrownBy(() -> bundle.verify(List.of(), PeerRole.CLIENT, clock))
        .hasMessage("peer presented no certificates (expected: leaf first, then intermediates)");

    CertificateChain leaf = issue(ca, CART);
    Instant afterRoot = ca.rootCertificate().getNotAfter().toInstant().plusSeconds(1);
    assertThatThrownBy(() -> bundle.verify(leaf.certificates(), PeerRole.CLIENT, afterRoot))
        .hasMessageContaining("no root of trust domain cluster.local is valid at " + afterRoot);
  }

  @Test
  void onlyAcceptsCaCertificatesAsRoots() {
    CertificateChain leaf = issue(ca, CART);

    assertThatThrownBy(() -> TrustBundle.of(TD, leaf.leaf()))
        .isInstanceOf(IllegalArgumentException.class)
        .hasMessageContaining("root for trust domain cluster.local: certificate")
        .hasMessageContaining("is not a CA certificate");
    assertThatThrownBy(() -> new TrustBundle(Map.of(TD, List.of())))
        .hasMessage("trust domain cluster.local has no roots (expected: at least one)");
  }

  @Test
  void roundTripsThroughPemAndIsAnImmutableValue() {
    TrustBundle bundle = TrustBundle.of(TD, ca.rootCertificate());

    TrustBundle read = TrustBundle.fromPem(TD, bundle.toPem(TD));

    assertThat(read).isEqualTo(bundle);
    assertThat(read.trustDomains()).containsExactly(TD);
    assertThat(bundle.withRoot(TD, ca.rootCertificate())).isEqualTo(bundle);
    assertThat(bundle.withoutRoot(TD, ca.rootCertificate()).trustDomains()).isEmpty();
    assertThat(bundle.allRoots()).containsExactly(ca.rootCertificate());
    assertThat(bundle.toString()).contains("cluster.local=", "Weft root CA cluster.local");
  }

  private static CertificateChain issue(CertificateAuthority authority, SpiffeId id) {
    KeyPair key = KeyType.EC_P256.generate(TestPki.RANDOM);
    return authority.sign(CertificateRequests.create(key, id), id);
  }
}

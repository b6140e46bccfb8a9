package dev.weft.certs;

import static org.assertj.core.api.Assertions.assertThat;
import static org.assertj.core.api.Assertions.assertThatThrownBy;

import java.security.KeyPair;
import java.util.List;
import java.util.function.Supplier;

import org.junit.jupiter.api.Test;

/**
 * {@link CertifiedKey#of(java.security.KeyPair, CertificateChain)}: with the key pair at hand, the
 * leaf is checked against its public key by encoding, with no signature; the constructor keeps its
 * own check.
 */
class CertifiedKeyTest {

  private static final TrustDomain TD = TrustDomain.of("cluster.local");
  private static final SpiffeId CART = SpiffeId.forWorkload(TD, "shop", "cart");

  private final CertificateAuthority ca = CertificateAuthority.builder(TD).selfSigned();

  /** What a construction gave and how many signatures it took. */
  private record Made(CertifiedKey key, long signatures) {}

  private static Made make(Supplier<CertifiedKey> construction) {
    long before = Certificates.SIGNATURE_CHECKS.get();
    CertifiedKey key = construction.get();
    return new Made(key, Certificates.SIGNATURE_CHECKS.get() - before);
  }

  private CertificateChain issue(KeyPair key) {
    return ca.sign(CertificateRequests.create(key, CART), CART);
  }

  @Test
  void ofAcceptsTheKeyPairItsLeafCertifiesWithoutSigning() {
    for (KeyType type : List.of(KeyType.EC_P256, KeyType.EC_P384)) {
      KeyPair pair = type.generate(TestPki.RANDOM);
      CertificateChain chain = issue(pair);

      Made of = make(() -> CertifiedKey.of(pair, chain));
      // The JDK's in-memory EC key embeds no public point: the constructor has to sign.
      Made constructed = make(() -> new CertifiedKey(pair.getPrivate(), chain));

      assertThat(of.signatures()).as(type.name()).isZero();
      assertThat(of.key().privateKey()).isSameAs(pair.getPrivate());
      assertThat(of.key().chain()).isSameAs(chain);
      assertThat(of.key()).isEqualTo(constructed.key());
      assertThat(constructed.signatures()).as(type.name()).isEqualTo(1);
    }
  }

  @Test
  void ofRefusesAKeyPairTheLeafDoesNotCertify() {
    KeyPair pair = KeyType.EC_P256.generate(TestPki.RANDOM);
    KeyPair other = KeyType.EC_P256.generate(TestPki.RANDOM);
    CertificateChain chain = issue(pair);
    long signatures = Certificates.SIGNATURE_CHECKS.get();

    assertThatThrownBy(() -> CertifiedKey.of(other, chain))
        .isInstanceOf(IllegalArgumentException.class)
        .hasMessage("private key (EC) does not belong to the leaf certificate " + Certificates.describe(chain.leaf()));
    // The pair's public key is what is compared: the right private key with another public key is refused.
    assertThatThrownBy(() -> CertifiedKey.of(new KeyPair(other.getPublic(), pair.getPrivate()), chain))
        .isInstanceOf(IllegalArgumentException.class)
        .hasMessageContaining("does not belong to the leaf certificate")
        .hasMessageContaining(chain.leaf().getSerialNumber().toString(16));
    assertThatThrownBy(() -> CertifiedKey.of(KeyType.RSA_2048.generate(TestPki.RANDOM), chain))
        .isInstanceOf(IllegalArgumentException.class)
        .hasMessage("private key (RSA) does not belong to the leaf certificate " + Certificates.describe(chain.leaf()));
    assertThat(Certificates.SIGNATURE_CHECKS.get()).isEqualTo(signatures);
  }

  @Test
  void theConstructorStillChecksEveryOtherPairing() {
    KeyPair pair = KeyType.EC_P256.generate(TestPki.RANDOM);
    KeyPair other = KeyType.EC_P256.generate(TestPki.RANDOM);
    CertificateChain chain = issue(pair);

    CertifiedKey.of(pair, chain);

    assertThatThrownBy(() -> new CertifiedKey(other.getPrivate(), chain))
        .isInstanceOf(IllegalArgumentException.class)
        .hasMessage("private key (EC) does not belong to the leaf certificate " + Certificates.describe(chain.leaf()));
  }
}

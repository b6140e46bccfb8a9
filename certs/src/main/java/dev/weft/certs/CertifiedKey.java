package dev.weft.certs;

import java.security.KeyPair;
import java.security.PrivateKey;
import java.security.PublicKey;
import java.security.cert.X509Certificate;
import java.time.Instant;
import java.util.Objects;

/**
 * A private key with the certificate chain issued for it: what a sidecar presents in a TLS
 * handshake. Immutable, so a holder such as {@link WorkloadIdentity} swaps key and chain together
 * in one write and readers never see a key paired with another key's certificate.
 *
 * <p>{@link #toString()} never includes key material.
 *
 * @param privateKey the private key matching the leaf's public key
 * @param chain the leaf certificate followed by its intermediates
 */
public record CertifiedKey(PrivateKey privateKey, CertificateChain chain) {

  /**
   * The key and chain {@link #of(KeyPair, CertificateChain)} has already checked, bound while it
   * calls the canonical constructor (which a record always runs) so that the constructor skips
   * its own check for exactly that key and chain object.
   */
  private static final ScopedValue<Checked> CHECKED = ScopedValue.newInstance();

  private record Checked(PrivateKey privateKey, CertificateChain chain) {}

  /**
   * Checks that the key belongs to the leaf; see {@link Certificates#keysMatch}, which may sign
   * and verify to decide. When the key pair is at hand, {@link #of(KeyPair, CertificateChain)}
   * decides without cryptography.
   *
   * @throws IllegalArgumentException if the leaf's public key was not made for {@code privateKey}
   */
  public CertifiedKey {
    Objects.requireNonNull(privateKey, "privateKey");
    Objects.requireNonNull(chain, "chain");
    Checked checked = CHECKED.isBound() ? CHECKED.get() : null;
    boolean alreadyChecked = checked != null && checked.privateKey() == privateKey && checked.chain() == chain;
    if (!alreadyChecked && !Certificates.keysMatch(privateKey, chain.leaf().getPublicKey())) {
      throw notTheLeafsKey(privateKey, chain);
    }
  }

  /**
   * Pairs the private half of a key pair with the chain issued for it, checking that the leaf
   * certifies the pair's public key, compared by encoding: exact, and with no signature, unlike
   * the constructor, which has only the private key and may have to sign to tell. For a key pair
   * just generated and certified, such as {@link WorkloadIdentity}'s.
   *
   * <p>The pair itself is trusted to be a pair, as {@link java.security.KeyPairGenerator} makes
   * them; the check is that the certificate is for this key, not that the key is sound.
   *
   * @param pair the key pair whose public key the leaf certifies
   * @param chain the leaf certificate followed by its intermediates
   * @return the pair's private key with {@code chain}
   * @throws IllegalArgumentException if the leaf certifies another public key
   */
  public static CertifiedKey of(KeyPair pair, CertificateChain chain) {
    Objects.requireNonNull(pair, "pair");
    Objects.requireNonNull(chain, "chain");
    PrivateKey privateKey = Objects.requireNonNull(pair.getPrivate(), "pair.getPrivate()");
    PublicKey publicKey = Objects.requireNonNull(pair.getPublic(), "pair.getPublic()");
    if (!Certificates.sameKey(publicKey, chain.leaf().getPublicKey())) {
      throw notTheLeafsKey(privateKey, chain);
    }
    return ScopedValue.where(CHECKED, new Checked(privateKey, chain)).call(() -> new CertifiedKey(privateKey, chain));
  }

  private static IllegalArgumentException notTheLeafsKey(PrivateKey privateKey, CertificateChain chain) {
    return new IllegalArgumentException("private key (" + privateKey.getAlgorithm()
        + ") does not belong to the leaf certificate " + Certificates.describe(chain.leaf()));
  }

  /** Returns the leaf certificate. */
  public X509Certificate leaf() {
    return chain.leaf();
  }

  /** Returns the SPIFFE ID the leaf certifies. */
  public SpiffeId spiffeId() {
    return chain.spiffeId();
  }

  /** Returns the leaf's notBefore. */
  public Instant notBefore() {
    return leaf().getNotBefore().toInstant();
  }

  /** Returns the leaf's notAfter. */
  public Instant notAfter() {
    return leaf().getNotAfter().toInstant();
  }

  /** Describes the certificate; the private key appears only as its algorithm. */
  @Override
  public String toString() {
    return "CertifiedKey[leaf=" + Certificates.describe(leaf()) + ", notAfter=" + notAfter()
        + ", chainLength=" + chain.certificates().size() + ", privateKey=<" + privateKey.getAlgorithm()
        + " key redacted>]";
  }
}

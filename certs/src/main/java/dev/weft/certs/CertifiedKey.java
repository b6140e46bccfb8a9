package dev.weft.certs;

import java.security.PrivateKey;
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
   * Checks that the key belongs to the leaf.
   *
   * @throws IllegalArgumentException if the leaf's public key was not made for {@code privateKey}
   */
  public CertifiedKey {
    Objects.requireNonNull(privateKey, "privateKey");
    Objects.requireNonNull(chain, "chain");
    if (!Certificates.keysMatch(privateKey, chain.leaf().getPublicKey())) {
      throw new IllegalArgumentException("private key (" + privateKey.getAlgorithm()
          + ") does not belong to the leaf certificate " + Certificates.describe(chain.leaf()));
    }
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

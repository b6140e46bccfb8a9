package dev.weft.certs;

import java.security.cert.X509Certificate;
import java.time.Instant;
import java.util.List;
import java.util.Objects;
import java.util.stream.Collectors;

/**
 * An X.509 certificate chain, leaf first, each certificate issued by the next. As handed out by
 * the CA it holds the leaf and any intermediates but not the trust anchor (root), which peers take
 * from their {@link TrustBundle}.
 *
 * @param certificates the certificates, leaf first; never empty
 */
public record CertificateChain(List<X509Certificate> certificates) {

  /**
   * Copies the list.
   *
   * @throws IllegalArgumentException if the list is empty
   */
  public CertificateChain {
    certificates = List.copyOf(Objects.requireNonNull(certificates, "certificates"));
    if (certificates.isEmpty()) {
      throw new IllegalArgumentException("certificate chain is empty (expected: at least a leaf)");
    }
  }

  /** Returns a chain of the given certificates, leaf first. */
  public static CertificateChain of(X509Certificate... certificates) {
    return new CertificateChain(List.of(certificates));
  }

  /**
   * Reads a chain from PEM, leaf first.
   *
   * @throws PemException if the text holds no certificate or something other than certificates
   */
  public static CertificateChain fromPem(String pem) {
    return new CertificateChain(Pem.readCertificates(pem));
  }

  /** Returns the first certificate, the one the chain is for. */
  public X509Certificate leaf() {
    return certificates.getFirst();
  }

  /** Returns the certificates after the leaf. */
  public List<X509Certificate> intermediates() {
    return certificates.subList(1, certificates.size());
  }

  /** Returns the leaf's SPIFFE ID; see {@link SpiffeId#fromCertificate(X509Certificate)}. */
  public SpiffeId spiffeId() {
    return SpiffeId.fromCertificate(leaf());
  }

  /** Returns when the leaf stops being valid. */
  public Instant notAfter() {
    return leaf().getNotAfter().toInstant();
  }

  /** Returns the chain as concatenated PEM {@code CERTIFICATE} blocks. */
  public String toPem() {
    return Pem.writeCertificates(certificates);
  }

  @Override
  public String toString() {
    return certificates.stream().map(Certificates::describe).collect(Collectors.joining(", ", "CertificateChain[", "]"));
  }
}

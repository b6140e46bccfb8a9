package dev.weft.controlplane.ca;

import dev.weft.certs.CertificateAuthority;
import dev.weft.certs.InvalidSpiffeIdException;
import dev.weft.certs.Pem;
import dev.weft.certs.SpiffeId;
import dev.weft.certs.TrustDomain;
import java.io.IOException;
import java.nio.file.Files;
import java.nio.file.Path;
import java.security.PrivateKey;
import java.security.cert.X509Certificate;
import java.time.Clock;
import java.time.Duration;
import java.util.ArrayList;
import java.util.List;
import java.util.Objects;
import java.util.Optional;

/**
 * The CA key and certificates the control plane signs with, as kept on disk.
 *
 * <p>Two directory layouts are understood, checked in this order:
 *
 * <ul>
 *   <li><b>Plug-in CA</b> (Istio's file names): {@code ca-cert.pem} (the issuing intermediate),
 *       {@code ca-key.pem}, {@code cert-chain.pem} (the intermediate's chain up to the root; it may
 *       start with {@code ca-cert.pem} or with its issuer) and {@code root-cert.pem}. Workload
 *       certificates then chain to the organisation's root.
 *   <li><b>Weft root</b>, as written by {@code weft ca init}: {@code root-cert.pem} and {@code
 *       root-key.pem} (mode 0600).
 * </ul>
 *
 * @param signingKey the private key of {@code chain.get(0)}
 * @param chain the issuing CA certificate first, then its issuers
 * @param roots the trust anchors handed to workloads
 */
public record CaMaterial(PrivateKey signingKey, List<X509Certificate> chain, List<X509Certificate> roots) {

  /** Weft root certificate file name. */
  public static final String ROOT_CERT = "root-cert.pem";
  /** Weft root key file name. */
  public static final String ROOT_KEY = "root-key.pem";
  /** Plug-in CA certificate file name. */
  public static final String CA_CERT = "ca-cert.pem";
  /** Plug-in CA key file name. */
  public static final String CA_KEY = "ca-key.pem";
  /** Plug-in CA chain file name. */
  public static final String CERT_CHAIN = "cert-chain.pem";

  /**
   * Copies the lists.
   *
   * @throws IllegalArgumentException if the chain or the roots are empty
   */
  public CaMaterial {
    Objects.requireNonNull(signingKey, "signingKey");
    chain = List.copyOf(Objects.requireNonNull(chain, "chain"));
    roots = List.copyOf(Objects.requireNonNull(roots, "roots"));
    if (chain.isEmpty()) {
      throw new IllegalArgumentException("CA chain is empty (expected: the issuing CA certificate first)");
    }
    if (roots.isEmpty()) {
      throw new IllegalArgumentException("CA roots are empty (expected: at least one trust anchor)");
    }
  }

  /**
   * Generates a new self-signed root for {@code trustDomain}.
   *
   * @param trustDomain the trust domain the root certifies
   * @param ttl the root's lifetime
   * @param clock dates the certificate
   */
  public static CaMaterial newRoot(TrustDomain trustDomain, Duration ttl, Clock clock) {
    CaCertificates.Issued root = CaCertificates.selfSignedRoot(trustDomain, ttl, clock);
    return new CaMaterial(root.key(), List.of(root.certificate()), List.of(root.certificate()));
  }

  /**
   * Loads the CA from a directory in either layout described on this type.
   *
   * @throws IOException if a file cannot be read
   * @throws IllegalArgumentException naming the directory and the files expected when neither
   *     layout is complete, or when a file does not hold what it should
   */
  public static CaMaterial load(Path directory) throws IOException {
    Objects.requireNonNull(directory, "directory");
    Path caCert = directory.resolve(CA_CERT);
    Path caKey = directory.resolve(CA_KEY);
    Path rootCert = directory.resolve(ROOT_CERT);
    if (Files.exists(caCert) || Files.exists(caKey)) {
      requireFiles(directory, "plug-in CA", caCert, caKey, rootCert);
      X509Certificate issuing = Pem.readCertificates(caCert).getFirst();
      List<X509Certificate> chain = new ArrayList<>();
      chain.add(issuing);
      Path chainFile = directory.resolve(CERT_CHAIN);
      if (Files.exists(chainFile)) {
        for (X509Certificate certificate : Pem.readCertificates(chainFile)) {
          if (!chain.contains(certificate)) {
            chain.add(certificate);
          }
        }
      }
      List<X509Certificate> roots = Pem.readCertificates(rootCert);
      // Complete the chain with the root when cert-chain.pem stops below it, so that the CA can
      // check the whole path and its notAfter bound.
      X509Certificate top = chain.getLast();
      for (X509Certificate root : roots) {
        if (!chain.contains(root) && top.getIssuerX500Principal().equals(root.getSubjectX500Principal())) {
          chain.add(root);
          break;
        }
      }
      return new CaMaterial(Pem.readPrivateKey(caKey), chain, roots);
    }
    Path rootKey = directory.resolve(ROOT_KEY);
    if (Files.exists(rootCert) || Files.exists(rootKey)) {
      requireFiles(directory, "Weft root CA", rootCert, rootKey);
      List<X509Certificate> root = Pem.readCertificates(rootCert);
      return new CaMaterial(Pem.readPrivateKey(rootKey), root, root);
    }
    throw new IllegalArgumentException("no CA in " + directory + " (expected: " + ROOT_CERT + " + " + ROOT_KEY
        + " from 'weft ca init', or a plug-in CA: " + CA_CERT + " + " + CA_KEY + " + " + CERT_CHAIN + " + "
        + ROOT_CERT + ")");
  }

  /**
   * Writes {@code root-cert.pem} (0644) and {@code root-key.pem} (0600) into {@code directory},
   * creating it if needed.
   *
   * @throws IllegalStateException if this CA is not a self-signed root
   */
  public void writeRoot(Path directory) throws IOException {
    if (chain.size() != 1 || !chain.getFirst().equals(roots.getFirst())) {
      throw new IllegalStateException("CA is an intermediate (chain of " + chain.size()
          + "); only a self-signed root is written as " + ROOT_CERT + " + " + ROOT_KEY);
    }
    Files.createDirectories(directory);
    Pem.writePrivateKey(directory.resolve(ROOT_KEY), signingKey);
    Pem.writeCertificates(directory.resolve(ROOT_CERT), roots);
  }

  /** Returns the issuing CA certificate. */
  public X509Certificate certificate() {
    return chain.getFirst();
  }

  /** Returns the trust domain named by the issuing certificate's SPIFFE ID, if it carries one. */
  public Optional<TrustDomain> trustDomain() {
    try {
      return Optional.of(SpiffeId.fromCertificate(certificate()).trustDomain());
    } catch (InvalidSpiffeIdException e) {
      return Optional.empty();
    }
  }

  /**
   * Returns the trust domain from the CA certificate, or {@code fallback} for a CA from another PKI
   * that carries no SPIFFE ID.
   *
   * @throws IllegalArgumentException if the certificate names a trust domain other than a given
   *     {@code explicit} one
   */
  public TrustDomain trustDomain(Optional<TrustDomain> explicit, TrustDomain fallback) {
    Optional<TrustDomain> own = trustDomain();
    if (own.isPresent() && explicit.isPresent() && !own.get().equals(explicit.get())) {
      throw new IllegalArgumentException("CA certificate is for trust domain " + own.get() + " but trust domain "
          + explicit.get() + " was asked for (expected: the CA's own trust domain)");
    }
    return own.or(() -> explicit).orElse(fallback);
  }

  /**
   * Builds the CA that signs workload certificates with this material.
   *
   * @param builder a builder carrying the trust domain and lifetimes
   */
  public CertificateAuthority authority(CertificateAuthority.Builder builder) {
    return builder.load(signingKey, chain);
  }

  /** Describes the CA; the key appears only as its algorithm. */
  @Override
  public String toString() {
    return "CaMaterial[certificate=" + certificate().getSubjectX500Principal().getName() + ", chainLength="
        + chain.size() + ", roots=" + roots.size() + ", signingKey=<" + signingKey.getAlgorithm() + " key redacted>]";
  }

  private static void requireFiles(Path directory, String layout, Path... files) {
    List<String> missing = new ArrayList<>();
    for (Path file : files) {
      if (!Files.isRegularFile(file)) {
        missing.add(file.getFileName().toString());
      }
    }
    if (!missing.isEmpty()) {
      throw new IllegalArgumentException(directory + " looks like a " + layout + " but lacks " + String.join(", ", missing));
    }
  }
}

package dev.weft.certs;

import java.security.GeneralSecurityException;
import java.security.InvalidAlgorithmParameterException;
import java.security.cert.CertPath;
import java.security.cert.CertPathValidator;
import java.security.cert.CertPathValidatorException;
import java.security.cert.CertificateFactory;
import java.security.cert.CertificateParsingException;
import java.security.cert.PKIXParameters;
import java.security.cert.TrustAnchor;
import java.security.cert.X509Certificate;
import java.time.Clock;
import java.time.Instant;
import java.util.ArrayList;
import java.util.Collection;
import java.util.Date;
import java.util.HashSet;
import java.util.LinkedHashSet;
import java.util.List;
import java.util.Map;
import java.util.Objects;
import java.util.Set;
import java.util.TreeMap;
import java.util.stream.Collectors;

/**
 * The trusted roots of one or more trust domains, and PKIX verification of peers against them.
 *
 * <p>A trust domain may have several roots at once, so a root can be rotated with overlap: add the
 * new root, reissue workloads, then remove the old root once its leaves have expired. A peer's
 * chain is checked only against the roots of the trust domain named in its own SPIFFE ID, so a CA
 * of one trust domain can never vouch for identities of another.
 *
 * <pre>{@code
 * TrustBundle bundle = TrustBundle.of(td, ca.rootCertificate());
 * SpiffeId peer = bundle.verify(presentedChain, PeerRole.CLIENT, clock);
 * }</pre>
 *
 * <p>Immutable; the {@code with...} methods return new bundles.
 *
 * @param roots trust anchors per trust domain; each list non-empty and free of duplicates
 */
public record TrustBundle(Map<TrustDomain, List<X509Certificate>> roots) {

  /**
   * Copies the map and checks every root is a CA certificate.
   *
   * @throws IllegalArgumentException if a root is not a CA certificate with keyCertSign, or a
   *     trust domain has no roots
   */
  public TrustBundle {
    Objects.requireNonNull(roots, "roots");
    Map<TrustDomain, List<X509Certificate>> copy = new TreeMap<>();
    roots.forEach((domain, certificates) -> {
      Objects.requireNonNull(domain, "trust domain");
      if (certificates.isEmpty()) {
        throw new IllegalArgumentException("trust domain " + domain + " has no roots (expected: at least one)");
      }
      for (X509Certificate root : certificates) {
        String problem = Certificates.signingCaProblem(root);
        if (problem != null) {
          throw new IllegalArgumentException("root for trust domain " + domain + ": " + problem);
        }
      }
      copy.put(domain, List.copyOf(new LinkedHashSet<>(certificates)));
    });
    roots = java.util.Collections.unmodifiableMap(copy);
  }

  /** Returns a bundle with no roots; it verifies nothing. */
  public static TrustBundle empty() {
    return new TrustBundle(Map.of());
  }

  /** Returns a bundle with the given roots for one trust domain. */
  public static TrustBundle of(TrustDomain trustDomain, X509Certificate... roots) {
    return new TrustBundle(Map.of(trustDomain, List.of(roots)));
  }

  /**
   * Reads the roots of one trust domain from PEM.
   *
   * @throws PemException if the text is not certificates
   */
  public static TrustBundle fromPem(TrustDomain trustDomain, String pem) {
    return new TrustBundle(Map.of(trustDomain, Pem.readCertificates(pem)));
  }

  /** Returns a bundle that also trusts {@code root} for {@code trustDomain}. */
  public TrustBundle withRoot(TrustDomain trustDomain, X509Certificate root) {
    Map<TrustDomain, List<X509Certificate>> next = new TreeMap<>(roots);
    List<X509Certificate> list = new ArrayList<>(next.getOrDefault(trustDomain, List.of()));
    list.add(root);
    next.put(trustDomain, list);
    return new TrustBundle(next);
  }

  /** Returns a bundle without {@code root} for {@code trustDomain}; the domain disappears with its last root. */
  public TrustBundle withoutRoot(TrustDomain trustDomain, X509Certificate root) {
    Map<TrustDomain, List<X509Certificate>> next = new TreeMap<>(roots);
    List<X509Certificate> list = new ArrayList<>(next.getOrDefault(trustDomain, List.of()));
    list.remove(root);
    if (list.isEmpty()) {
      next.remove(trustDomain);
    } else {
      next.put(trustDomain, list);
    }
    return new TrustBundle(next);
  }

  /** Returns the roots of {@code trustDomain}, empty if the bundle does not know it. */
  public List<X509Certificate> rootsFor(TrustDomain trustDomain) {
    return roots.getOrDefault(trustDomain, List.of());
  }

  /** Returns the trust domains the bundle has roots for. */
  public Set<TrustDomain> trustDomains() {
    return roots.keySet();
  }

  /** Returns every root of every trust domain, for example to configure a TLS trust manager. */
  public List<X509Certificate> allRoots() {
    return roots.values().stream().flatMap(List::stream).distinct().toList();
  }

  /** Returns the roots of {@code trustDomain} as concatenated PEM. */
  public String toPem(TrustDomain trustDomain) {
    return Pem.writeCertificates(rootsFor(trustDomain));
  }

  /**
   * Verifies a presented chain and returns the peer's identity, at the clock's current time.
   *
   * @see #verify(List, PeerRole, Instant)
   */
  public SpiffeId verify(List<X509Certificate> chain, PeerRole role, Clock clock) throws PeerVerificationException {
    return verify(chain, role, clock.instant());
  }

  /**
   * Verifies a presented chain (leaf first, then intermediates; a trailing root that is in the
   * bundle is ignored) and returns the peer's SPIFFE ID.
   *
   * <p>The leaf must carry exactly one SPIFFE URI SAN, must not be a CA, and must allow the
   * extended key usage {@code role} needs. The chain must then pass PKIX validation at {@code time}
   * against the roots of the leaf's trust domain that are themselves valid at {@code time}, with
   * revocation checking off.
   *
   * @param chain the peer's certificates, leaf first
   * @param role what the peer is in this connection, deciding the required extendedKeyUsage
   * @param time the validation time
   * @return the peer's SPIFFE ID
   * @throws PeerVerificationException naming the reason the chain is not trusted
   */
  public SpiffeId verify(List<X509Certificate> chain, PeerRole role, Instant time) throws PeerVerificationException {
    Objects.requireNonNull(chain, "chain");
    Objects.requireNonNull(role, "role");
    Objects.requireNonNull(time, "time");
    if (chain.isEmpty()) {
      throw new PeerVerificationException("peer presented no certificates (expected: leaf first, then intermediates)");
    }
    X509Certificate leaf = chain.getFirst();
    SpiffeId id;
    try {
      id = SpiffeId.fromCertificate(leaf);
    } catch (InvalidSpiffeIdException e) {
      throw new PeerVerificationException("peer leaf has no usable SPIFFE ID: " + e.getMessage(), e);
    }
    if (leaf.getBasicConstraints() >= 0) {
      throw new PeerVerificationException("peer leaf " + Certificates.describe(leaf) + " for " + id
          + " is a CA certificate (expected: basicConstraints CA:false)");
    }
    checkExtendedKeyUsage(leaf, id, role);

    List<X509Certificate> domainRoots = rootsFor(id.trustDomain());
    if (domainRoots.isEmpty()) {
      throw new PeerVerificationException("peer " + id + " is in trust domain " + id.trustDomain()
          + " but the bundle has no roots for it (expected one of: " + trustDomains() + ")");
    }
    Date date = Date.from(time);
    Set<TrustAnchor> anchors = new HashSet<>();
    for (X509Certificate root : domainRoots) {
      if (!date.before(root.getNotBefore()) && !date.after(root.getNotAfter())) {
        anchors.add(new TrustAnchor(root, null));
      }
    }
    if (anchors.isEmpty()) {
      throw new PeerVerificationException("no root of trust domain " + id.trustDomain() + " is valid at " + time
          + " (roots: " + describeAll(domainRoots) + ")");
    }

    List<X509Certificate> path = new ArrayList<>(chain);
    // A peer may send its root too; PKIX wants the path without the anchor.
    while (path.size() > 1 && domainRoots.contains(path.getLast())) {
      path.removeLast();
    }
    try {
      CertPath certPath = CertificateFactory.getInstance("X.509").generateCertPath(path);
      PKIXParameters parameters = new PKIXParameters(anchors);
      parameters.setRevocationEnabled(false);
      parameters.setDate(date);
      CertPathValidator.getInstance("PKIX").validate(certPath, parameters);
    } catch (CertPathValidatorException e) {
      throw new PeerVerificationException(describeFailure(e, path, id, time), e);
    } catch (InvalidAlgorithmParameterException e) {
      throw new PeerVerificationException("cannot set up PKIX validation for " + id + ": " + e.getMessage(), e);
    } catch (GeneralSecurityException e) {
      throw new PeerVerificationException("cannot validate chain of " + id + ": " + e.getMessage(), e);
    }
    return id;
  }

  @Override
  public String toString() {
    return roots.entrySet().stream()
        .map(e -> e.getKey() + "=" + describeAll(e.getValue()))
        .collect(Collectors.joining(", ", "TrustBundle[", "]"));
  }

  private static void checkExtendedKeyUsage(X509Certificate leaf, SpiffeId id, PeerRole role)
      throws PeerVerificationException {
    List<String> usages;
    try {
      usages = leaf.getExtendedKeyUsage();
    } catch (CertificateParsingException e) {
      throw new PeerVerificationException("peer " + id + " has an unparsable extendedKeyUsage: " + e.getMessage(), e);
    }
    if (usages == null) {
      throw new PeerVerificationException("peer " + id + " leaf has no extendedKeyUsage (expected: "
          + role.requiredUsageName() + " for a " + role.name().toLowerCase(java.util.Locale.ROOT) + ")");
    }
    if (!usages.contains(role.requiredUsageOid())) {
      throw new PeerVerificationException("peer " + id + " leaf has extendedKeyUsage " + usages + " (expected: "
          + role.requiredUsageName() + " " + role.requiredUsageOid() + " for a "
          + role.name().toLowerCase(java.util.Locale.ROOT) + ")");
    }
  }

  private static String describeFailure(CertPathValidatorException e, List<X509Certificate> path, SpiffeId id,
      Instant time) {
    int index = e.getIndex();
    String where = index >= 0 && index < path.size()
        ? "certificate " + index + " " + Certificates.describe(path.get(index))
        : "the chain";
    String reason = e.getReason() == null ? "" : e.getReason().toString();
    if (e.getReason() == CertPathValidatorException.BasicReason.EXPIRED && index >= 0 && index < path.size()) {
      return "chain of peer " + id + ": " + where + " expired at " + path.get(index).getNotAfter().toInstant()
          + " (validation time " + time + ")";
    }
    if (e.getReason() == CertPathValidatorException.BasicReason.NOT_YET_VALID && index >= 0 && index < path.size()) {
      return "chain of peer " + id + ": " + where + " is not valid until " + path.get(index).getNotBefore().toInstant()
          + " (validation time " + time + ")";
    }
    if (e.getReason() == CertPathValidatorException.BasicReason.UNSPECIFIED || index < 0) {
      return "chain of peer " + id + " does not lead to a trusted root of trust domain " + id.trustDomain() + ": "
          + e.getMessage();
    }
    return "chain of peer " + id + " rejected at " + where + " (" + reason + "): " + e.getMessage();
  }

  private static String describeAll(Collection<X509Certificate> certificates) {
    return certificates.stream().map(Certificates::describe).collect(Collectors.joining(", ", "[", "]"));
  }
}

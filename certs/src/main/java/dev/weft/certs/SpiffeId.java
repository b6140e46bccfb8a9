package dev.weft.certs;

import java.net.URI;
import java.nio.charset.StandardCharsets;
import java.security.cert.CertificateParsingException;
import java.security.cert.X509Certificate;
import java.util.ArrayList;
import java.util.Collection;
import java.util.List;
import java.util.Objects;
import java.util.Optional;

/**
 * A SPIFFE ID: {@code spiffe://<trust-domain><path>}, validated per the SPIFFE ID specification.
 *
 * <p>Weft workloads use the form {@code spiffe://<trust-domain>/ns/<namespace>/sa/<service-account>};
 * build one with {@link #forWorkload(TrustDomain, String, String)} and read it back with {@link
 * #namespace()} and {@link #serviceAccount()}. Any other valid path is accepted by {@link
 * #parse(String)} too, since peers in federated trust domains may use other forms.
 *
 * <pre>{@code
 * SpiffeId id = SpiffeId.parse("spiffe://cluster.local/ns/shop/sa/cart");
 * id.namespace();      // Optional[shop]
 * id.serviceAccount(); // Optional[cart]
 * }</pre>
 *
 * @param trustDomain the trust domain
 * @param path the path: empty, or one or more {@code /segment} parts
 */
public record SpiffeId(TrustDomain trustDomain, String path) {

  /** The only scheme a SPIFFE ID may have, with its authority separator. */
  public static final String PREFIX = "spiffe://";

  /** Longest SPIFFE ID (in bytes) the SPIFFE specification allows. */
  public static final int MAX_LENGTH = 2048;

  private static final int URI_SAN = 6;

  /**
   * Validates the path and total length.
   *
   * @throws InvalidSpiffeIdException if the path or the whole ID is invalid
   */
  public SpiffeId {
    Objects.requireNonNull(trustDomain, "trustDomain");
    Objects.requireNonNull(path, "path");
    String problem = pathProblem(path, PREFIX.length() + trustDomain.name().length());
    if (problem == null) {
      int length = PREFIX.length() + trustDomain.name().length() + path.getBytes(StandardCharsets.UTF_8).length;
      if (length > MAX_LENGTH) {
        problem = "SPIFFE ID is " + length + " bytes long (expected: at most " + MAX_LENGTH + ")";
      }
    }
    if (problem != null) {
      throw new InvalidSpiffeIdException(
          "invalid SPIFFE ID \"" + abbreviate(PREFIX + trustDomain.name() + path) + "\": " + problem);
    }
  }

  /**
   * Parses and validates a SPIFFE ID.
   *
   * @param id a string such as {@code spiffe://cluster.local/ns/shop/sa/cart}
   * @return the SPIFFE ID
   * @throws InvalidSpiffeIdException naming what is wrong with {@code id}
   */
  public static SpiffeId parse(String id) {
    Objects.requireNonNull(id, "id");
    String problem = problemWith(id);
    if (problem != null) {
      throw new InvalidSpiffeIdException("invalid SPIFFE ID \"" + abbreviate(id) + "\": " + problem);
    }
    int pathStart = id.indexOf('/', PREFIX.length());
    if (pathStart < 0) {
      return new SpiffeId(new TrustDomain(id.substring(PREFIX.length())), "");
    }
    return new SpiffeId(new TrustDomain(id.substring(PREFIX.length(), pathStart)), id.substring(pathStart));
  }

  /**
   * Returns the SPIFFE ID with the given trust domain and path segments.
   *
   * @param trustDomain the trust domain
   * @param segments path segments, each non-empty, not {@code .} or {@code ..}, of {@code [a-zA-Z0-9.-_]}
   * @return {@code spiffe://<trustDomain>/<segment>/<segment>...}
   * @throws InvalidSpiffeIdException if a segment is invalid
   */
  public static SpiffeId of(TrustDomain trustDomain, String... segments) {
    StringBuilder path = new StringBuilder();
    for (String segment : segments) {
      Objects.requireNonNull(segment, "segment");
      if (segment.indexOf('/') >= 0) {
        throw new InvalidSpiffeIdException(
            "invalid path segment \"" + segment + "\": contains '/' (expected: a single segment)");
      }
      path.append('/').append(segment);
    }
    return new SpiffeId(trustDomain, path.toString());
  }

  /**
   * Returns the Weft workload identity {@code spiffe://<trustDomain>/ns/<namespace>/sa/<serviceAccount>}.
   *
   * @param trustDomain the mesh trust domain
   * @param namespace the Kubernetes namespace
   * @param serviceAccount the Kubernetes service account
   * @return the workload SPIFFE ID
   * @throws InvalidSpiffeIdException if the namespace or service account is not a valid path segment
   */
  public static SpiffeId forWorkload(TrustDomain trustDomain, String namespace, String serviceAccount) {
    return of(trustDomain, "ns", namespace, "sa", serviceAccount);
  }

  /**
   * Returns the Weft workload identity for a trust domain given by name.
   *
   * @see #forWorkload(TrustDomain, String, String)
   */
  public static SpiffeId forWorkload(String trustDomain, String namespace, String serviceAccount) {
    return forWorkload(TrustDomain.of(trustDomain), namespace, serviceAccount);
  }

  /**
   * Extracts the single SPIFFE ID from a certificate's URI subject alternative names.
   *
   * @param certificate an X.509-SVID
   * @return the SPIFFE ID of its only URI SAN
   * @throws InvalidSpiffeIdException if the certificate has no URI SAN, more than one, or the URI is
   *     not a valid SPIFFE ID
   */
  public static SpiffeId fromCertificate(X509Certificate certificate) {
    Objects.requireNonNull(certificate, "certificate");
    List<String> uris = new ArrayList<>();
    try {
      Collection<List<?>> sans = certificate.getSubjectAlternativeNames();
      if (sans != null) {
        for (List<?> san : sans) {
          if (san.size() >= 2 && Integer.valueOf(URI_SAN).equals(san.get(0))) {
            uris.add(String.valueOf(san.get(1)));
          }
        }
      }
    } catch (CertificateParsingException e) {
      throw new InvalidSpiffeIdException(
          "certificate " + Certificates.describe(certificate) + " has an unparsable subjectAltName extension: "
              + e.getMessage());
    }
    if (uris.size() != 1) {
      throw new InvalidSpiffeIdException("certificate " + Certificates.describe(certificate) + " has "
          + uris.size() + " URI SANs " + uris + " (expected: exactly one spiffe:// URI)");
    }
    return parse(uris.getFirst());
  }

  /** Returns true if this is a Weft workload ID of the form {@code /ns/<namespace>/sa/<serviceAccount>}. */
  public boolean isWorkload() {
    return workloadSegments() != null;
  }

  /** Returns the namespace of a Weft workload ID, or empty if the path is not {@code /ns/<ns>/sa/<sa>}. */
  public Optional<String> namespace() {
    String[] segments = workloadSegments();
    return segments == null ? Optional.empty() : Optional.of(segments[2]);
  }

  /** Returns the service account of a Weft workload ID, or empty if the path is not {@code /ns/<ns>/sa/<sa>}. */
  public Optional<String> serviceAccount() {
    String[] segments = workloadSegments();
    return segments == null ? Optional.empty() : Optional.of(segments[4]);
  }

  /** Returns true if this ID belongs to {@code domain}. */
  public boolean isMemberOf(TrustDomain domain) {
    return trustDomain.equals(domain);
  }

  /** Returns this ID as a URI. */
  public URI toUri() {
    return URI.create(toString());
  }

  /** Returns the ID in its string form, {@code spiffe://<trust-domain><path>}. */
  @Override
  public String toString() {
    return PREFIX + trustDomain.name() + path;
  }

  private String[] workloadSegments() {
    String[] segments = path.split("/", -1);
    // "/ns/a/sa/b" splits into ["", "ns", "a", "sa", "b"].
    if (segments.length == 5 && segments[1].equals("ns") && segments[3].equals("sa")) {
      return segments;
    }
    return null;
  }

  /** Returns what is wrong with a whole SPIFFE ID string, or null if it is valid. */
  private static String problemWith(String id) {
    if (id.isEmpty()) {
      return "empty (expected: spiffe://<trust-domain>[/path])";
    }
    if (!id.startsWith(PREFIX)) {
      int colon = id.indexOf(':');
      if (colon > 0 && id.substring(0, colon).equalsIgnoreCase("spiffe") && !id.startsWith("spiffe:")) {
        return "scheme \"" + id.substring(0, colon) + "\" is not lowercase (expected: spiffe://)";
      }
      return colon > 0 && id.startsWith("://", colon)
          ? "scheme is \"" + id.substring(0, colon) + "\" (expected: spiffe)"
          : "does not start with \"spiffe://\"";
    }
    int length = id.getBytes(StandardCharsets.UTF_8).length;
    if (length > MAX_LENGTH) {
      return "SPIFFE ID is " + length + " bytes long (expected: at most " + MAX_LENGTH + ")";
    }
    int pathStart = id.indexOf('/', PREFIX.length());
    String authority = pathStart < 0 ? id.substring(PREFIX.length()) : id.substring(PREFIX.length(), pathStart);
    String rest = pathStart < 0 ? "" : id.substring(pathStart);
    // Report a query or fragment anywhere by name rather than as a stray character.
    int query = id.indexOf('?');
    int fragment = id.indexOf('#');
    if (fragment >= 0 && (query < 0 || fragment < query)) {
      return "fragment is not allowed (found '#' at index " + fragment + ")";
    }
    if (query >= 0) {
      return "query is not allowed (found '?' at index " + query + ")";
    }
    if (authority.isEmpty()) {
      return "trust domain is missing (expected: spiffe://<trust-domain>[/path])";
    }
    if (authority.indexOf('@') >= 0) {
      return "user info is not allowed in the trust domain \"" + authority + "\"";
    }
    if (authority.indexOf(':') >= 0) {
      return "port is not allowed in the trust domain \"" + authority + "\"";
    }
    String tdProblem = TrustDomain.problemWith(authority, PREFIX.length());
    if (tdProblem != null) {
      return tdProblem;
    }
    return pathProblem(rest, pathStart);
  }

  /** Returns what is wrong with a path that starts at {@code offset} in the ID, or null if it is valid. */
  private static String pathProblem(String path, int offset) {
    if (path.isEmpty()) {
      return null;
    }
    if (path.charAt(0) != '/') {
      return "path \"" + abbreviate(path) + "\" does not start with '/'";
    }
    int segmentStart = 1;
    for (int i = 1; i <= path.length(); i++) {
      if (i == path.length() || path.charAt(i) == '/') {
        String segment = path.substring(segmentStart, i);
        if (segment.isEmpty()) {
          return i == path.length()
              ? "path has a trailing '/' (expected: no empty segments)"
              : "path has an empty segment at index " + (offset + i) + " (expected: no \"//\")";
        }
        if (segment.equals(".") || segment.equals("..")) {
          return "path has a \"" + segment + "\" segment (expected: no dot segments)";
        }
        segmentStart = i + 1;
        continue;
      }
      char c = path.charAt(i);
      if (!isPathChar(c)) {
        String what = c == '%' ? " (percent-encoding is not allowed)" : "";
        return "path has character " + TrustDomain.describe(c) + " at index " + (offset + i) + what
            + " (expected: a-z, A-Z, 0-9, '.', '-', '_')";
      }
    }
    return null;
  }

  private static boolean isPathChar(char c) {
    return (c >= 'a' && c <= 'z') || (c >= 'A' && c <= 'Z') || (c >= '0' && c <= '9')
        || c == '.' || c == '-' || c == '_';
  }

  private static String abbreviate(String s) {
    return s.length() <= 120 ? s : s.substring(0, 100) + "...(" + s.length() + " chars)";
  }
}

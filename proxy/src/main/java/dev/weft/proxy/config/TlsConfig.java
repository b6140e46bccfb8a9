package dev.weft.proxy.config;

import java.util.List;

/**
 * TLS on one side of a connection, from Envoy's {@code DownstreamTlsContext} (a filter chain's
 * transport socket) or {@code UpstreamTlsContext} (a cluster's).
 *
 * @param certificate      our certificate and key, or null (a client without a certificate)
 * @param trust            roots that peers must chain to, or null (no peer verification; only
 *                         allowed upstream when nothing is required of the server)
 * @param sanMatchers      the peer's certificate must have a SAN matching one of these (empty:
 *                         any SAN)
 * @param alpn             ALPN protocols to offer (client) or accept, in preference order
 * @param minVersion       lowest TLS version ("TLSv1.2" or "TLSv1.3")
 * @param maxVersion       highest TLS version
 * @param requireClientCertificate server side: refuse clients without a valid certificate
 * @param sni              client side: server name to send, or null
 */
public record TlsConfig(
    CertificateSource certificate,
    TrustSource trust,
    List<SanMatcher> sanMatchers,
    List<String> alpn,
    String minVersion,
    String maxVersion,
    boolean requireClientCertificate,
    String sni) {

  public TlsConfig {
    sanMatchers = List.copyOf(sanMatchers);
    alpn = List.copyOf(alpn);
  }

  /** Where a certificate chain and its private key come from. */
  public sealed interface CertificateSource {
    /** PEM files, reloaded when they change. */
    record Files(String chainPath, String keyPath) implements CertificateSource {}

    /** PEM text given inline in the config. */
    record Inline(String chainPem, String keyPem) implements CertificateSource {
      @Override
      public String toString() {
        return "Inline[chain, key=<redacted>]";
      }
    }

    /** A named secret from a secret provider (SDS name, e.g. Istio's "default" workload certificate). */
    record Named(String name) implements CertificateSource {}
  }

  /** Where trusted roots come from. */
  public sealed interface TrustSource {
    /** A PEM bundle file, reloaded when it changes. */
    record File(String path) implements TrustSource {}

    /** PEM roots given inline. */
    record Inline(String pem) implements TrustSource {}

    /** A named validation context from a secret provider (SDS name, e.g. "ROOTCA"). */
    record Named(String name) implements TrustSource {}
  }
}

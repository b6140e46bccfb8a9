package dev.weft.proxy.config;

import java.util.List;

/**
 * A filter chain: which connections it takes, TLS if any, network RBAC, and the terminal
 * network filter that serves them.
 *
 * @param tls         the server side of TLS on this chain (Envoy's {@code DownstreamTlsContext}),
 *                    or null for plaintext
 * @param networkRbac network RBAC filters applied, in order, before the terminal filter
 */
public record FilterChainConfig(String name, FilterChainMatch match, TlsConfig tls, NetworkFilterConfig filter,
    List<RbacConfig> networkRbac) {

  public FilterChainConfig {
    networkRbac = List.copyOf(networkRbac);
  }

  /** A chain with no network RBAC filter. */
  public FilterChainConfig(String name, FilterChainMatch match, TlsConfig tls, NetworkFilterConfig filter) {
    this(name, match, tls, filter, List.of());
  }
}

package dev.weft.proxy.config;

/**
 * A filter chain: which connections it takes, TLS if any, and the terminal network filter that
 * serves them.
 *
 * @param tls the server side of TLS on this chain (Envoy's {@code DownstreamTlsContext}), or
 *            null for plaintext
 */
public record FilterChainConfig(String name, FilterChainMatch match, TlsConfig tls, NetworkFilterConfig filter) {}

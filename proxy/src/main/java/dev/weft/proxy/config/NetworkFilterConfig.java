package dev.weft.proxy.config;

/** The terminal network filter of a chain: HTTP or opaque TCP. */
public sealed interface NetworkFilterConfig permits HttpConnectionManagerConfig, TcpProxyConfig {
  String statPrefix();
}

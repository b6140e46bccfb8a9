package dev.weft.proxy.config;

/** A filter chain: which connections it takes and the terminal network filter that serves them. */
public record FilterChainConfig(String name, FilterChainMatch match, NetworkFilterConfig filter) {}

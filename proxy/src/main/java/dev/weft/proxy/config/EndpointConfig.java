package dev.weft.proxy.config;

/** One upstream endpoint with its load-balancing weight (1 when unset). */
public record EndpointConfig(SocketAddressConfig address, int weight) {}

package dev.weft.proxy.config;

import java.time.Duration;

/**
 * Opaque TCP proxying to one cluster.
 *
 * @param idleTimeout close both sides after this long without bytes in either direction;
 *                    {@link Duration#ZERO} disables
 */
public record TcpProxyConfig(String statPrefix, String cluster, Duration idleTimeout)
    implements NetworkFilterConfig {}

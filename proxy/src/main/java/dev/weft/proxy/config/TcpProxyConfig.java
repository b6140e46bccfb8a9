package dev.weft.proxy.config;

import java.time.Duration;

/**
 * Opaque TCP proxying to one cluster.
 *
 * @param idleTimeout  close both sides after this long without bytes in either direction;
 *                     {@link Duration#ZERO} disables
 * @param hashSourceIp {@code hash_policy: [{source_ip: {}}]}: the connection's hash for RING_HASH
 *                     and MAGLEV is its source IP address
 */
public record TcpProxyConfig(String statPrefix, String cluster, Duration idleTimeout, boolean hashSourceIp)
    implements NetworkFilterConfig {

  public TcpProxyConfig(String statPrefix, String cluster, Duration idleTimeout) {
    this(statPrefix, cluster, idleTimeout, false);
  }
}

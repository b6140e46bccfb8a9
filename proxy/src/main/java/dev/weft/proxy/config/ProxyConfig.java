package dev.weft.proxy.config;

import java.util.List;
import java.util.Map;

/**
 * One complete, validated configuration of a sidecar: what it listens on and which upstream
 * clusters it can route to.
 *
 * @param nodeId     the Envoy node id (informational, shown in the admin API)
 * @param nodeCluster the Envoy node cluster (informational)
 * @param admin      where the admin server listens, or {@code null} for none
 * @param listeners  listeners in configuration order
 * @param clusters   clusters by name
 */
public record ProxyConfig(
    String nodeId,
    String nodeCluster,
    SocketAddressConfig admin,
    List<ListenerConfig> listeners,
    Map<String, ClusterConfig> clusters) {

  public ProxyConfig {
    listeners = List.copyOf(listeners);
    clusters = Map.copyOf(clusters);
  }

  public ClusterConfig cluster(String name) {
    return clusters.get(name);
  }
}

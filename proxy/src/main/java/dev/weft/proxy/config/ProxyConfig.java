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
 * @param routeTables route configurations received by RDS, by name (empty for a static config)
 * @param ads        the ADS stream for dynamic resources, or {@code null} for a static config
 */
public record ProxyConfig(
    String nodeId,
    String nodeCluster,
    SocketAddressConfig admin,
    List<ListenerConfig> listeners,
    Map<String, ClusterConfig> clusters,
    Map<String, RouteTable> routeTables,
    AdsConfig ads) {

  public ProxyConfig {
    listeners = List.copyOf(listeners);
    clusters = Map.copyOf(clusters);
    routeTables = Map.copyOf(routeTables);
  }

  /** A static configuration: no RDS route tables, no ADS. */
  public ProxyConfig(String nodeId, String nodeCluster, SocketAddressConfig admin, List<ListenerConfig> listeners,
      Map<String, ClusterConfig> clusters) {
    this(nodeId, nodeCluster, admin, listeners, clusters, Map.of(), null);
  }

  /** The route table an HTTP connection manager with RDS names, or an empty one while it is unknown. */
  public RouteTable routeTable(String name) {
    RouteTable t = routeTables.get(name);
    return t != null ? t : RouteTable.empty(name);
  }

  public ClusterConfig cluster(String name) {
    return clusters.get(name);
  }
}

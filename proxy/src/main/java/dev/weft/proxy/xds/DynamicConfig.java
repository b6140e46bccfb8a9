package dev.weft.proxy.xds;

import dev.weft.proxy.bootstrap.ConfigTranslator;
import dev.weft.proxy.config.ClusterConfig;
import dev.weft.proxy.config.FilterChainConfig;
import dev.weft.proxy.config.HttpConnectionManagerConfig;
import dev.weft.proxy.config.ListenerConfig;
import dev.weft.proxy.config.ProxyConfig;
import dev.weft.proxy.config.Route;
import dev.weft.proxy.config.RouteAction;
import dev.weft.proxy.config.RouteTable;
import dev.weft.proxy.config.TcpProxyConfig;
import dev.weft.proxy.config.VirtualHost;
import io.envoyproxy.envoy.config.cluster.v3.Cluster;
import io.envoyproxy.envoy.config.endpoint.v3.ClusterLoadAssignment;
import java.util.ArrayList;
import java.util.LinkedHashMap;
import java.util.LinkedHashSet;
import java.util.List;
import java.util.Map;
import java.util.Set;

/**
 * Builds the sidecar's snapshot from the static bootstrap and the accepted xDS resources, with
 * Envoy's warming rules: a cluster goes live once its endpoints (EDS) have arrived; a route
 * configuration once every cluster it names is live; a listener once its route configurations
 * (RDS) and clusters are live. Until the newest version of a resource is ready, the version that
 * was live before keeps serving, so an update never points traffic at something missing.
 */
public final class DynamicConfig {

  /**
   * One assembled snapshot.
   *
   * @param config   what the sidecar should run now
   * @param complete every accepted resource is live at its newest version (and LDS/CDS have
   *                 arrived): the first complete snapshot makes a fresh sidecar ready
   * @param waiting  what is not live yet and why (for logs and the config dump)
   */
  public record Assembled(ProxyConfig config, boolean complete, List<String> waiting) {}

  /** EDS clusters translated with their endpoints, reused while neither changes. */
  private final Map<String, Combined> combined = new LinkedHashMap<>();
  /** The bootstrap's static clusters of type EDS: they take their endpoints over ADS too. */
  private final List<Cluster> staticEds;

  public DynamicConfig(List<Cluster> staticClusters) {
    this.staticEds = staticClusters.stream().filter(c -> c.getType() == Cluster.DiscoveryType.EDS).toList();
  }

  private record Combined(Cluster cluster, ClusterLoadAssignment endpoints, ClusterConfig config) {}

  /**
   * @param base       the static config (static listeners and clusters, admin, ADS settings)
   * @param previous   the snapshot that is live now (its dynamic parts keep serving while newer
   *                   versions warm)
   * @param received   the types that have had at least one accepted response
   */
  public Assembled assemble(ProxyConfig base, ProxyConfig previous, Map<ResourceType, Map<String, XdsResource>> resources,
      Set<ResourceType> received) {
    List<String> waiting = new ArrayList<>();
    boolean complete = true;
    if (base.ads().lds() && !received.contains(ResourceType.LDS)) {
      waiting.add("listeners (LDS) have not arrived");
      complete = false;
    }
    if (base.ads().cds() && !received.contains(ResourceType.CDS)) {
      waiting.add("clusters (CDS) have not arrived");
      complete = false;
    }

    // Clusters: static ones, then CDS clusters that are warm (EDS endpoints present).
    Map<String, ClusterConfig> clusters = new LinkedHashMap<>(base.clusters());
    Map<String, XdsResource> eds = resources.getOrDefault(ResourceType.EDS, Map.of());
    Set<String> seen = new LinkedHashSet<>();
    for (Cluster c : staticEds) {
      seen.add(c.getName());
      XdsResource endpoints = eds.get(ConfigTranslator.edsServiceName(c));
      ClusterConfig live = endpoints == null ? null
          : withEndpoints(c, (ClusterLoadAssignment) endpoints.proto(), waiting);
      if (live != null) {
        clusters.put(c.getName(), live);
      } else {
        complete = false;
        waiting.add("static cluster '" + c.getName() + "' waits for its endpoints (EDS '"
            + ConfigTranslator.edsServiceName(c) + "')");
        clusters.remove(c.getName());
        if (previous != null && previous.cluster(c.getName()) != null) {
          clusters.put(c.getName(), previous.cluster(c.getName()));
        }
      }
    }
    for (XdsResource r : resources.getOrDefault(ResourceType.CDS, Map.of()).values()) {
      Cluster c = (Cluster) r.proto();
      seen.add(c.getName());
      ClusterConfig live = null;
      if (c.getType() != Cluster.DiscoveryType.EDS) {
        live = (ClusterConfig) r.value();
      } else {
        XdsResource endpoints = eds.get(ConfigTranslator.edsServiceName(c));
        if (endpoints != null) {
          live = withEndpoints(c, (ClusterLoadAssignment) endpoints.proto(), waiting);
        }
      }
      if (live == null) {
        complete = false;
        waiting.add("cluster '" + c.getName() + "' waits for its endpoints (EDS '"
            + ConfigTranslator.edsServiceName(c) + "')");
        live = previous == null || base.clusters().containsKey(c.getName()) ? null : previous.cluster(c.getName());
      }
      if (live != null) {
        clusters.putIfAbsent(c.getName(), live);
      }
    }
    combined.keySet().retainAll(seen);

    // Route configurations: live when every cluster they name is live.
    Map<String, RouteTable> routes = new LinkedHashMap<>();
    for (XdsResource r : resources.getOrDefault(ResourceType.RDS, Map.of()).values()) {
      RouteTable table = (RouteTable) r.value();
      Set<String> missing = missing(clustersOf(table), clusters);
      if (missing.isEmpty()) {
        routes.put(r.name(), table);
      } else {
        complete = false;
        waiting.add("route configuration '" + r.name() + "' waits for clusters " + missing);
        if (previous != null && previous.routeTables().containsKey(r.name())
            && missing(clustersOf(previous.routeTables().get(r.name())), clusters).isEmpty()) {
          routes.put(r.name(), previous.routeTables().get(r.name()));
        }
      }
    }

    // Listeners: static ones, then LDS listeners whose routes and clusters are live.
    List<ListenerConfig> listeners = new ArrayList<>(base.listeners());
    Set<String> names = new LinkedHashSet<>();
    base.listeners().forEach(l -> names.add(l.name()));
    for (ListenerConfig l : base.listeners()) {
      String why = notReady(l, clusters, routes);
      if (why != null) {
        complete = false;
        waiting.add("static listener '" + l.name() + "' waits for " + why);
      }
    }
    for (XdsResource r : resources.getOrDefault(ResourceType.LDS, Map.of()).values()) {
      ListenerConfig l = (ListenerConfig) r.value();
      if (!names.add(l.name())) {
        continue;
      }
      String why = notReady(l, clusters, routes);
      if (why == null) {
        listeners.add(l);
        continue;
      }
      complete = false;
      waiting.add("listener '" + l.name() + "' waits for " + why);
      ListenerConfig old = previous == null ? null : find(previous.listeners(), l.name());
      if (old != null && notReady(old, clusters, routes) == null) {
        listeners.add(old);
      }
    }
    ProxyConfig config = new ProxyConfig(base.nodeId(), base.nodeCluster(), base.admin(), listeners, clusters, routes,
        base.ads());
    return new Assembled(config, complete, List.copyOf(waiting));
  }

  /** The route configuration names the accepted listeners (and static ones) ask for. */
  public static Set<String> routeNames(ProxyConfig base, Map<String, XdsResource> lds) {
    Set<String> names = new LinkedHashSet<>();
    base.listeners().forEach(l -> names.addAll(rdsNames(l)));
    lds.values().forEach(r -> names.addAll(rdsNames((ListenerConfig) r.value())));
    return names;
  }

  /** The EDS service names of the accepted EDS clusters. */
  public static Set<String> endpointNames(List<Cluster> staticClusters, Map<String, XdsResource> cds) {
    Set<String> names = new LinkedHashSet<>();
    for (Cluster c : staticClusters) {
      if (c.getType() == Cluster.DiscoveryType.EDS) {
        names.add(ConfigTranslator.edsServiceName(c));
      }
    }
    for (XdsResource r : cds.values()) {
      Cluster c = (Cluster) r.proto();
      if (c.getType() == Cluster.DiscoveryType.EDS) {
        names.add(ConfigTranslator.edsServiceName(c));
      }
    }
    return names;
  }

  private ClusterConfig withEndpoints(Cluster c, ClusterLoadAssignment endpoints, List<String> waiting) {
    Combined known = combined.get(c.getName());
    if (known != null && known.cluster() == c && known.endpoints() == endpoints) {
      return known.config();
    }
    var t = ConfigTranslator.translateCluster(c, endpoints);
    if (!t.ok()) {
      waiting.add("cluster '" + c.getName() + "' with its endpoints is invalid: " + t.describe());
      return null;
    }
    combined.put(c.getName(), new Combined(c, endpoints, t.value()));
    return t.value();
  }

  private static String notReady(ListenerConfig l, Map<String, ClusterConfig> clusters, Map<String, RouteTable> routes) {
    Set<String> rds = rdsNames(l);
    Set<String> missingRoutes = new LinkedHashSet<>(rds);
    missingRoutes.removeAll(routes.keySet());
    if (!missingRoutes.isEmpty()) {
      return "route configurations " + missingRoutes;
    }
    Set<String> missing = missing(clustersOf(l), clusters);
    return missing.isEmpty() ? null : "clusters " + missing;
  }

  private static ListenerConfig find(List<ListenerConfig> list, String name) {
    for (ListenerConfig l : list) {
      if (l.name().equals(name)) {
        return l;
      }
    }
    return null;
  }

  private static Set<String> missing(Set<String> wanted, Map<String, ClusterConfig> clusters) {
    Set<String> m = new LinkedHashSet<>(wanted);
    m.removeAll(clusters.keySet());
    return m;
  }

  static Set<String> rdsNames(ListenerConfig l) {
    Set<String> names = new LinkedHashSet<>();
    for (FilterChainConfig c : chains(l)) {
      if (c.filter() instanceof HttpConnectionManagerConfig h && h.rdsRouteConfigName() != null) {
        names.add(h.rdsRouteConfigName());
      }
    }
    return names;
  }

  /** Clusters a listener names directly: tcp_proxy clusters and those of inline route configs. */
  static Set<String> clustersOf(ListenerConfig l) {
    Set<String> names = new LinkedHashSet<>();
    for (FilterChainConfig c : chains(l)) {
      switch (c.filter()) {
        case TcpProxyConfig t -> names.add(t.cluster());
        case HttpConnectionManagerConfig h -> {
          if (h.rdsRouteConfigName() == null) {
            names.addAll(clustersOf(h.routes()));
          }
        }
      }
    }
    return names;
  }

  static Set<String> clustersOf(RouteTable table) {
    Set<String> names = new LinkedHashSet<>();
    for (VirtualHost vh : table.virtualHosts()) {
      for (Route r : vh.routes()) {
        if (r.action() instanceof RouteAction.Forward f) {
          f.clusters().forEach(t -> names.add(t.cluster()));
        }
      }
    }
    return names;
  }

  private static List<FilterChainConfig> chains(ListenerConfig l) {
    List<FilterChainConfig> all = new ArrayList<>(l.filterChains());
    if (l.defaultFilterChain() != null) {
      all.add(l.defaultFilterChain());
    }
    return all;
  }
}

package dev.weft.controlplane.translate;

import com.google.protobuf.InvalidProtocolBufferException;
import dev.weft.proxy.bootstrap.ConfigError;
import dev.weft.proxy.bootstrap.ConfigTranslator;
import io.envoyproxy.envoy.config.cluster.v3.Cluster;
import io.envoyproxy.envoy.config.core.v3.Metadata;
import io.envoyproxy.envoy.config.endpoint.v3.ClusterLoadAssignment;
import io.envoyproxy.envoy.config.endpoint.v3.LbEndpoint;
import io.envoyproxy.envoy.config.endpoint.v3.LocalityLbEndpoints;
import io.envoyproxy.envoy.config.listener.v3.Filter;
import io.envoyproxy.envoy.config.listener.v3.FilterChain;
import io.envoyproxy.envoy.config.listener.v3.Listener;
import io.envoyproxy.envoy.config.route.v3.Route;
import io.envoyproxy.envoy.config.route.v3.RouteConfiguration;
import io.envoyproxy.envoy.config.route.v3.VirtualHost;
import io.envoyproxy.envoy.extensions.filters.network.http_connection_manager.v3.HttpConnectionManager;
import io.envoyproxy.envoy.extensions.filters.network.http_connection_manager.v3.HttpFilter;
import java.net.InetAddress;
import java.util.ArrayList;
import java.util.HashMap;
import java.util.HashSet;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Map;
import java.util.Set;
import java.util.regex.Matcher;
import java.util.regex.Pattern;

/**
 * Checks translated resources the way a sidecar does when they arrive over xDS: each resource
 * goes through the proxy's own per-resource translation ({@link ConfigTranslator#translateListener},
 * {@code translateRouteConfiguration}, {@code translateCluster} with its endpoints, {@code
 * translateLoadAssignment}: the allow-list of supported fields and every semantic check), so a
 * resource a sidecar would NACK is caught. Then the set as a whole: every RDS and EDS name and
 * every cluster a route names is among the resources (a snapshot's consistency). It also checks
 * what proxyless gRPC clients require beyond Envoy: EDS clusters over ADS, IP literal endpoint
 * addresses, a {@code load_balancing_weight} on every locality, and routers with {@code typed_config}.
 *
 * <p>Messages name the resource: {@code cluster 'outbound|80||a.b.svc.cluster.local': lb_policy: ...}.
 */
final class ResourceValidator {

  private static final String HCM_TYPE =
      "type.googleapis.com/envoy.extensions.filters.network.http_connection_manager.v3.HttpConnectionManager";
  private static final Pattern ROUTE_PATH = Pattern.compile("^\\.?virtual_hosts\\[(\\d+)]\\.routes\\[(\\d+)]");

  private ResourceValidator() {}

  /**
   * One problem found in the resources.
   *
   * @param policy  the policy the faulty resource was translated from ({@code Kind/namespace/name},
   *                from the route's or cluster's {@code weft.policy} metadata), or "" when none
   * @param message what is wrong, naming the resource
   */
  record Problem(String policy, String message) {}

  static List<String> validate(XdsResources resources) {
    return check(resources).stream().map(Problem::message).toList();
  }

  static List<Problem> check(XdsResources resources) {
    List<Problem> problems = new ArrayList<>();
    Map<String, RouteConfiguration> routes = new LinkedHashMap<>();
    for (RouteConfiguration rc : resources.routes()) {
      if (routes.putIfAbsent(rc.getName(), rc) != null) {
        problems.add(new Problem("", "route configuration '" + rc.getName() + "': duplicate name"));
      }
    }
    Map<String, ClusterLoadAssignment> endpoints = new HashMap<>();
    for (ClusterLoadAssignment cla : resources.endpoints()) {
      if (endpoints.putIfAbsent(cla.getClusterName(), cla) != null) {
        problems.add(new Problem("", "endpoints '" + cla.getClusterName() + "': duplicate cluster_name"));
      }
    }
    Map<String, Cluster> clusters = new LinkedHashMap<>();
    for (Cluster c : resources.clusters()) {
      if (clusters.putIfAbsent(c.getName(), c) != null) {
        problems.add(new Problem(policyOf(c.getMetadata()), "cluster '" + c.getName() + "': duplicate name"));
      }
    }

    // Each resource as the sidecar translates it on arrival.
    Set<String> usedRoutes = new HashSet<>();
    Set<String> listenerNames = new HashSet<>();
    for (Listener l : resources.listeners()) {
      if (!listenerNames.add(l.getName())) {
        problems.add(new Problem("", "listener '" + l.getName() + "': duplicate name"));
      }
      report(problems, "listener '" + l.getName() + "'", ConfigTranslator.translateListener(l).errors(), p -> "");
      connectionManagers(l, routes, usedRoutes, problems);
    }
    for (RouteConfiguration rc : routes.values()) {
      report(problems, "route configuration '" + rc.getName() + "'",
          ConfigTranslator.translateRouteConfiguration(rc).errors(), path -> routePolicy(rc, path));
      routeReferences(rc, clusters, problems);
      if (!usedRoutes.contains(rc.getName())) {
        problems.add(new Problem("", "route configuration '" + rc.getName() + "': no listener uses it"));
      }
    }
    for (Cluster c : clusters.values()) {
      String policy = policyOf(c.getMetadata());
      String name = "cluster '" + c.getName() + "'";
      if (c.getType() != Cluster.DiscoveryType.EDS) {
        problems.add(new Problem(policy, name + ": type: " + c.getType()
            + " (expected: EDS; proxyless gRPC clients accept only EDS and aggregate clusters)"));
      }
      ClusterLoadAssignment cla = null;
      if (c.getType() == Cluster.DiscoveryType.EDS) {
        cla = endpoints.get(ConfigTranslator.edsServiceName(c));
        if (cla == null) {
          problems.add(new Problem(policy, name + ": its endpoints (EDS '" + ConfigTranslator.edsServiceName(c)
              + "') are not among the resources"));
        }
      }
      report(problems, name, ConfigTranslator.translateCluster(c, cla).errors(), p -> policy);
    }
    for (ClusterLoadAssignment cla : endpoints.values()) {
      String name = "endpoints '" + cla.getClusterName() + "'";
      Cluster owner = clusters.values().stream()
          .filter(c -> ConfigTranslator.edsServiceName(c).equals(cla.getClusterName())).findFirst().orElse(null);
      String policy = owner == null ? "" : policyOf(owner.getMetadata());
      report(problems, name, ConfigTranslator.translateLoadAssignment(cla).errors(), p -> policy);
      clientChecks(cla, name, policy, problems);
    }
    return problems;
  }

  private static void report(List<Problem> problems, String resource, List<ConfigError> errors,
      java.util.function.Function<String, String> policyOfPath) {
    for (ConfigError e : errors) {
      String path = e.path() == null ? "" : e.path().startsWith(".") ? e.path().substring(1) : e.path();
      problems.add(new Problem(policyOfPath.apply(path),
          resource + ": " + (path.isEmpty() ? "" : path + ": ") + e.message()));
    }
  }

  /** RDS names over ADS, and routers with typed_config. */
  private static void connectionManagers(Listener l, Map<String, RouteConfiguration> routes, Set<String> used,
      List<Problem> problems) {
    List<FilterChain> chains = new ArrayList<>(l.getFilterChainsList());
    if (l.hasDefaultFilterChain()) {
      chains.add(l.getDefaultFilterChain());
    }
    for (FilterChain fc : chains) {
      for (Filter f : fc.getFiltersList()) {
        if (!f.getTypedConfig().getTypeUrl().equals(HCM_TYPE)) {
          continue;
        }
        HttpConnectionManager hcm;
        try {
          hcm = f.getTypedConfig().unpack(HttpConnectionManager.class);
        } catch (InvalidProtocolBufferException e) {
          continue; // the listener's translation reports it
        }
        for (HttpFilter h : hcm.getHttpFiltersList()) {
          if (!h.hasTypedConfig()) {
            problems.add(new Problem("", "listener '" + l.getName() + "': http filter '" + h.getName()
                + "': typed_config is required (proxyless gRPC clients reject a filter without it)"));
          }
        }
        if (hcm.hasRds()) {
          String name = hcm.getRds().getRouteConfigName();
          used.add(name);
          if (!routes.containsKey(name)) {
            problems.add(new Problem("", "listener '" + l.getName() + "': route configuration '" + name
                + "' (RDS) is not among the resources"));
          }
        }
      }
    }
  }

  /** Every cluster a route names must be among the resources. */
  private static void routeReferences(RouteConfiguration rc, Map<String, Cluster> clusters, List<Problem> problems) {
    for (int i = 0; i < rc.getVirtualHostsCount(); i++) {
      VirtualHost vh = rc.getVirtualHosts(i);
      for (int j = 0; j < vh.getRoutesCount(); j++) {
        Route r = vh.getRoutes(j);
        String p = "route configuration '" + rc.getName() + "': virtual_hosts[" + i + "].routes[" + j + "].route";
        List<String> names = new ArrayList<>();
        if (!r.getRoute().getCluster().isEmpty()) {
          names.add(r.getRoute().getCluster());
        }
        r.getRoute().getWeightedClusters().getClustersList().forEach(w -> names.add(w.getName()));
        for (String n : names) {
          if (!clusters.containsKey(n)) {
            problems.add(new Problem(policyOf(r.getMetadata()), p + ": unknown cluster '" + n + "'"));
          }
        }
      }
    }
  }

  private static void clientChecks(ClusterLoadAssignment cla, String name, String policy, List<Problem> problems) {
    for (int i = 0; i < cla.getEndpointsCount(); i++) {
      LocalityLbEndpoints l = cla.getEndpoints(i);
      String p = name + ": endpoints[" + i + "]";
      if (!l.hasLoadBalancingWeight() || l.getLoadBalancingWeight().getValue() == 0) {
        problems.add(new Problem(policy, p + ".load_balancing_weight: missing (expected: >= 1; proxyless gRPC "
            + "clients drop a locality without it)"));
      }
      for (int j = 0; j < l.getLbEndpointsCount(); j++) {
        LbEndpoint e = l.getLbEndpoints(j);
        String host = e.getEndpoint().getAddress().getSocketAddress().getAddress();
        try {
          InetAddress.ofLiteral(host);
        } catch (IllegalArgumentException ex) {
          problems.add(new Problem(policy, p + ".lb_endpoints[" + j + "].endpoint.address.socket_address.address: '"
              + host + "' (expected: an IP literal)"));
        }
      }
    }
  }

  /** The policy behind the route at {@code path} of {@code rc}, from its metadata. */
  private static String routePolicy(RouteConfiguration rc, String path) {
    Matcher m = ROUTE_PATH.matcher(path);
    if (!m.find()) {
      return "";
    }
    int vh = Integer.parseInt(m.group(1));
    int r = Integer.parseInt(m.group(2));
    if (vh >= rc.getVirtualHostsCount() || r >= rc.getVirtualHosts(vh).getRoutesCount()) {
      return "";
    }
    return policyOf(rc.getVirtualHosts(vh).getRoutes(r).getMetadata());
  }

  private static String policyOf(Metadata metadata) {
    var s = metadata.getFilterMetadataMap().get(MeshTranslator.POLICY_METADATA);
    return s == null || !s.containsFields("resource") ? "" : s.getFieldsOrThrow("resource").getStringValue();
  }
}

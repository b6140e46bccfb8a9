package dev.weft.controlplane.translate;

import com.google.protobuf.Any;
import com.google.protobuf.InvalidProtocolBufferException;
import dev.weft.proxy.bootstrap.ConfigError;
import dev.weft.proxy.bootstrap.ConfigException;
import dev.weft.proxy.bootstrap.ConfigTranslator;
import io.envoyproxy.envoy.config.bootstrap.v3.Bootstrap;
import io.envoyproxy.envoy.config.cluster.v3.Cluster;
import io.envoyproxy.envoy.config.core.v3.Node;
import io.envoyproxy.envoy.config.endpoint.v3.ClusterLoadAssignment;
import io.envoyproxy.envoy.config.endpoint.v3.LbEndpoint;
import io.envoyproxy.envoy.config.endpoint.v3.LocalityLbEndpoints;
import io.envoyproxy.envoy.config.listener.v3.Filter;
import io.envoyproxy.envoy.config.listener.v3.FilterChain;
import io.envoyproxy.envoy.config.listener.v3.Listener;
import io.envoyproxy.envoy.config.route.v3.RouteConfiguration;
import io.envoyproxy.envoy.extensions.filters.network.http_connection_manager.v3.HttpConnectionManager;
import io.envoyproxy.envoy.extensions.filters.network.http_connection_manager.v3.HttpFilter;
import java.net.InetAddress;
import java.util.ArrayList;
import java.util.HashMap;
import java.util.List;
import java.util.Map;
import java.util.regex.Matcher;
import java.util.regex.Pattern;

/**
 * Checks translated resources the way a sidecar would: the dynamic resources become a bootstrap
 * whose static resources inline them (RDS route configurations into their connection managers,
 * EDS endpoints into their clusters) and the proxy's own {@link ConfigTranslator} and
 * SupportedFields run over it. Error paths are rewritten to name the resource
 * ({@code cluster 'outbound|80||a.b.svc.cluster.local': lb_policy: ...}).
 *
 * <p>It also checks what proxyless gRPC clients require beyond Envoy: EDS clusters, IP literal
 * endpoint addresses, a {@code load_balancing_weight} on every locality, and a router filter
 * with its {@code typed_config}.
 */
final class ResourceValidator {

  private static final String HCM_TYPE =
      "type.googleapis.com/envoy.extensions.filters.network.http_connection_manager.v3.HttpConnectionManager";
  private static final Pattern LISTENER_PATH = Pattern.compile("^static_resources\\.listeners\\[(\\d+)]");
  private static final Pattern CLUSTER_PATH = Pattern.compile("^static_resources\\.clusters\\[(\\d+)]");
  private static final Pattern ROUTE_PATH =
      Pattern.compile("^listener '([^']*)'\\.filter_chains\\[\\d+]\\.filters\\[\\d+]\\.typed_config\\.route_config");

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
    List<String> errors = new ArrayList<>();
    List<Problem> problems = new ArrayList<>();
    Map<String, RouteConfiguration> routes = new HashMap<>();
    for (RouteConfiguration rc : resources.routes()) {
      if (routes.putIfAbsent(rc.getName(), rc) != null) {
        errors.add("route configuration '" + rc.getName() + "': duplicate name");
      }
    }
    Map<String, ClusterLoadAssignment> endpoints = new HashMap<>();
    for (ClusterLoadAssignment cla : resources.endpoints()) {
      if (endpoints.putIfAbsent(cla.getClusterName(), cla) != null) {
        errors.add("endpoints '" + cla.getClusterName() + "': duplicate cluster_name");
      }
      clientChecks(cla, errors);
    }
    Bootstrap.StaticResources.Builder statics = Bootstrap.StaticResources.newBuilder();
    Map<String, String> routeOwners = new HashMap<>();
    for (Listener l : resources.listeners()) {
      statics.addListeners(inlineRoutes(l, routes, routeOwners, errors));
    }
    for (Cluster c : resources.clusters()) {
      statics.addClusters(inlineEndpoints(c, endpoints, errors));
    }
    for (String name : routes.keySet()) {
      if (!routeOwners.containsKey(name)) {
        errors.add("route configuration '" + name + "': no listener uses it");
      }
    }
    Bootstrap bootstrap = Bootstrap.newBuilder().setNode(Node.newBuilder().setId("validate"))
        .setStaticResources(statics).build();
    for (String e : errors) {
      problems.add(new Problem(policyOf(e, resources), e));
    }
    try {
      ConfigTranslator.translate(bootstrap, Map.of());
    } catch (ConfigException e) {
      for (ConfigError err : e.errors()) {
        problems.add(new Problem(policyOf(err.path(), bootstrap), rename(err, bootstrap, routeOwners)));
      }
    }
    return problems;
  }

  private static final Pattern INLINE_ROUTE = Pattern.compile(
      "^static_resources\\.listeners\\[(\\d+)]\\.filter_chains\\[(\\d+)]\\.filters\\[(\\d+)]\\.typed_config"
          + "\\.route_config\\.virtual_hosts\\[(\\d+)]\\.routes\\[(\\d+)]");
  private static final Pattern NAMED_CLUSTER = Pattern.compile("^cluster '([^']*)'");

  /** The policy behind the route or cluster at a bootstrap path, from its metadata. */
  private static String policyOf(String path, Bootstrap b) {
    if (path == null) {
      return "";
    }
    Matcher m = CLUSTER_PATH.matcher(path);
    if (m.find()) {
      return policyOf(b.getStaticResources().getClusters(Integer.parseInt(m.group(1))).getMetadata());
    }
    m = INLINE_ROUTE.matcher(path);
    if (m.find()) {
      try {
        HttpConnectionManager hcm = b.getStaticResources().getListeners(Integer.parseInt(m.group(1)))
            .getFilterChains(Integer.parseInt(m.group(2))).getFilters(Integer.parseInt(m.group(3)))
            .getTypedConfig().unpack(HttpConnectionManager.class);
        return policyOf(hcm.getRouteConfig().getVirtualHosts(Integer.parseInt(m.group(4)))
            .getRoutes(Integer.parseInt(m.group(5))).getMetadata());
      } catch (InvalidProtocolBufferException | IndexOutOfBoundsException e) {
        return "";
      }
    }
    return "";
  }

  /** The policy behind a cluster named in one of this class's own messages. */
  private static String policyOf(String message, XdsResources resources) {
    Matcher m = NAMED_CLUSTER.matcher(message);
    if (m.find()) {
      return resources.clusters().stream().filter(c -> c.getName().equals(m.group(1))).findFirst()
          .map(c -> policyOf(c.getMetadata())).orElse("");
    }
    return "";
  }

  private static String policyOf(io.envoyproxy.envoy.config.core.v3.Metadata metadata) {
    var s = metadata.getFilterMetadataMap().get(MeshTranslator.POLICY_METADATA);
    return s == null || !s.containsFields("resource") ? "" : s.getFieldsOrThrow("resource").getStringValue();
  }

  /** The listener with every RDS connection manager given its route configuration inline. */
  private static Listener inlineRoutes(Listener l, Map<String, RouteConfiguration> routes,
      Map<String, String> owners, List<String> errors) {
    Listener.Builder b = l.toBuilder();
    for (int i = 0; i < b.getFilterChainsCount(); i++) {
      FilterChain.Builder fc = b.getFilterChainsBuilder(i);
      for (int j = 0; j < fc.getFiltersCount(); j++) {
        Filter f = fc.getFilters(j);
        if (!f.getTypedConfig().getTypeUrl().equals(HCM_TYPE)) {
          continue;
        }
        HttpConnectionManager hcm;
        try {
          hcm = f.getTypedConfig().unpack(HttpConnectionManager.class);
        } catch (InvalidProtocolBufferException e) {
          continue; // the proxy's translator reports it
        }
        routerCheck(l.getName(), hcm, errors);
        if (!hcm.hasRds()) {
          continue;
        }
        String name = hcm.getRds().getRouteConfigName();
        if (!hcm.getRds().getConfigSource().hasAds()) {
          errors.add("listener '" + l.getName() + "': rds.config_source (expected: ads)");
        }
        RouteConfiguration rc = routes.get(name);
        if (rc == null) {
          errors.add("listener '" + l.getName() + "': route configuration '" + name
              + "' (RDS) is not among the resources");
          rc = RouteConfiguration.newBuilder().setName(name).build();
        }
        owners.putIfAbsent(name, l.getName());
        fc.setFilters(j, f.toBuilder().setTypedConfig(Any.pack(hcm.toBuilder().clearRds().setRouteConfig(rc).build())));
      }
    }
    return b.build();
  }

  private static void routerCheck(String listener, HttpConnectionManager hcm, List<String> errors) {
    if (hcm.getHttpFiltersCount() > 0) {
      HttpFilter last = hcm.getHttpFilters(hcm.getHttpFiltersCount() - 1);
      if (!last.hasTypedConfig()) {
        errors.add("listener '" + listener + "': http filter '" + last.getName()
            + "': typed_config is required (proxyless gRPC clients reject a filter without it)");
      }
    }
  }

  /** The cluster as a STATIC cluster holding its EDS endpoints. */
  private static Cluster inlineEndpoints(Cluster c, Map<String, ClusterLoadAssignment> endpoints,
      List<String> errors) {
    if (c.getType() != Cluster.DiscoveryType.EDS) {
      errors.add("cluster '" + c.getName() + "': type " + c.getType()
          + " (expected: EDS; proxyless gRPC clients accept only EDS and aggregate clusters)");
      return c;
    }
    if (!c.getEdsClusterConfig().getEdsConfig().hasAds()) {
      errors.add("cluster '" + c.getName() + "': eds_cluster_config.eds_config (expected: ads)");
    }
    String service = c.getEdsClusterConfig().getServiceName().isEmpty() ? c.getName()
        : c.getEdsClusterConfig().getServiceName();
    ClusterLoadAssignment cla = endpoints.get(service);
    if (cla == null) {
      errors.add("cluster '" + c.getName() + "': its endpoints (EDS '" + service + "') are not among the resources");
      cla = ClusterLoadAssignment.getDefaultInstance();
    }
    return c.toBuilder().setType(Cluster.DiscoveryType.STATIC).clearEdsClusterConfig()
        .setLoadAssignment(cla.toBuilder().setClusterName(c.getName())).build();
  }

  private static void clientChecks(ClusterLoadAssignment cla, List<String> errors) {
    for (int i = 0; i < cla.getEndpointsCount(); i++) {
      LocalityLbEndpoints l = cla.getEndpoints(i);
      String p = "endpoints '" + cla.getClusterName() + "': endpoints[" + i + "]";
      if (!l.hasLoadBalancingWeight() || l.getLoadBalancingWeight().getValue() == 0) {
        errors.add(p + ".load_balancing_weight: missing (expected: >= 1; proxyless gRPC clients drop a "
            + "locality without it)");
      }
      for (int j = 0; j < l.getLbEndpointsCount(); j++) {
        LbEndpoint e = l.getLbEndpoints(j);
        String host = e.getEndpoint().getAddress().getSocketAddress().getAddress();
        try {
          InetAddress.ofLiteral(host);
        } catch (IllegalArgumentException ex) {
          errors.add(p + ".lb_endpoints[" + j + "].endpoint.address.socket_address.address: '" + host
              + "' (expected: an IP literal)");
        }
      }
    }
  }

  /** Rewrites the bootstrap path of an error to the resource it is in. */
  private static String rename(ConfigError err, Bootstrap b, Map<String, String> routeOwners) {
    String path = err.path() == null ? "" : err.path();
    Matcher m = LISTENER_PATH.matcher(path);
    if (m.find()) {
      path = "listener '" + b.getStaticResources().getListeners(Integer.parseInt(m.group(1))).getName() + "'"
          + path.substring(m.end());
      Matcher r = ROUTE_PATH.matcher(path);
      if (r.find()) {
        String owner = r.group(1);
        String route = routeOwners.entrySet().stream().filter(e -> e.getValue().equals(owner))
            .map(Map.Entry::getKey).findFirst().orElse(null);
        if (route != null) {
          path = "route configuration '" + route + "'" + path.substring(r.end());
        }
      }
    } else {
      m = CLUSTER_PATH.matcher(path);
      if (m.find()) {
        path = "cluster '" + b.getStaticResources().getClusters(Integer.parseInt(m.group(1))).getName() + "'"
            + path.substring(m.end());
      }
    }
    return new ConfigError(null, path, err.message()).toString();
  }
}

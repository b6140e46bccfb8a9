package dev.weft.proxy.testkit;

import com.google.protobuf.Any;
import com.google.protobuf.UInt32Value;
import io.envoyproxy.envoy.config.cluster.v3.Cluster;
import io.envoyproxy.envoy.config.core.v3.Address;
import io.envoyproxy.envoy.config.core.v3.AggregatedConfigSource;
import io.envoyproxy.envoy.config.core.v3.ApiVersion;
import io.envoyproxy.envoy.config.core.v3.ConfigSource;
import io.envoyproxy.envoy.config.core.v3.SocketAddress;
import io.envoyproxy.envoy.config.endpoint.v3.ClusterLoadAssignment;
import io.envoyproxy.envoy.config.endpoint.v3.Endpoint;
import io.envoyproxy.envoy.config.endpoint.v3.LbEndpoint;
import io.envoyproxy.envoy.config.endpoint.v3.LocalityLbEndpoints;
import io.envoyproxy.envoy.config.listener.v3.Filter;
import io.envoyproxy.envoy.config.listener.v3.FilterChain;
import io.envoyproxy.envoy.config.listener.v3.Listener;
import io.envoyproxy.envoy.config.route.v3.Route;
import io.envoyproxy.envoy.config.route.v3.RouteAction;
import io.envoyproxy.envoy.config.route.v3.RouteConfiguration;
import io.envoyproxy.envoy.config.route.v3.RouteMatch;
import io.envoyproxy.envoy.config.route.v3.VirtualHost;
import io.envoyproxy.envoy.config.route.v3.WeightedCluster;
import io.envoyproxy.envoy.extensions.filters.http.router.v3.Router;
import io.envoyproxy.envoy.extensions.filters.network.http_connection_manager.v3.HttpConnectionManager;
import io.envoyproxy.envoy.extensions.filters.network.http_connection_manager.v3.HttpFilter;
import io.envoyproxy.envoy.extensions.filters.network.http_connection_manager.v3.Rds;

/**
 * xDS resources in the mesh's shape (HCM with RDS over ADS, EDS clusters over ADS) for tests,
 * and a bootstrap with {@code dynamic_resources} pointing at a test control plane.
 */
public final class XdsResources {
  private XdsResources() {}

  private static final ConfigSource ADS = ConfigSource.newBuilder()
      .setAds(AggregatedConfigSource.getDefaultInstance()).setResourceApiVersion(ApiVersion.V3).build();

  /** A sidecar bootstrap: admin on port 0 and ADS (delta or state of the world) to 127.0.0.1:port. */
  public static String bootstrap(int controlPlanePort, boolean delta) {
    return bootstrap(controlPlanePort, delta, "");
  }

  /**
   * The same, with YAML lines (indented for a cluster's fields, 4 spaces) added to the control
   * plane's cluster, such as a TLS {@code transport_socket}.
   */
  public static String bootstrap(int controlPlanePort, boolean delta, String xdsClusterExtra) {
    return """
        node:
          id: app.default
          cluster: app
          metadata: { namespace: default, workload: app }
        admin:
          address: { socket_address: { address: 127.0.0.1, port_value: 0 } }
        dynamic_resources:
          ads_config:
            api_type: %s
            transport_api_version: V3
            grpc_services:
            - envoy_grpc:
                cluster_name: xds
                retry_policy: { retry_back_off: { base_interval: 0.05s, max_interval: 0.4s } }
          lds_config: { ads: {}, resource_api_version: V3 }
          cds_config: { ads: {}, resource_api_version: V3 }
        static_resources:
          clusters:
          - name: xds
            type: STATIC
            connect_timeout: 1s
            typed_extension_protocol_options:
              envoy.extensions.upstreams.http.v3.HttpProtocolOptions:
                "@type": type.googleapis.com/envoy.extensions.upstreams.http.v3.HttpProtocolOptions
                explicit_http_config: { http2_protocol_options: {} }
        %s
            load_assignment:
              cluster_name: xds
              endpoints:
              - lb_endpoints:
                - endpoint: { address: { socket_address: { address: 127.0.0.1, port_value: %d } } }
        """.formatted(delta ? "DELTA_GRPC" : "GRPC", xdsClusterExtra.stripTrailing(), controlPlanePort);
  }

  /** A listener on 127.0.0.1:0 whose HTTP connection manager takes route configuration {@code routes} by RDS. */
  public static Listener listener(String name, String routes) {
    return listener(name, routes, name);
  }

  /** The same on a fixed port. */
  public static Listener listener(String name, String routes, int port) {
    Listener l = listener(name, routes);
    return l.toBuilder().setAddress(Address.newBuilder().setSocketAddress(SocketAddress.newBuilder()
        .setAddress("127.0.0.1").setPortValue(port))).build();
  }

  /** The same, with another HTTP stat prefix (a changed listener). */
  public static Listener listener(String name, String routes, String statPrefix) {
    HttpConnectionManager hcm = HttpConnectionManager.newBuilder()
        .setStatPrefix(statPrefix)
        .setRds(Rds.newBuilder().setConfigSource(ADS).setRouteConfigName(routes))
        .addHttpFilters(HttpFilter.newBuilder().setName("envoy.filters.http.router")
            .setTypedConfig(Any.pack(Router.getDefaultInstance())))
        .build();
    return Listener.newBuilder()
        .setName(name)
        .setAddress(Address.newBuilder().setSocketAddress(SocketAddress.newBuilder()
            .setAddress("127.0.0.1").setPortValue(0)))
        .addFilterChains(FilterChain.newBuilder().addFilters(Filter.newBuilder()
            .setName("envoy.filters.network.http_connection_manager").setTypedConfig(Any.pack(hcm))))
        .build();
  }

  /** Every path to one cluster. */
  public static RouteConfiguration routes(String name, String cluster) {
    return routes(name, RouteAction.newBuilder().setCluster(cluster).build());
  }

  /** Every path split by weight between clusters: name, weight, name, weight... */
  public static RouteConfiguration weighted(String name, Object... clustersAndWeights) {
    WeightedCluster.Builder w = WeightedCluster.newBuilder();
    for (int i = 0; i < clustersAndWeights.length; i += 2) {
      w.addClusters(WeightedCluster.ClusterWeight.newBuilder().setName((String) clustersAndWeights[i])
          .setWeight(UInt32Value.of((Integer) clustersAndWeights[i + 1])));
    }
    return routes(name, RouteAction.newBuilder().setWeightedClusters(w).build());
  }

  public static RouteConfiguration routes(String name, RouteAction action) {
    return RouteConfiguration.newBuilder()
        .setName(name)
        .addVirtualHosts(VirtualHost.newBuilder().setName("all").addDomains("*")
            .addRoutes(Route.newBuilder().setMatch(RouteMatch.newBuilder().setPrefix("/")).setRoute(action)))
        .build();
  }

  /** An EDS cluster over ADS. */
  public static Cluster edsCluster(String name) {
    return Cluster.newBuilder()
        .setName(name)
        .setType(Cluster.DiscoveryType.EDS)
        .setConnectTimeout(com.google.protobuf.Duration.newBuilder().setSeconds(1))
        .setEdsClusterConfig(Cluster.EdsClusterConfig.newBuilder().setEdsConfig(ADS))
        .build();
  }

  /** Endpoints on 127.0.0.1 ports. */
  public static ClusterLoadAssignment endpoints(String cluster, int... ports) {
    LocalityLbEndpoints.Builder l = LocalityLbEndpoints.newBuilder().setLoadBalancingWeight(UInt32Value.of(1));
    for (int p : ports) {
      l.addLbEndpoints(LbEndpoint.newBuilder().setEndpoint(Endpoint.newBuilder().setAddress(Address.newBuilder()
          .setSocketAddress(SocketAddress.newBuilder().setAddress("127.0.0.1").setPortValue(p)))));
    }
    return ClusterLoadAssignment.newBuilder().setClusterName(cluster).addEndpoints(l).build();
  }
}

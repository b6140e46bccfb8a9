package dev.weft.controlplane.xds;

import com.google.protobuf.Any;
import dev.weft.controlplane.translate.XdsResources;
import io.envoyproxy.envoy.config.core.v3.AggregatedConfigSource;
import io.envoyproxy.envoy.config.core.v3.ApiVersion;
import io.envoyproxy.envoy.config.core.v3.ConfigSource;
import io.envoyproxy.envoy.config.core.v3.Node;
import io.envoyproxy.envoy.config.listener.v3.ApiListener;
import io.envoyproxy.envoy.config.listener.v3.Listener;
import io.envoyproxy.envoy.config.route.v3.RouteConfiguration;
import io.envoyproxy.envoy.config.route.v3.VirtualHost;
import io.envoyproxy.envoy.extensions.filters.http.router.v3.Router;
import io.envoyproxy.envoy.extensions.filters.network.http_connection_manager.v3.HttpConnectionManager;
import io.envoyproxy.envoy.extensions.filters.network.http_connection_manager.v3.HttpFilter;
import io.envoyproxy.envoy.extensions.filters.network.http_connection_manager.v3.Rds;
import java.util.ArrayList;
import java.util.List;
import java.util.Map;
import java.util.TreeMap;

/**
 * What a proxyless gRPC client needs beyond a sidecar's resources: it asks for a listener named
 * after its target ({@code xds:///reviews.default.svc.cluster.local:9080}), an <em>API
 * listener</em> whose connection manager points at a route configuration. For a proxyless node
 * every domain of every outbound virtual host gets such a listener, pointing (RDS over ADS) at the
 * same route configuration, with the router filter and its {@code typed_config}. Clusters,
 * endpoints and routes are the sidecar's, unchanged.
 */
final class ProxylessListeners {

  private ProxylessListeners() {}

  /** True for gRPC's xDS clients (grpc-java, grpc-go, grpc-core all name themselves "gRPC ..."). */
  static boolean isProxyless(Node node) {
    return node.getUserAgentName().startsWith("gRPC");
  }

  /** {@code resources} plus one API listener per outbound domain. */
  static XdsResources addTo(XdsResources resources) {
    Map<String, Listener> listeners = new TreeMap<>();
    for (RouteConfiguration rc : resources.routes()) {
      for (VirtualHost vh : rc.getVirtualHostsList()) {
        for (String domain : vh.getDomainsList()) {
          if (!domain.contains("*")) {
            listeners.putIfAbsent(domain, apiListener(domain, rc.getName()));
          }
        }
      }
    }
    List<Listener> all = new ArrayList<>(resources.listeners());
    all.addAll(listeners.values());
    return new XdsResources(all, resources.routes(), resources.clusters(), resources.endpoints());
  }

  private static Listener apiListener(String name, String routeConfig) {
    HttpConnectionManager hcm = HttpConnectionManager.newBuilder()
        .setStatPrefix("proxyless")
        .setRds(Rds.newBuilder().setRouteConfigName(routeConfig).setConfigSource(ConfigSource.newBuilder()
            .setAds(AggregatedConfigSource.getDefaultInstance()).setResourceApiVersion(ApiVersion.V3)))
        .addHttpFilters(HttpFilter.newBuilder().setName("envoy.filters.http.router")
            .setTypedConfig(Any.pack(Router.getDefaultInstance())))
        .build();
    return Listener.newBuilder().setName(name)
        .setApiListener(ApiListener.newBuilder().setApiListener(Any.pack(hcm)))
        .build();
  }
}

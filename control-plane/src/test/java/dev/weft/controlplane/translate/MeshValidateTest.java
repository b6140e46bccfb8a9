package dev.weft.controlplane.translate;

import static dev.weft.controlplane.translate.MeshFixtures.LOCAL;
import static dev.weft.controlplane.translate.MeshFixtures.PRODUCTPAGE_NODE;
import static dev.weft.controlplane.translate.MeshFixtures.REGISTRY;
import static org.assertj.core.api.Assertions.assertThat;

import com.google.protobuf.Duration;
import com.google.protobuf.UInt32Value;
import dev.weft.controlplane.policy.PolicySet;
import io.envoyproxy.envoy.config.cluster.v3.Cluster;
import io.envoyproxy.envoy.config.endpoint.v3.ClusterLoadAssignment;
import io.envoyproxy.envoy.config.route.v3.RouteConfiguration;
import java.util.ArrayList;
import java.util.List;
import org.junit.jupiter.api.Test;

/** {@link MeshTranslator#validate} runs the proxy's own translator and names the resource at fault. */
class MeshValidateTest {

  private static final String REVIEWS = "outbound|9080||reviews.shop.svc.cluster.local";

  private final XdsResources good = MeshTranslator.translate(PolicySet.EMPTY, REGISTRY, PRODUCTPAGE_NODE, LOCAL);

  @Test
  void aClusterTheProxyRejectsIsReportedByName() {
    List<Cluster> clusters = new ArrayList<>();
    for (Cluster c : good.clusters()) {
      clusters.add(c.getName().equals(REVIEWS) ? c.toBuilder().setConnectTimeout(Duration.getDefaultInstance())
          .setPerConnectionBufferLimitBytes(UInt32Value.of(1)).setDnsRefreshRate(Duration.newBuilder().setSeconds(1))
          .build() : c);
    }
    List<String> errors = MeshTranslator.validate(new XdsResources(good.listeners(), good.routes(), clusters,
        good.endpoints()));
    assertThat(errors).containsExactly("cluster '" + REVIEWS + "': dns_refresh_rate: field 'dns_refresh_rate' of "
        + "envoy.config.cluster.v3.Cluster is not supported by Weft");
  }

  @Test
  void eachProblemIsTiedToThePolicyItComesFrom() {
    XdsResources withPolicy = MeshTranslator.translate(MeshFixtures.policies("""
        apiVersion: weft.dev/v1alpha1
        kind: DestinationPolicy
        metadata: {name: reviews-policy, namespace: shop}
        spec: {service: reviews, subsets: [{name: v1, labels: {version: v1}}]}
        """), REGISTRY, PRODUCTPAGE_NODE, LOCAL);
    List<Cluster> clusters = withPolicy.clusters().stream().map(c -> c.getName().equals(REVIEWS)
        ? c.toBuilder().setDnsRefreshRate(Duration.newBuilder().setSeconds(1)).build() : c).toList();
    assertThat(MeshTranslator.check(new XdsResources(withPolicy.listeners(), withPolicy.routes(), clusters,
        withPolicy.endpoints()))).containsExactly(new MeshTranslator.Rejection("DestinationPolicy/shop/reviews-policy",
        "cluster '" + REVIEWS + "': dns_refresh_rate: field 'dns_refresh_rate' of envoy.config.cluster.v3.Cluster is "
            + "not supported by Weft"));
  }

  @Test
  void aRouteToAClusterThatIsNotThereIsCaught() {
    RouteConfiguration rc = good.routes().get(0);
    RouteConfiguration.Builder b = rc.toBuilder();
    b.getVirtualHostsBuilder(2).getRoutesBuilder(0).getRouteBuilder().setCluster("outbound|1||nowhere");
    b.getVirtualHostsBuilder(0).addDomains("reviews");
    List<String> errors = MeshTranslator.validate(new XdsResources(good.listeners(), List.of(b.build()),
        good.clusters(), good.endpoints()));
    assertThat(errors).containsExactly(
        "route configuration 'outbound': virtual_hosts[2].domains[0]: domain 'reviews' is used by another virtual host",
        "route configuration 'outbound': virtual_hosts[2].routes[0].route: unknown cluster 'outbound|1||nowhere'");
  }

  @Test
  void missingRdsAndEdsResourcesAreCaught() {
    List<ClusterLoadAssignment> endpoints = good.endpoints().stream()
        .filter(e -> !e.getClusterName().equals(REVIEWS)).toList();
    List<String> errors = MeshTranslator.validate(new XdsResources(good.listeners(), List.of(), good.clusters(),
        endpoints));
    assertThat(errors).contains(
        "listener 'outbound': route configuration 'outbound' (RDS) is not among the resources",
        "cluster '" + REVIEWS + "': its endpoints (EDS '" + REVIEWS + "') are not among the resources");
  }

  @Test
  void whatProxylessGrpcClientsRejectIsCaught() {
    List<Cluster> clusters = new ArrayList<>(good.clusters());
    clusters.set(0, clusters.get(0).toBuilder().setType(Cluster.DiscoveryType.STATIC).clearEdsClusterConfig()
        .setLoadAssignment(good.endpoints().get(0)).build());
    List<ClusterLoadAssignment> endpoints = new ArrayList<>(good.endpoints());
    ClusterLoadAssignment.Builder cla = endpoints.get(1).toBuilder();
    cla.getEndpointsBuilder(0).clearLoadBalancingWeight().getLbEndpointsBuilder(0).getEndpointBuilder()
        .getAddressBuilder().getSocketAddressBuilder().setAddress("reviews.example");
    endpoints.set(1, cla.build());
    List<String> errors = MeshTranslator.validate(new XdsResources(good.listeners(), good.routes(), clusters,
        endpoints));
    String name0 = clusters.get(0).getName();
    String name1 = endpoints.get(1).getClusterName();
    assertThat(errors).contains(
        "endpoints '" + name1 + "': endpoints[0].load_balancing_weight: missing (expected: >= 1; proxyless gRPC "
            + "clients drop a locality without it)",
        "endpoints '" + name1 + "': endpoints[0].lb_endpoints[0].endpoint.address.socket_address.address: "
            + "'reviews.example' (expected: an IP literal)",
        "cluster '" + name0 + "': type: STATIC (expected: EDS; proxyless gRPC clients accept only EDS and aggregate "
            + "clusters)");
  }
}

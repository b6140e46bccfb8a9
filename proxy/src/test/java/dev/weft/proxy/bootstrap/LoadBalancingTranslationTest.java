package dev.weft.proxy.bootstrap;

import static org.assertj.core.api.Assertions.assertThat;
import static org.assertj.core.api.Assertions.assertThatThrownBy;

import dev.weft.proxy.config.ClusterConfig;
import dev.weft.proxy.config.EndpointConfig;
import dev.weft.proxy.config.HashPolicy;
import dev.weft.proxy.config.HttpConnectionManagerConfig;
import dev.weft.proxy.config.LbConfig;
import dev.weft.proxy.config.ProxyConfig;
import dev.weft.proxy.config.RouteAction;
import dev.weft.proxy.testkit.LbBootstraps;
import io.envoyproxy.envoy.config.endpoint.v3.ClusterLoadAssignment;
import java.time.Duration;
import org.junit.jupiter.api.Test;

class LoadBalancingTranslationTest {

  private static ProxyConfig load(String yaml) throws ConfigException {
    return BootstrapLoader.parse(yaml, "lb.yaml").config();
  }

  private static String cluster(String policy, String extra, String localities) {
    return LbBootstraps.http("", LbBootstraps.cluster("app", policy, extra, localities));
  }

  @Test
  void translatesPrioritiesLocalitiesHealthAndPolicy() throws Exception {
    String localities = LbBootstraps.locality(0, "a", 3, null, 8080, 8081)
        + LbBootstraps.locality(1, "b", 1, "UNHEALTHY", 8082)
        + "- lb_endpoints: [ { endpoint: { address: { socket_address: { address: 127.0.0.1, port_value: 8083 } } },"
        + " health_status: DRAINING, load_balancing_weight: 5 } ]\n";
    ClusterConfig c = load(cluster("LEAST_REQUEST", """
        least_request_lb_config: { choice_count: 3, active_request_bias: { default_value: 0.5 } }
        common_lb_config: { healthy_panic_threshold: { value: 25 }, locality_weighted_lb_config: {} }
        """, localities).replace("      endpoints:\n", "      policy: { overprovisioning_factor: 120 }\n      endpoints:\n"))
        .cluster("app");
    assertThat(c.lbPolicy()).isEqualTo("LEAST_REQUEST");
    assertThat(c.lb()).isEqualTo(new LbConfig(3, 0.5, 1024, 8 << 20, 65537, 25, true, 120));
    assertThat(c.endpoints()).hasSize(4);
    EndpointConfig first = c.endpoints().getFirst();
    assertThat(first.priority()).isZero();
    assertThat(first.locality()).isEqualTo(new EndpointConfig.Locality("test", "a", ""));
    assertThat(first.localityWeight()).isEqualTo(3);
    assertThat(c.endpoints().get(2).priority()).isEqualTo(1);
    assertThat(c.endpoints().get(2).healthStatus()).isEqualTo(EndpointConfig.HealthStatus.UNHEALTHY);
    assertThat(c.endpoints().get(3).healthStatus()).isEqualTo(EndpointConfig.HealthStatus.DRAINING);
    assertThat(c.endpoints().get(3).weight()).isEqualTo(5);
    assertThat(c.endpoints().get(3).edsHealthy()).isFalse();
  }

  @Test
  void translatesRingHashAndMaglevSettings() throws Exception {
    String eps = LbBootstraps.locality(0, "a", 0, null, 8080);
    assertThat(load(cluster("RING_HASH", "ring_hash_lb_config: { minimum_ring_size: 64, maximum_ring_size: 4096 }",
        eps)).cluster("app").lb()).extracting(LbConfig::minRingSize, LbConfig::maxRingSize).containsExactly(64L, 4096L);
    assertThat(load(cluster("MAGLEV", "maglev_lb_config: { table_size: 251 }", eps)).cluster("app").lb()
        .maglevTableSize()).isEqualTo(251);
    assertThat(load(cluster("RANDOM", "", eps)).cluster("app").lb()).isEqualTo(LbConfig.DEFAULT);
  }

  @Test
  void rejectsBadSettingsWithTheirPositionAndPath() {
    String eps = LbBootstraps.locality(0, "a", 0, null, 8080);
    assertThatThrownBy(() -> load(cluster("MAGLEV", "maglev_lb_config: { table_size: 100 }", eps)))
        .hasMessageMatching("(?s)lb\\.yaml:\\d+:\\d+: static_resources\\.clusters\\[0\\]\\.maglev_lb_config"
            + "\\.table_size: 100 \\(expected: a prime up to 5000011\\).*");
    assertThatThrownBy(() -> load(cluster("RING_HASH",
        "ring_hash_lb_config: { minimum_ring_size: 4096, maximum_ring_size: 1024, hash_function: MURMUR_HASH_2 }", eps)))
        .hasMessageContaining("ring_hash_lb_config.minimum_ring_size: 4096 (expected: <= maximum_ring_size 1024)")
        .hasMessageContaining("ring_hash_lb_config.hash_function: MURMUR_HASH_2 (expected: XX_HASH)");
    assertThatThrownBy(() -> load(cluster("LEAST_REQUEST", "least_request_lb_config: { choice_count: 1 }", eps)))
        .hasMessageContaining("least_request_lb_config.choice_count: 1 (expected: >= 2)");
    assertThatThrownBy(() -> load(cluster("CLUSTER_PROVIDED", "", eps)))
        .hasMessageContaining(".lb_policy: CLUSTER_PROVIDED (expected: one of [LEAST_REQUEST, MAGLEV, RANDOM, "
            + "RING_HASH, ROUND_ROBIN])");
    assertThatThrownBy(() -> load(cluster("ROUND_ROBIN", "common_lb_config: { healthy_panic_threshold: { value: 120 } }",
        eps))).hasMessageContaining("healthy_panic_threshold.value: 120.0 (expected: 0 to 100)");
    assertThatThrownBy(() -> load(cluster("ROUND_ROBIN", "round_robin_lb_config: { slow_start_config: {} }", eps)))
        .hasMessageContaining("field 'round_robin_lb_config' of envoy.config.cluster.v3.Cluster is not supported");
  }

  @Test
  void translatesRouteHashPolicies() throws Exception {
    String routeExtra = """
        hash_policy:
        - header: { header_name: X-User }
        - cookie: { name: sid, ttl: 3600s, path: /app }
          terminal: true
        - connection_properties: { source_ip: true }
        """;
    String yaml = LbBootstraps.http(routeExtra, LbBootstraps.cluster("app", "RING_HASH", "",
        LbBootstraps.locality(0, "a", 0, null, 8080)));
    var hcm = (HttpConnectionManagerConfig) load(yaml).listeners().getFirst().filterChains().getFirst().filter();
    var forward = (RouteAction.Forward) hcm.routes().virtualHosts().getFirst().routes().getFirst().action();
    assertThat(forward.hashPolicies()).containsExactly(
        new HashPolicy.Header("x-user", false),
        new HashPolicy.Cookie("sid", "/app", Duration.ofHours(1), true),
        new HashPolicy.SourceIp(false));
  }

  @Test
  void rejectsUnsupportedHashPolicies() {
    String yaml = LbBootstraps.http("hash_policy: [ { query_parameter: { name: u } } ]",
        LbBootstraps.cluster("app", "RING_HASH", "", LbBootstraps.locality(0, "a", 0, null, 8080)));
    assertThatThrownBy(() -> load(yaml)).hasMessageContaining(
        "route.hash_policy[0].query_parameter: field 'query_parameter' of "
            + "envoy.config.route.v3.RouteAction.HashPolicy is not supported by Weft");
    String badCookie = LbBootstraps.http("hash_policy: [ { cookie: { name: \"a b\" } } ]",
        LbBootstraps.cluster("app", "RING_HASH", "", LbBootstraps.locality(0, "a", 0, null, 8080)));
    assertThatThrownBy(() -> load(badCookie)).hasMessageContaining(
        "hash_policy[0].cookie.name: 'a b' (expected: a cookie name, RFC 6265 token)");
  }

  @Test
  void edsLoadAssignmentsGoThroughTheSameTranslation() {
    ClusterLoadAssignment cla = ClusterLoadAssignment.newBuilder()
        .setClusterName("svc")
        .setPolicy(ClusterLoadAssignment.Policy.newBuilder()
            .setOverprovisioningFactor(com.google.protobuf.UInt32Value.of(200)))
        .addEndpoints(io.envoyproxy.envoy.config.endpoint.v3.LocalityLbEndpoints.newBuilder()
            .setPriority(2)
            .setLocality(io.envoyproxy.envoy.config.core.v3.Locality.newBuilder().setZone("z1"))
            .setLoadBalancingWeight(com.google.protobuf.UInt32Value.of(7))
            .addLbEndpoints(io.envoyproxy.envoy.config.endpoint.v3.LbEndpoint.newBuilder()
                .setHealthStatus(io.envoyproxy.envoy.config.core.v3.HealthStatus.DRAINING)
                .setEndpoint(io.envoyproxy.envoy.config.endpoint.v3.Endpoint.newBuilder()
                    .setAddress(io.envoyproxy.envoy.config.core.v3.Address.newBuilder()
                        .setSocketAddress(io.envoyproxy.envoy.config.core.v3.SocketAddress.newBuilder()
                            .setAddress("10.0.0.1").setPortValue(80))))))
        .build();
    var cluster = dev.weft.proxy.testkit.XdsResources.edsCluster("svc").toBuilder()
        .setLbPolicy(io.envoyproxy.envoy.config.cluster.v3.Cluster.LbPolicy.MAGLEV).build();
    var t = ConfigTranslator.translateCluster(cluster, cla);
    assertThat(t.errors()).isEmpty();
    assertThat(t.value().lbPolicy()).isEqualTo("MAGLEV");
    assertThat(t.value().lb().overprovisioningFactor()).isEqualTo(200);
    assertThat(t.value().endpoints()).singleElement().satisfies(e -> {
      assertThat(e.priority()).isEqualTo(2);
      assertThat(e.locality().zone()).isEqualTo("z1");
      assertThat(e.localityWeight()).isEqualTo(7);
      assertThat(e.healthStatus()).isEqualTo(EndpointConfig.HealthStatus.DRAINING);
    });
    ClusterLoadAssignment bad = cla.toBuilder().setPolicy(ClusterLoadAssignment.Policy.newBuilder()
        .setOverprovisioningFactor(com.google.protobuf.UInt32Value.of(0))).build();
    assertThat(ConfigTranslator.translateLoadAssignment(bad).describe())
        .isEqualTo("policy.overprovisioning_factor: 0 (expected: > 0)");
  }

  @Test
  void tcpProxyHashesOnSourceIp() throws Exception {
    String yaml = dev.weft.proxy.testkit.Bootstraps.bootstrap("""
        - name: tcp
          address: { socket_address: { address: 127.0.0.1, port_value: 0 } }
          filter_chains:
          - filters:
            - name: envoy.filters.network.tcp_proxy
              typed_config:
                "@type": type.googleapis.com/envoy.extensions.filters.network.tcp_proxy.v3.TcpProxy
                stat_prefix: tcp
                cluster: app
                hash_policy: [ { source_ip: {} } ]
        """, LbBootstraps.cluster("app", "MAGLEV", "", LbBootstraps.locality(0, "a", 0, null, 8080)));
    var tcp = (dev.weft.proxy.config.TcpProxyConfig) load(yaml).listeners().getFirst().filterChains().getFirst()
        .filter();
    assertThat(tcp.hashSourceIp()).isTrue();
  }
}

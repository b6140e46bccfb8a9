package dev.weft.proxy.xds;

import static org.assertj.core.api.Assertions.assertThat;

import com.google.protobuf.Message;
import dev.weft.proxy.bootstrap.BootstrapLoader;
import dev.weft.proxy.bootstrap.ConfigTranslator;
import dev.weft.proxy.config.ListenerConfig;
import dev.weft.proxy.config.ProxyConfig;
import dev.weft.proxy.testkit.XdsResources;
import java.time.Instant;
import java.util.EnumMap;
import java.util.EnumSet;
import java.util.LinkedHashMap;
import java.util.Map;
import org.junit.jupiter.api.Test;

/** Warming: what goes live, in which order, and what keeps serving meanwhile. */
class DynamicConfigTest {
  private final ProxyConfig base;
  private final DynamicConfig assembler = new DynamicConfig(java.util.List.of());
  private final Map<ResourceType, Map<String, XdsResource>> resources = new EnumMap<>(ResourceType.class);

  DynamicConfigTest() throws Exception {
    base = BootstrapLoader.parse(XdsResources.bootstrap(15010, true), "b.yaml").config();
    for (ResourceType t : ResourceType.values()) {
      resources.put(t, new LinkedHashMap<>());
    }
  }

  private void put(ResourceType type, Message m) {
    Object value = switch (type) {
      case LDS -> ConfigTranslator.translateListener((io.envoyproxy.envoy.config.listener.v3.Listener) m).value();
      case RDS -> ConfigTranslator.translateRouteConfiguration(
          (io.envoyproxy.envoy.config.route.v3.RouteConfiguration) m).value();
      case CDS -> ConfigTranslator.translateCluster((io.envoyproxy.envoy.config.cluster.v3.Cluster) m, null).value();
      case EDS -> m;
    };
    resources.get(type).put(ResourceType.nameOf(m), new XdsResource(ResourceType.nameOf(m), "1", m, value,
        Instant.now()));
  }

  private DynamicConfig.Assembled assemble(ProxyConfig previous) {
    return assembler.assemble(base, previous, resources, EnumSet.allOf(ResourceType.class));
  }

  @Test
  void aListenerWaitsForItsRoutesTheirClustersAndTheirEndpoints() {
    put(ResourceType.LDS, XdsResources.listener("outbound", "routes"));
    DynamicConfig.Assembled a = assemble(null);
    assertThat(a.complete()).isFalse();
    assertThat(a.config().listeners()).isEmpty();
    assertThat(a.waiting()).containsExactly("listener 'outbound' waits for route configurations [routes]");

    put(ResourceType.RDS, XdsResources.routes("routes", "a"));
    a = assemble(a.config());
    assertThat(a.config().listeners()).isEmpty();
    assertThat(a.waiting()).contains("route configuration 'routes' waits for clusters [a]");

    put(ResourceType.CDS, XdsResources.edsCluster("a"));
    a = assemble(a.config());
    assertThat(a.config().listeners()).isEmpty();
    assertThat(a.waiting()).contains("cluster 'a' waits for its endpoints (EDS 'a')");

    put(ResourceType.EDS, XdsResources.endpoints("a", 8080));
    a = assemble(a.config());
    assertThat(a.complete()).isTrue();
    assertThat(a.config().listeners()).extracting(ListenerConfig::name).containsExactly("outbound");
    assertThat(a.config().cluster("a").endpoints()).hasSize(1);
    assertThat(a.config().routeTables()).containsKey("routes");
  }

  @Test
  void aStaticEdsClusterTakesItsEndpointsOverAds() throws Exception {
    String yaml = XdsResources.bootstrap(15010, true) + """
          - name: static-eds
            type: EDS
            connect_timeout: 1s
            eds_cluster_config: { eds_config: { ads: {} }, service_name: svc }
        """;
    var loaded = BootstrapLoader.parse(yaml, "b.yaml");
    DynamicConfig staticAware = new DynamicConfig(loaded.bootstrap().getStaticResources().getClustersList());
    assertThat(DynamicConfig.endpointNames(loaded.bootstrap().getStaticResources().getClustersList(), Map.of()))
        .containsExactly("svc");
    DynamicConfig.Assembled a = staticAware.assemble(loaded.config(), null, resources,
        EnumSet.allOf(ResourceType.class));
    assertThat(a.complete()).isFalse();
    assertThat(a.config().cluster("static-eds")).isNull();

    put(ResourceType.EDS, XdsResources.endpoints("svc", 8080, 8081));
    a = staticAware.assemble(loaded.config(), a.config(), resources, EnumSet.allOf(ResourceType.class));
    assertThat(a.complete()).isTrue();
    assertThat(a.config().cluster("static-eds").endpoints()).hasSize(2);
  }

  @Test
  void aRouteChangeToAClusterNotYetWarmKeepsTheOldRoutesServing() {
    put(ResourceType.LDS, XdsResources.listener("outbound", "routes"));
    put(ResourceType.RDS, XdsResources.routes("routes", "a"));
    put(ResourceType.CDS, XdsResources.edsCluster("a"));
    put(ResourceType.EDS, XdsResources.endpoints("a", 8080));
    DynamicConfig.Assembled live = assemble(null);
    assertThat(live.complete()).isTrue();

    put(ResourceType.RDS, XdsResources.routes("routes", "b"));
    put(ResourceType.CDS, XdsResources.edsCluster("b"));
    DynamicConfig.Assembled warming = assemble(live.config());
    assertThat(warming.complete()).isFalse();
    assertThat(warming.config().routeTables().get("routes")).isSameAs(live.config().routeTables().get("routes"));
    assertThat(warming.config().listeners()).extracting(ListenerConfig::name).containsExactly("outbound");

    put(ResourceType.EDS, XdsResources.endpoints("b", 9090));
    DynamicConfig.Assembled done = assemble(warming.config());
    assertThat(done.complete()).isTrue();
    assertThat(DynamicConfig.clustersOf(done.config().routeTables().get("routes"))).containsExactly("b");
  }
}

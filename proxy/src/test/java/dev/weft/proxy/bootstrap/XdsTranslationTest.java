package dev.weft.proxy.bootstrap;

import static org.assertj.core.api.Assertions.assertThat;
import static org.assertj.core.api.Assertions.assertThatThrownBy;

import dev.weft.proxy.config.AdsConfig;
import dev.weft.proxy.config.ClusterConfig;
import dev.weft.proxy.config.EndpointConfig;
import dev.weft.proxy.config.HttpConnectionManagerConfig;
import dev.weft.proxy.config.ProxyConfig;
import dev.weft.proxy.testkit.Bootstraps;
import dev.weft.proxy.testkit.XdsResources;
import io.envoyproxy.envoy.config.cluster.v3.Cluster;
import io.envoyproxy.envoy.config.core.v3.ApiConfigSource;
import io.envoyproxy.envoy.config.core.v3.ConfigSource;
import io.envoyproxy.envoy.extensions.filters.network.http_connection_manager.v3.HttpConnectionManager;
import java.time.Duration;
import org.junit.jupiter.api.Test;

/** Per-resource translation for xDS, and the bootstrap's {@code dynamic_resources}. */
class XdsTranslationTest {

  @Test
  void aListenerWithRdsOverAdsTranslatesAlone() {
    var t = ConfigTranslator.translateListener(XdsResources.listener("outbound", "routes"));
    assertThat(t.errors()).isEmpty();
    var hcm = (HttpConnectionManagerConfig) t.value().filterChains().getFirst().filter();
    assertThat(hcm.rdsRouteConfigName()).isEqualTo("routes");
    assertThat(hcm.routes().virtualHosts()).isEmpty();
  }

  @Test
  void rdsFromAnythingButAdsIsRejectedWithItsPath() throws Exception {
    var l = XdsResources.listener("outbound", "routes");
    var hcm = l.getFilterChains(0).getFilters(0).getTypedConfig().unpack(HttpConnectionManager.class);
    var rest = hcm.toBuilder().setRds(hcm.getRds().toBuilder().setConfigSource(ConfigSource.newBuilder()
        .setApiConfigSource(ApiConfigSource.newBuilder().setApiType(ApiConfigSource.ApiType.REST)))).build();
    var bad = l.toBuilder().setFilterChains(0, l.getFilterChains(0).toBuilder().setFilters(0,
        l.getFilterChains(0).getFilters(0).toBuilder().setTypedConfig(com.google.protobuf.Any.pack(rest)))).build();
    var t = ConfigTranslator.translateListener(bad);
    assertThat(t.ok()).isFalse();
    assertThat(t.describe()).contains("filter_chains[0].filters[0].typed_config.rds.config_source.api_config_source",
        "not supported");
  }

  @Test
  void aRouteConfigurationMayNameClustersThatHaveNotArrivedYet() {
    var t = ConfigTranslator.translateRouteConfiguration(XdsResources.routes("routes", "later"));
    assertThat(t.errors()).isEmpty();
    assertThat(t.value().name()).isEqualTo("routes");
  }

  @Test
  void anEdsClusterTakesItsEndpointsThroughTheLoadAssignmentRules() {
    Cluster c = XdsResources.edsCluster("a");
    assertThat(ConfigTranslator.translateCluster(c, null).errors()).isEmpty();
    ClusterConfig withEndpoints = ConfigTranslator.translateCluster(c, XdsResources.endpoints("a", 8080, 8081)).value();
    assertThat(withEndpoints.endpoints()).extracting(EndpointConfig::address)
        .extracting(a -> a.port()).containsExactly(8080, 8081);

    var bad = ConfigTranslator.translateLoadAssignment(XdsResources.endpoints("a", 0));
    assertThat(bad.describe())
        .isEqualTo("endpoints[0].lb_endpoints[0].endpoint.address.socket_address.port_value: 0 (expected: 1 to 65535)");
  }

  @Test
  void anEdsClusterNeedsAnAdsEdsConfig() {
    var t = ConfigTranslator.translateCluster(XdsResources.edsCluster("a").toBuilder().clearEdsClusterConfig().build(),
        null);
    assertThat(t.describe()).contains("eds_cluster_config", "eds_config: { ads: {} }");
  }

  @Test
  void dynamicResourcesNameTheControlPlaneClusterAndTheBackOff() throws Exception {
    ProxyConfig c = BootstrapLoader.parse(XdsResources.bootstrap(15010, false), "b.yaml").config();
    AdsConfig ads = c.ads();
    assertThat(ads.clusterName()).isEqualTo("xds");
    assertThat(ads.delta()).isFalse();
    assertThat(ads.lds()).isTrue();
    assertThat(ads.cds()).isTrue();
    assertThat(ads.retryBase()).isEqualTo(Duration.ofMillis(50));
    assertThat(ads.retryMax()).isEqualTo(Duration.ofMillis(400));
    assertThat(ads.node().getId()).isEqualTo("app.default");
  }

  @Test
  void dynamicResourcesMustNameAStaticCluster() {
    String yaml = XdsResources.bootstrap(15010, true).replace("cluster_name: xds\n        retry", "cluster_name: nope\n        retry");
    assertThatThrownBy(() -> BootstrapLoader.parse(yaml, "b.yaml"))
        .hasMessageContaining("dynamic_resources.ads_config.grpc_services[0].envoy_grpc.cluster_name")
        .hasMessageContaining("'nope' (expected: the name of a static cluster)");
  }

  @Test
  void withoutAdsAStaticBootstrapCannotUseEds() {
    String yaml = Bootstraps.simple(false, 8080).replace("type: STATIC", "type: EDS");
    assertThatThrownBy(() -> BootstrapLoader.parse(yaml, "b.yaml"))
        .hasMessageContaining("EDS needs dynamic_resources.ads_config");
  }
}

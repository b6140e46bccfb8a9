package dev.weft.proxy.bootstrap;

import static org.assertj.core.api.Assertions.assertThat;
import static org.assertj.core.api.Assertions.assertThatThrownBy;

import dev.weft.proxy.config.ClusterConfig;
import dev.weft.proxy.config.HeaderMutation;
import dev.weft.proxy.config.HttpConnectionManagerConfig;
import dev.weft.proxy.config.ProxyConfig;
import dev.weft.proxy.config.RouteAction;
import dev.weft.proxy.config.TcpProxyConfig;
import dev.weft.proxy.testkit.Bootstraps;
import java.time.Duration;
import org.junit.jupiter.api.Test;

class ConfigTranslatorTest {

  private static ProxyConfig load(String yaml) throws ConfigException {
    return BootstrapLoader.parse(yaml, "b.yaml").config();
  }

  @Test
  void translatesListenersRoutesAndClustersWithEnvoyDefaults() throws Exception {
    ProxyConfig c = load(Bootstraps.simple(false, 8080, 8081));
    assertThat(c.listeners()).hasSize(1);
    var hcm = (HttpConnectionManagerConfig) c.listeners().getFirst().filterChains().getFirst().filter();
    assertThat(hcm.codec()).isEqualTo(HttpConnectionManagerConfig.Codec.AUTO);
    assertThat(hcm.maxRequestHeadersBytes()).isEqualTo(60 * 1024);
    assertThat(hcm.maxHeadersCount()).isEqualTo(100);
    assertThat(hcm.generateRequestId()).isTrue();
    var forward = (RouteAction.Forward) hcm.routes().virtualHosts().getFirst().routes().getFirst().action();
    assertThat(forward.timeout()).isEqualTo(Duration.ofSeconds(15));
    ClusterConfig app = c.cluster("app");
    assertThat(app.endpoints()).extracting(e -> e.address().port()).containsExactly(8080, 8081);
    assertThat(app.protocol()).isEqualTo(ClusterConfig.UpstreamProtocol.HTTP1);
    assertThat(app.connectTimeout()).isEqualTo(Duration.ofSeconds(1));
  }

  @Test
  void anHttp2ProtocolOptionMakesTheClusterSpeakHttp2() throws Exception {
    assertThat(load(Bootstraps.simple(true, 8080)).cluster("app").protocol())
        .isEqualTo(ClusterConfig.UpstreamProtocol.HTTP2);
  }

  @Test
  void rejectsAFieldWeftDoesNotImplementNamingItsPath() {
    String yaml = Bootstraps.simple(false, 8080).replace("connect_timeout: 1s",
        "connect_timeout: 1s\n    cleanup_interval: 5s");
    assertThatThrownBy(() -> load(yaml))
        .isInstanceOf(ConfigException.class)
        .hasMessageContaining("static_resources.clusters[0].cleanup_interval: field 'cleanup_interval' of "
            + "envoy.config.cluster.v3.Cluster is not supported by Weft")
        .hasMessageMatching("(?s)b\\.yaml:\\d+:\\d+: .*");
  }

  @Test
  void rejectsARouteToAnUnknownCluster() {
    String yaml = Bootstraps.bootstrap(Bootstraps.httpListener("http", Bootstraps.routeAllTo("nope"), ""),
        Bootstraps.cluster("app", false, 8080));
    assertThatThrownBy(() -> load(yaml)).hasMessageContaining(
        ".route.cluster: unknown cluster 'nope'");
  }

  @Test
  void rejectsDuplicateNamesAndHostnamesInStaticClusters() {
    String clusters = Bootstraps.cluster("app", false, 8080) + "\n" + Bootstraps.cluster("app", false, 8081)
        .replace("127.0.0.1", "localhost");
    String yaml = Bootstraps.bootstrap(Bootstraps.httpListener("http", Bootstraps.routeAllTo("app"), ""), clusters);
    assertThatThrownBy(() -> load(yaml))
        .hasMessageContaining("static_resources.clusters[1].name: duplicate cluster name 'app'")
        .hasMessageContaining("'localhost' (expected: an IP address)");
  }

  @Test
  void checksWeightedClusterWeights() {
    String vh = """
        - name: all
          domains: ["*"]
          routes:
          - match: { prefix: "/" }
            route:
              weighted_clusters:
                total_weight: 100
                clusters:
                - { name: app, weight: 90 }
                - { name: app, weight: 5 }
        """;
    String yaml = Bootstraps.bootstrap(Bootstraps.httpListener("http", vh, ""), Bootstraps.cluster("app", false, 1));
    assertThatThrownBy(() -> load(yaml)).hasMessageContaining(
        "weighted_clusters.total_weight: 100 (expected: the sum of the weights, 95)");
  }

  @Test
  void rejectsAnInvalidRe2Regex() {
    String vh = """
        - name: all
          domains: ["*"]
          routes:
          - match: { safe_regex: { regex: "/(a" } }
            route: { cluster: app }
        """;
    String yaml = Bootstraps.bootstrap(Bootstraps.httpListener("http", vh, ""), Bootstraps.cluster("app", false, 1));
    assertThatThrownBy(() -> load(yaml)).hasMessageContaining("safe_regex.regex: '/(a' is not a valid RE2 regex");
  }

  @Test
  void rejectsHttpFiltersOtherThanTheRouter() {
    String base = Bootstraps.simple(false, 8080);
    int at = base.indexOf("- name: envoy.filters.http.router");
    String indent = " ".repeat(at - base.lastIndexOf('\n', at) - 1);
    String yaml = base.substring(0, at) + "- name: envoy.filters.http.cors\n" + indent + base.substring(at);
    assertThatThrownBy(() -> load(yaml)).hasMessageContaining("HTTP filter 'envoy.filters.http.cors' is not supported");
  }

  @Test
  void translatesHeaderAppendActions() throws Exception {
    String vh = """
        - name: all
          domains: ["*"]
          request_headers_to_add:
          - header: { key: x-a, value: "1" }
          - header: { key: x-b, value: "2" }
            append_action: OVERWRITE_IF_EXISTS_OR_ADD
          - header: { key: x-c, value: "3" }
            append: false
          request_headers_to_remove: [X-Remove]
          routes:
          - match: { prefix: "/" }
            route: { cluster: app }
        """;
    ProxyConfig c = load(Bootstraps.bootstrap(Bootstraps.httpListener("http", vh, ""),
        Bootstraps.cluster("app", false, 1)));
    var hcm = (HttpConnectionManagerConfig) c.listeners().getFirst().filterChains().getFirst().filter();
    HeaderMutation m = hcm.routes().virtualHosts().getFirst().requestHeaders();
    assertThat(m.remove()).containsExactly("x-remove");
    assertThat(m.add()).extracting(HeaderMutation.HeaderAdd::action).containsExactly(
        HeaderMutation.Action.APPEND_IF_EXISTS_OR_ADD, HeaderMutation.Action.OVERWRITE_IF_EXISTS_OR_ADD,
        HeaderMutation.Action.OVERWRITE_IF_EXISTS_OR_ADD);
  }

  @Test
  void translatesATcpProxyListener() throws Exception {
    String listener = """
        - name: tcp
          address: { socket_address: { address: 127.0.0.1, port_value: 0 } }
          filter_chains:
          - filters:
            - name: envoy.filters.network.tcp_proxy
              typed_config:
                "@type": type.googleapis.com/envoy.extensions.filters.network.tcp_proxy.v3.TcpProxy
                stat_prefix: tcp
                cluster: app
                idle_timeout: 30s
        """;
    ProxyConfig c = load(Bootstraps.bootstrap(listener, Bootstraps.cluster("app", false, 1)));
    var tcp = (TcpProxyConfig) c.listeners().getFirst().filterChains().getFirst().filter();
    assertThat(tcp.cluster()).isEqualTo("app");
    assertThat(tcp.idleTimeout()).isEqualTo(Duration.ofSeconds(30));
  }

  @Test
  void requiresTheHttpInspectorToMatchOnApplicationProtocols() {
    String listener = """
        - name: l
          address: { socket_address: { address: 127.0.0.1, port_value: 0 } }
          filter_chains:
          - filter_chain_match: { application_protocols: [h2c] }
            filters:
            - name: envoy.filters.network.tcp_proxy
              typed_config:
                "@type": type.googleapis.com/envoy.extensions.filters.network.tcp_proxy.v3.TcpProxy
                cluster: app
        """;
    assertThatThrownBy(() -> load(Bootstraps.bootstrap(listener, Bootstraps.cluster("app", false, 1))))
        .hasMessageContaining("needs the envoy.filters.listener.http_inspector listener filter");
  }
}

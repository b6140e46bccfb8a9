package dev.weft.proxy.bootstrap;

import static org.assertj.core.api.Assertions.assertThat;
import static org.assertj.core.api.Assertions.assertThatThrownBy;

import io.envoyproxy.envoy.config.bootstrap.v3.Bootstrap;
import io.envoyproxy.envoy.config.cluster.v3.Cluster;
import io.envoyproxy.envoy.extensions.filters.network.http_connection_manager.v3.HttpConnectionManager;
import java.util.List;
import org.junit.jupiter.api.Test;

class ProtoYamlParserTest {
  private final ProtoYamlParser parser = new ProtoYamlParser(AnyTypes.WEFT);

  private Cluster cluster(String yaml) throws ConfigException {
    return parser.<Cluster>parse(yaml, "c.yaml", Cluster.newBuilder()).message();
  }

  @Test
  void readsDurationsWrappersEnumsAndBothFieldNameStyles() throws Exception {
    Cluster c = cluster("""
        name: app
        type: STATIC
        connectTimeout: 1.25s
        per_connection_buffer_limit_bytes: 32768
        lb_policy: ROUND_ROBIN
        """);
    assertThat(c.getName()).isEqualTo("app");
    assertThat(c.getType()).isEqualTo(Cluster.DiscoveryType.STATIC);
    assertThat(c.getConnectTimeout().getSeconds()).isEqualTo(1);
    assertThat(c.getConnectTimeout().getNanos()).isEqualTo(250_000_000);
    assertThat(c.getPerConnectionBufferLimitBytes().getValue()).isEqualTo(32768);
  }

  @Test
  void acceptsJsonBecauseYamlIsASuperset() throws Exception {
    Cluster c = cluster("{\"name\": \"app\", \"connect_timeout\": \"5s\"}");
    assertThat(c.getConnectTimeout().getSeconds()).isEqualTo(5);
  }

  @Test
  void unpacksAnyByTypeUrl() throws Exception {
    Bootstrap b = parser.<Bootstrap>parse("""
        static_resources:
          listeners:
          - name: l
            filter_chains:
            - filters:
              - name: hcm
                typed_config:
                  "@type": type.googleapis.com/envoy.extensions.filters.network.http_connection_manager.v3.HttpConnectionManager
                  stat_prefix: in
        """, "b.yaml", Bootstrap.newBuilder()).message();
    var any = b.getStaticResources().getListeners(0).getFilterChains(0).getFilters(0).getTypedConfig();
    assertThat(any.unpack(HttpConnectionManager.class).getStatPrefix()).isEqualTo("in");
  }

  @Test
  void namesFileLineColumnPathAndSuggestsTheNearestField() {
    assertThatThrownBy(() -> cluster("""
        name: app
        conect_timeout: 1s
        """))
        .isInstanceOf(ConfigException.class)
        .hasMessage("c.yaml:2:1: unknown field 'conect_timeout' in envoy.config.cluster.v3.Cluster "
            + "(did you mean 'connect_timeout'?)");
  }

  @Test
  void reportsEveryErrorNotJustTheFirst() {
    assertThatThrownBy(() -> cluster("""
        name: app
        connect_timeout: 5
        type: STATICK
        per_connection_buffer_limit_bytes: -1
        """))
        .isInstanceOfSatisfying(ConfigException.class, e -> {
          List<ConfigError> errors = e.errors();
          assertThat(errors).hasSize(3);
          assertThat(errors.get(0).toString()).startsWith("c.yaml:2:18: connect_timeout: '5' is not a duration");
          assertThat(errors.get(1).toString()).startsWith("c.yaml:3:7: type: 'STATICK' is not one of [STATIC,");
          assertThat(errors.get(2).toString())
              .isEqualTo("c.yaml:4:36: per_connection_buffer_limit_bytes: '-1' is not a non-negative integer");
        });
  }

  @Test
  void rejectsTwoMembersOfOneOneof() {
    assertThatThrownBy(() -> cluster("""
        name: app
        type: STATIC
        cluster_type: { name: custom }
        """))
        .hasMessageContaining("'type' and 'cluster_type' are both set, but only one of 'cluster_discovery_type' may be");
  }

  @Test
  void rejectsAnyTypesWeftDoesNotSupport() {
    assertThatThrownBy(() -> parser.parse("""
        static_resources:
          listeners:
          - filter_chains:
            - filters:
              - typed_config:
                  "@type": type.googleapis.com/envoy.extensions.filters.network.redis_proxy.v3.RedisProxy
        """, "b.yaml", Bootstrap.newBuilder()))
        .hasMessageContaining("b.yaml:6:11: static_resources.listeners[0].filter_chains[0].filters[0].typed_config.@type: "
            + "'envoy.extensions.filters.network.redis_proxy.v3.RedisProxy' is not a type Weft supports here");
  }

  @Test
  void reportsInvalidYamlWithItsPosition() {
    assertThatThrownBy(() -> cluster("name: [unclosed\n"))
        .hasMessageStartingWith("c.yaml:")
        .hasMessageContaining("invalid YAML");
  }

  @Test
  void rejectsAnEmptyDocument() {
    assertThatThrownBy(() -> cluster("# nothing\n")).hasMessage("c.yaml: the document is empty");
  }

  @Test
  void recordsWhereEachFieldCameFrom() throws Exception {
    var parsed = parser.parse("name: app\nconnect_timeout: 1s\n", "c.yaml", Cluster.newBuilder());
    assertThat(parsed.locations()).containsEntry("connect_timeout", "c.yaml:2:1");
  }

  @Test
  void durationsFollowProtobufJson() {
    assertThat(ProtoYamlParser.durationOf("0.25")).isEqualTo(com.google.protobuf.Duration.newBuilder().setNanos(250_000_000).build());
    assertThat(ProtoYamlParser.durationOf("300")).isEqualTo(com.google.protobuf.Duration.newBuilder().setSeconds(300).build());
    assertThat(ProtoYamlParser.durationOf("-1.5")).isEqualTo(
        com.google.protobuf.Duration.newBuilder().setSeconds(-1).setNanos(-500_000_000).build());
    assertThat(ProtoYamlParser.durationOf("0.000000001").getNanos()).isEqualTo(1);
    assertThat(ProtoYamlParser.durationOf(".5").getNanos()).isEqualTo(500_000_000);
    assertThat(ProtoYamlParser.durationOf("315576000000").getSeconds()).isEqualTo(315_576_000_000L);
    for (String bad : new String[] {"", "-", ".", "1.2.3", "0.0000000001", "1e3", "abc", "315576000001", "99999999999999999999"}) {
      assertThat(ProtoYamlParser.durationOf(bad)).as(bad).isNull();
    }
  }
}

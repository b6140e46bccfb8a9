package dev.weft.proxy.bootstrap;

import static org.assertj.core.api.Assertions.assertThat;
import static org.assertj.core.api.Assertions.assertThatThrownBy;

import dev.weft.proxy.config.FilterChainConfig;
import dev.weft.proxy.config.HttpConnectionManagerConfig;
import dev.weft.proxy.config.PathNormalization;
import dev.weft.proxy.config.ProxyConfig;
import dev.weft.proxy.config.RbacConfig;
import dev.weft.proxy.config.RbacPermission;
import dev.weft.proxy.config.RbacPrincipal;
import dev.weft.proxy.config.StringMatcher;
import dev.weft.proxy.testkit.Bootstraps;
import dev.weft.proxy.testkit.RbacBootstraps;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.params.ParameterizedTest;
import org.junit.jupiter.params.provider.CsvSource;

/** Translation of RBAC filters and path normalization options, and the errors they can raise. */
class RbacTranslationTest {

  private static final String DENY_ADMIN = """
      action: DENY
      policies:
        no-admin:
          permissions: [ { url_path: { path: { prefix: /admin, ignore_case: true } } } ]
          principals: [ { any: true } ]
      """;
  private static final String ALLOW_FOO = """
      action: ALLOW
      policies:
        foo:
          permissions: [ { any: true } ]
          principals: [ { authenticated: { principal_name: { prefix: "spiffe://td/ns/foo/" } } } ]
      """;

  private static ProxyConfig load(String yaml) throws ConfigException {
    return BootstrapLoader.parse(yaml, "b.yaml").config();
  }

  private static String httpBootstrap(String extraHcm, String filters) {
    return Bootstraps.bootstrap(RbacBootstraps.httpListener("http", Bootstraps.routeAllTo("app"), extraHcm, filters),
        Bootstraps.cluster("app", false, 8080));
  }

  private static HttpConnectionManagerConfig hcm(ProxyConfig c) {
    return (HttpConnectionManagerConfig) c.listeners().getFirst().filterChains().getFirst().filter();
  }

  @Test
  void translatesRbacFiltersInOrderAndPathNormalization() throws Exception {
    ProxyConfig c = load(httpBootstrap("""
        normalize_path: true
        merge_slashes: true
        path_with_escaped_slashes_action: REJECT_REQUEST
        """, RbacBootstraps.httpRbac(DENY_ADMIN) + RbacBootstraps.httpRbac(ALLOW_FOO)));

    HttpConnectionManagerConfig h = hcm(c);
    assertThat(h.pathNormalization()).isEqualTo(
        new PathNormalization(true, true, PathNormalization.EscapedSlashes.REJECT_REQUEST));
    assertThat(h.rbac()).extracting(RbacConfig::action)
        .containsExactly(RbacConfig.Action.DENY, RbacConfig.Action.ALLOW);
    RbacConfig.Policy noAdmin = h.rbac().getFirst().policies().getFirst();
    assertThat(noAdmin.name()).isEqualTo("no-admin");
    assertThat(noAdmin.permissions()).containsExactly(
        new RbacPermission.UrlPath(StringMatcher.prefix("/admin", true)));
    assertThat(noAdmin.principals()).containsExactly(new RbacPrincipal.Any());
    assertThat(h.rbac().get(1).policies().getFirst().principals()).containsExactly(
        new RbacPrincipal.Authenticated(StringMatcher.prefix("spiffe://td/ns/foo/", false)));
  }

  @Test
  void defaultsToNoNormalizationAndNoRbac() throws Exception {
    HttpConnectionManagerConfig h = hcm(load(Bootstraps.simple(false, 8080)));

    assertThat(h.pathNormalization()).isEqualTo(PathNormalization.NONE);
    assertThat(h.rbac()).isEmpty();
  }

  @Test
  void anRbacFilterWithoutRulesEnforcesNothingButAnEmptyAllowDeniesAll() throws Exception {
    String noRules = """
        - name: envoy.filters.http.rbac
          typed_config: { "@type": type.googleapis.com/envoy.extensions.filters.http.rbac.v3.RBAC }
        """;
    assertThat(hcm(load(httpBootstrap("", noRules))).rbac()).isEmpty();

    RbacConfig empty = hcm(load(httpBootstrap("", RbacBootstraps.httpRbac("action: ALLOW")))).rbac().getFirst();
    assertThat(empty.policies()).isEmpty();
    assertThat(empty.action()).isEqualTo(RbacConfig.Action.ALLOW);
  }

  @Test
  void translatesNetworkRbacBeforeTcpProxy() throws Exception {
    ProxyConfig c = load(Bootstraps.bootstrap(RbacBootstraps.tcpListener("tcp", "app", ALLOW_FOO),
        Bootstraps.cluster("app", false, 8080)));

    FilterChainConfig chain = c.listeners().getFirst().filterChains().getFirst();
    assertThat(chain.networkRbac()).singleElement().satisfies(r -> {
      assertThat(r.name()).isEqualTo("tcp_rbac");
      assertThat(r.action()).isEqualTo(RbacConfig.Action.ALLOW);
    });
  }

  @ParameterizedTest(name = "[{index}] {1}")
  @CsvSource(delimiter = '|', textBlock = """
      permissions: [ { destination_ip: { address_prefix: 10.0.0.0, prefix_len: 8 } } ] | policies[p].permissions[0].destination_ip: field 'destination_ip' of envoy.config.rbac.v3.Permission is not supported by Weft
      permissions: [ { requested_server_name: { exact: a } } ]                         | policies[p].permissions[0].requested_server_name: field 'requested_server_name'
      permissions: [ { not_rule: { metadata: { filter: f, path: [ { key: k } ], value: { present_match: true } } } } ] | policies[p].permissions[0].not_rule.metadata: field 'metadata'
      permissions: [ { header: { name: x, range_match: { start: 1, end: 2 } } } ]     | policies[p].permissions[0].header.range_match: field 'range_match'
      permissions: [ { and_rules: { rules: [] } } ]                                    | policies[p].permissions[0].and_rules.rules: at least one rule is required
      permissions: [ { url_path: { path: { prefix: '' } } } ]                          | policies[p].permissions[0].url_path.path.prefix: '' (expected: a non-empty string)
      permissions: [ { url_path: { path: { safe_regex: { regex: '(' } } } } ]          | policies[p].permissions[0].url_path.path.safe_regex.regex: '(' is not a valid RE2 regex
      permissions: [ { destination_port: 70000 } ]                                     | policies[p].permissions[0].destination_port: 70000 (expected: 1 to 65535)
      permissions: []                                                                  | policies[p].permissions: a policy needs at least one permission
      """)
  void rejectsUnsupportedOrInvalidPermissionsWithTheirPath(String permissions, String message) {
    String rules = """
        action: DENY
        policies:
          p:
            %s
            principals: [ { any: true } ]
        """.formatted(permissions);
    String prefix = "static_resources.listeners[0].filter_chains[0].filters[0].typed_config.http_filters[0]"
        + ".typed_config.rules.";

    assertThatThrownBy(() -> load(httpBootstrap("", RbacBootstraps.httpRbac(rules))))
        .isInstanceOf(ConfigException.class)
        .hasMessageContaining(prefix + message);
  }

  @ParameterizedTest(name = "[{index}] {1}")
  @CsvSource(delimiter = '|', textBlock = """
      principals: [ { remote_ip: { address_prefix: 10.0.0.0, prefix_len: 8 } } ] | policies[p].principals[0].remote_ip: field 'remote_ip' of envoy.config.rbac.v3.Principal is not supported by Weft
      principals: [ { url_path: { path: { exact: /a } } } ]                       | policies[p].principals[0].url_path: field 'url_path'
      principals: [ { or_ids: { ids: [ { direct_remote_ip: { address_prefix: 10.0.0.0 } } ] } } ] | policies[p].principals[0].or_ids.ids[0].direct_remote_ip: field 'direct_remote_ip'
      principals: [ { authenticated: { principal_name: { exact: a, ignore_case: true } } } ] | -
      principals: []                                                              | policies[p].principals: a policy needs at least one principal
      """)
  void rejectsUnsupportedPrincipalsWithTheirPath(String principals, String message) throws Exception {
    String rules = """
        action: ALLOW
        policies:
          p:
            permissions: [ { any: true } ]
            %s
        """.formatted(principals);
    String yaml = httpBootstrap("", RbacBootstraps.httpRbac(rules));
    if (message.equals("-")) {
      assertThat(hcm(load(yaml)).rbac()).hasSize(1);
      return;
    }
    assertThatThrownBy(() -> load(yaml)).hasMessageContaining(".typed_config.rules." + message);
  }

  @Test
  void rejectsTheRbacFieldsWeftDoesNotImplement() {
    String shadow = """
        - name: envoy.filters.http.rbac
          typed_config:
            "@type": type.googleapis.com/envoy.extensions.filters.http.rbac.v3.RBAC
            shadow_rules: { action: DENY }
        """;
    assertThatThrownBy(() -> load(httpBootstrap("", shadow)))
        .hasMessageContaining("http_filters[0].typed_config.shadow_rules: field 'shadow_rules' of "
            + "envoy.extensions.filters.http.rbac.v3.RBAC is not supported by Weft");
    assertThatThrownBy(() -> load(httpBootstrap("", RbacBootstraps.httpRbac("action: LOG"))))
        .hasMessageContaining("typed_config.rules.action: LOG (expected: ALLOW or DENY)");
    assertThatThrownBy(() -> load(httpBootstrap("", RbacBootstraps.httpRbac("""
        action: DENY
        audit_logging_options: { audit_condition: ON_DENY }
        """)))).hasMessageContaining("rules.audit_logging_options: field 'audit_logging_options'");
    assertThatThrownBy(() -> load(httpBootstrap("path_with_escaped_slashes_action: UNESCAPE_AND_REDIRECT", "")))
        .hasMessageContaining("typed_config.path_with_escaped_slashes_action: UNESCAPE_AND_REDIRECT "
            + "(expected: KEEP_UNCHANGED, REJECT_REQUEST or UNESCAPE_AND_FORWARD)");
    assertThatThrownBy(() -> load(httpBootstrap("path_normalization_options: { forwarding_transformation: {} }",
        ""))).hasMessageContaining("path_normalization_options: field 'path_normalization_options'");
  }

  @Test
  void rejectsHttpOnlyRulesInANetworkRbacFilter() {
    String rules = """
        action: DENY
        policies:
          p:
            permissions: [ { header: { name: ":method", string_match: { exact: GET } } } ]
            principals: [ { header: { name: x-a, present_match: true } } ]
        """;
    String yaml = Bootstraps.bootstrap(RbacBootstraps.tcpListener("tcp", "app", rules),
        Bootstraps.cluster("app", false, 8080));

    assertThatThrownBy(() -> load(yaml))
        .hasMessageContaining("filters[0].typed_config.rules.policies[p].permissions[0].header: only available in "
            + "the HTTP RBAC filter")
        .hasMessageContaining("filters[0].typed_config.rules.policies[p].principals[0].header: only available");
  }

  @Test
  void onlyRbacFiltersMayPrecedeTheTerminalFilter() {
    String tcpProxy = """
          - name: envoy.filters.network.tcp_proxy
            typed_config:
              "@type": type.googleapis.com/envoy.extensions.filters.network.tcp_proxy.v3.TcpProxy
              stat_prefix: tcp
              cluster: app
        """;
    String twoTerminals = """
        - name: tcp
          address: { socket_address: { address: 127.0.0.1, port_value: 0 } }
          filter_chains:
          - filters:
        """ + tcpProxy.indent(2) + tcpProxy.indent(2);

    assertThatThrownBy(() -> load(Bootstraps.bootstrap(twoTerminals, Bootstraps.cluster("app", false, 8080))))
        .hasMessageContaining("filter_chains[0].filters[0].typed_config: network filter "
            + "'envoy.filters.network.tcp_proxy' before the last filter");
  }

  @Test
  void theRouterMustStayTheLastHttpFilter() {
    String listener = Bootstraps.httpListener("http", Bootstraps.routeAllTo("app"), "");
    int at = listener.indexOf("- name: envoy.filters.http.router");
    String indent = " ".repeat(indentOf(listener, at));
    String routerFirst = listener.substring(0, at)
        + "- { name: envoy.filters.http.router, typed_config: { \"@type\": "
        + "type.googleapis.com/envoy.extensions.filters.http.router.v3.Router } }\n"
        + indent + "- { name: envoy.filters.http.rbac, typed_config: { \"@type\": "
        + "type.googleapis.com/envoy.extensions.filters.http.rbac.v3.RBAC, rules: { action: DENY } } }\n";

    assertThatThrownBy(() -> load(Bootstraps.bootstrap(routerFirst, Bootstraps.cluster("app", false, 8080))))
        .hasMessageContaining("http_filters[0]: the router must be the last HTTP filter")
        .hasMessageContaining("http_filters[1]: the router (envoy.filters.http.router) must be the last HTTP filter");
  }

  private static int indentOf(String s, int at) {
    return at - s.lastIndexOf('\n', at) - 1;
  }
}

package dev.weft.proxy;

import static org.assertj.core.api.Assertions.assertThat;

import dev.weft.proxy.testkit.Bootstraps;
import dev.weft.proxy.testkit.RawHttpConnection;
import dev.weft.proxy.testkit.TestSidecar;
import dev.weft.proxy.testkit.TestUpstream;
import java.io.IOException;
import java.net.http.HttpClient;
import java.net.http.HttpRequest;
import java.net.http.HttpResponse;
import java.nio.charset.StandardCharsets;
import java.time.Duration;
import java.util.regex.Pattern;
import org.junit.jupiter.api.AfterAll;
import org.junit.jupiter.api.AfterEach;
import org.junit.jupiter.api.BeforeAll;
import org.junit.jupiter.api.BeforeEach;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.params.ParameterizedTest;
import org.junit.jupiter.params.provider.CsvSource;

/**
 * Route selection and request/response rewriting as Envoy's route configuration defines them:
 * virtual hosts by Host, routes by path, headers, method and gRPC, weighted clusters, direct
 * responses, header mutations at route, virtual host and route configuration level, rewrites,
 * and the request-id and forwarding headers.
 *
 * <p>Matching tests answer with a {@code direct_response} whose body names what matched;
 * forwarding tests check what the upstream received.
 */
class RoutingIT {
  private static final Pattern UUID = Pattern.compile("[0-9a-f]{8}-[0-9a-f]{4}-4[0-9a-f]{3}-[89ab][0-9a-f]{3}-[0-9a-f]{12}");

  private static TestUpstream a;
  private static TestUpstream b;
  private static TestSidecar sidecar;
  private RawHttpConnection conn;

  @BeforeAll
  static void start() throws Exception {
    a = TestUpstream.start("a");
    b = TestUpstream.start("b");
    sidecar = TestSidecar.start(Bootstraps.bootstrap(listener(),
        Bootstraps.cluster("a", false, a.port()) + Bootstraps.cluster("b", false, b.port())));
  }

  @AfterAll
  static void stop() {
    if (sidecar != null) {
      sidecar.close();
    }
    if (b != null) {
      b.close();
    }
    if (a != null) {
      a.close();
    }
  }

  @BeforeEach
  void connect() throws IOException {
    conn = RawHttpConnection.open(sidecar.port("http"));
  }

  @AfterEach
  void disconnect() throws IOException {
    conn.close();
  }

  /** A route answering with {@code name} as its body. */
  private static String named(String match, String name) {
    return """
        - match: %s
          direct_response: { status: 200, body: { inline_string: "%s" } }
        """.formatted(match, name);
  }

  private static String virtualHost(String name, String domain) {
    return """
        - name: %s
          domains: ["%s"]
          routes:
        %s""".formatted(name, domain, named("{ prefix: \"/\" }", "vh:" + name).indent(2));
  }

  private static String listener() {
    String matchRoutes = named("{ path: \"/exact\" }", "exact")
        + named("{ safe_regex: { regex: \"/users/[0-9]+\" } }", "regex")
        + named("{ path_separated_prefix: \"/docs\" }", "separated-prefix")
        + named("{ prefix: \"/api/\" }", "prefix")
        + named("{ prefix: \"/CaseLess/\", case_sensitive: false }", "case-insensitive-prefix")
        + named("{ prefix: \"/h/\", headers: [{ name: x-tenant, string_match: { exact: gold } }] }", "header-exact")
        + named("{ prefix: \"/h/\", headers: [{ name: x-canary, present_match: true }] }", "header-present")
        + named("{ prefix: \"/h/\", headers: [{ name: x-env, string_match: { prefix: prod- } }] }", "header-prefix")
        + named("{ prefix: \"/h/\", headers: [{ name: x-version, string_match: { safe_regex: { regex: \"v[0-9]+\\\\.[0-9]+\" } } }] }",
            "header-regex")
        + named("{ prefix: \"/h/\", headers: [{ name: x-debug, present_match: true, invert_match: true }] }",
            "header-inverted")
        + named("{ prefix: \"/m/\", headers: [{ name: \":method\", string_match: { exact: POST } }] }", "method-post")
        + named("{ prefix: \"/m/\", headers: [{ name: \":method\", exact_match: GET }] }", "method-get")
        + named("{ prefix: \"/\", grpc: {} }", "grpc")
        + named("{ prefix: \"/\" }", "fallback");
    String hosts = virtualHost("exact", "api.example.com")
        + virtualHost("suffix", "*.example.com")
        + virtualHost("longer-suffix", "*.eu.example.com")
        + virtualHost("prefix", "internal.*")
        + virtualHost("longer-prefix", "internal.eu.*")
        + """
        - name: matching
          domains: ["routes.test"]
          routes:
        %s- name: up
          domains: ["up.test"]
          request_headers_to_add:
          - header: { key: x-chain, value: vhost }
          - header: { key: x-level, value: vhost }
            append_action: OVERWRITE_IF_EXISTS_OR_ADD
          request_headers_to_remove: [x-secret]
          response_headers_to_add:
          - header: { key: x-resp-chain, value: vhost }
          - header: { key: x-resp-level, value: vhost }
            append_action: OVERWRITE_IF_EXISTS_OR_ADD
          response_headers_to_remove: [x-upstream-protocol]
          routes:
          - match: { prefix: "/weighted" }
            route:
              weighted_clusters:
                clusters:
                - name: a
                  weight: 90
                  response_headers_to_add: [{ header: { key: x-picked, value: a } }]
                - name: b
                  weight: 10
                  response_headers_to_add: [{ header: { key: x-picked, value: b } }]
          - match: { prefix: "/host-rewrite/" }
            route: { cluster: a, host_rewrite_literal: backend.internal }
          - match: { prefix: "/old/" }
            route: { cluster: a, prefix_rewrite: "/new/" }
          - match: { prefix: "/headers" }
            request_headers_to_add:
            - header: { key: x-chain, value: route }
            - header: { key: x-level, value: route }
              append_action: OVERWRITE_IF_EXISTS_OR_ADD
            - header: { key: x-default, value: route-default }
              append_action: ADD_IF_ABSENT
            - header: { key: x-only-if-present, value: replaced }
              append_action: OVERWRITE_IF_EXISTS
            - header: { key: x-legacy, value: legacy }
              append: false
            request_headers_to_remove: [x-drop-me]
            response_headers_to_add:
            - header: { key: x-resp-chain, value: route }
            - header: { key: x-resp-level, value: route }
              append_action: OVERWRITE_IF_EXISTS_OR_ADD
            response_headers_to_remove: [x-received-bytes]
            route: { cluster: a }
          - match: { prefix: "/direct" }
            direct_response: { status: 418, body: { inline_string: "short and stout" } }
          - match: { prefix: "/" }
            route: { cluster: a }
        """.formatted(matchRoutes.indent(2))
        + virtualHost("default", "*");
    return """
        - name: http
          address: { socket_address: { address: 127.0.0.1, port_value: 0 } }
          filter_chains:
          - filters:
            - name: envoy.filters.network.http_connection_manager
              typed_config:
                "@type": type.googleapis.com/envoy.extensions.filters.network.http_connection_manager.v3.HttpConnectionManager
                stat_prefix: http
                route_config:
                  name: routes
                  request_headers_to_add:
                  - header: { key: x-chain, value: config }
                  - header: { key: x-level, value: config }
                    append_action: OVERWRITE_IF_EXISTS_OR_ADD
                  response_headers_to_add:
                  - header: { key: x-resp-chain, value: config }
                  - header: { key: x-resp-level, value: config }
                    append_action: OVERWRITE_IF_EXISTS_OR_ADD
                  response_headers_to_remove: [x-upstream]
                  virtual_hosts:
        %s
                http_filters:
                - name: envoy.filters.http.router
                  typed_config: { "@type": type.googleapis.com/envoy.extensions.filters.http.router.v3.Router }
        """.formatted(hosts.indent(10).stripTrailing());
  }

  private String body(String method, String path, String host, String... headers) throws IOException {
    RawHttpConnection.Response r = conn.exchange(method, path, host, method.equals("POST") ? new byte[0] : null,
        headers);
    assertThat(r.status()).as("%s %s (Host %s)", method, path, host).isEqualTo(200);
    return r.bodyText();
  }

  // ------------------------------------------------------------------ virtual hosts

  @ParameterizedTest(name = "Host {0} selects {1}")
  @CsvSource({
      "api.example.com, vh:exact",
      "API.Example.COM, vh:exact",
      "www.example.com, vh:suffix",
      "a.b.example.com, vh:suffix",
      "api.eu.example.com, vh:longer-suffix",
      "internal.example.com, vh:suffix",
      "internal.corp, vh:prefix",
      "INTERNAL.corp, vh:prefix",
      "internal.eu.corp, vh:longer-prefix",
      "example.com, vh:default",
      "elsewhere.test, vh:default"})
  void virtualHostIsChosenByExactDomainThenLongestSuffixThenLongestPrefixThenCatchAll(String host, String expected)
      throws IOException {
    assertThat(body("GET", "/", host)).isEqualTo(expected);
  }

  // ------------------------------------------------------------------ path matches

  @ParameterizedTest(name = "{0} takes route {1}")
  @CsvSource({
      "/exact, exact",
      "/exact?query=1, exact",
      "/exact/more, fallback",
      "/EXACT, fallback",
      "/users/42, regex",
      "/users/42/photos, fallback",
      "/users/abc, fallback",
      "/docs, separated-prefix",
      "/docs/intro, separated-prefix",
      "/docs?x=1, separated-prefix",
      "/docsearch, fallback",
      "/api/v1/items, prefix",
      "/api, fallback",
      "/caseless/x, case-insensitive-prefix",
      "/CASELESS/x, case-insensitive-prefix"})
  void pathMatchesFollowEnvoySemantics(String path, String expected) throws IOException {
    assertThat(body("GET", path, "routes.test")).isEqualTo(expected);
  }

  // ------------------------------------------------------------------ header and method matches

  @Test
  void headerMatchersSelectRoutesInOrder() throws IOException {
    assertThat(body("GET", "/h/", "routes.test", "x-tenant", "gold", "x-debug", "1")).isEqualTo("header-exact");
    assertThat(body("GET", "/h/", "routes.test", "x-tenant", "silver", "x-debug", "1")).isEqualTo("fallback");
    assertThat(body("GET", "/h/", "routes.test", "x-canary", "yes", "x-debug", "1")).isEqualTo("header-present");
    assertThat(body("GET", "/h/", "routes.test", "x-env", "prod-eu", "x-debug", "1")).isEqualTo("header-prefix");
    assertThat(body("GET", "/h/", "routes.test", "x-env", "staging", "x-debug", "1")).isEqualTo("fallback");
    assertThat(body("GET", "/h/", "routes.test", "x-version", "v1.2", "x-debug", "1")).isEqualTo("header-regex");
    assertThat(body("GET", "/h/", "routes.test", "x-version", "v1.2.3", "x-debug", "1"))
        .as("a regex must match the whole value").isEqualTo("fallback");
  }

  @Test
  void invertedPresenceMatcherMatchesWhenTheHeaderIsAbsent() throws IOException {
    assertThat(body("GET", "/h/", "routes.test")).isEqualTo("header-inverted");
    assertThat(body("GET", "/h/", "routes.test", "x-debug", "1")).isEqualTo("fallback");
  }

  @Test
  void methodMatchesOnThePseudoHeader() throws IOException {
    assertThat(body("POST", "/m/", "routes.test")).isEqualTo("method-post");
    assertThat(body("GET", "/m/", "routes.test")).isEqualTo("method-get");
    assertThat(body("DELETE", "/m/", "routes.test")).isEqualTo("fallback");
  }

  @Test
  void grpcMatchTakesOnlyGrpcRequests() throws IOException {
    assertThat(body("POST", "/pkg.Service/Call", "routes.test", "content-type", "application/grpc")).isEqualTo("grpc");
    assertThat(body("POST", "/pkg.Service/Call", "routes.test", "content-type", "application/grpc+proto"))
        .isEqualTo("grpc");
    assertThat(body("POST", "/pkg.Service/Call", "routes.test", "content-type", "application/json"))
        .isEqualTo("fallback");
  }

  // ------------------------------------------------------------------ actions

  @Test
  void weightedClustersSplitTrafficNinetyTen() throws IOException {
    int total = 1000;
    int toA = 0;
    int toB = 0;
    for (int i = 0; i < total; i++) {
      RawHttpConnection.Response r = conn.get("/weighted/" + i, "up.test");
      assertThat(r.status()).isEqualTo(200);
      switch (r.header("x-picked")) {
        case "a" -> toA++;
        case "b" -> toB++;
        default -> throw new AssertionError("x-picked: " + r.header("x-picked"));
      }
    }
    assertThat(toA + toB).isEqualTo(total);
    assertThat(toA).as("share of cluster a in %d requests", total).isBetween(850, 950);
  }

  @Test
  void directResponseAnswersWithItsStatusBodyAndResponseHeaders() throws IOException {
    int before = a.requests();
    RawHttpConnection.Response r = conn.get("/direct", "up.test");
    assertThat(r.status()).isEqualTo(418);
    assertThat(r.bodyText()).isEqualTo("short and stout");
    assertThat(r.header("content-length")).isEqualTo("15");
    assertThat(r.headers("x-resp-chain")).containsExactly("vhost", "config");
    assertThat(a.requests()).isEqualTo(before);
  }

  @Test
  void requestHeaderMutationsApplyRouteThenVirtualHostThenRouteConfiguration() throws IOException {
    RawHttpConnection.Response r = conn.get("/headers", "up.test",
        "x-chain", "client",
        "x-level", "client",
        "x-default", "client",
        "x-only-if-present", "client",
        "x-legacy", "client",
        "x-drop-me", "1",
        "x-secret", "1");
    assertThat(r.status()).isEqualTo(200);
    var got = a.last();
    assertThat(got.headers().getAll("x-chain")).containsExactly("client", "route", "vhost", "config");
    assertThat(got.headers().getAll("x-level")).containsExactly("config");
    assertThat(got.headers().getAll("x-default")).containsExactly("client");
    assertThat(got.headers().getAll("x-only-if-present")).containsExactly("replaced");
    assertThat(got.headers().getAll("x-legacy")).containsExactly("legacy");
    assertThat(got.header("x-drop-me")).isNull();
    assertThat(got.header("x-secret")).isNull();
  }

  @Test
  void conditionalRequestHeaderActionsDependOnWhatTheClientSent() throws IOException {
    conn.get("/headers", "up.test");
    var got = a.last();
    assertThat(got.headers().getAll("x-chain")).containsExactly("route", "vhost", "config");
    assertThat(got.headers().getAll("x-default")).containsExactly("route-default");
    assertThat(got.header("x-only-if-present")).isNull();
    assertThat(got.headers().getAll("x-legacy")).containsExactly("legacy");
  }

  @Test
  void responseHeaderMutationsApplyAtEveryLevel() throws IOException {
    RawHttpConnection.Response r = conn.get("/headers", "up.test");
    assertThat(r.status()).isEqualTo(200);
    assertThat(r.headers("x-resp-chain")).containsExactly("route", "vhost", "config");
    assertThat(r.headers("x-resp-level")).containsExactly("config");
    assertThat(r.header("x-received-bytes")).as("removed by the route").isNull();
    assertThat(r.header("x-upstream-protocol")).as("removed by the virtual host").isNull();
    assertThat(r.header("x-upstream")).as("removed by the route configuration").isNull();
  }

  @Test
  void hostRewriteLiteralReplacesTheHostHeader() throws IOException {
    assertThat(conn.get("/host-rewrite/x", "up.test").status()).isEqualTo(200);
    assertThat(a.last().uri()).isEqualTo("/host-rewrite/x");
    assertThat(a.last().header("host")).isEqualTo("backend.internal");
  }

  @Test
  void prefixRewriteReplacesTheMatchedPrefixAndKeepsTheQuery() throws IOException {
    assertThat(conn.get("/old/items/7?sort=asc", "up.test").status()).isEqualTo(200);
    assertThat(a.last().uri()).isEqualTo("/new/items/7?sort=asc");
    assertThat(a.last().header("host")).isEqualTo("up.test");
  }

  // ------------------------------------------------------------------ request id and forwarding headers

  @Test
  void requestIdIsGeneratedAsAUuidWhenAbsent() throws Exception {
    try (HttpClient client = HttpClient.newBuilder().version(HttpClient.Version.HTTP_1_1).build()) {
      for (int i = 0; i < 2; i++) {
        HttpResponse<String> r = client.send(HttpRequest.newBuilder(sidecar.uri("http", "/rid/" + i))
            .timeout(Duration.ofSeconds(10)).build(), HttpResponse.BodyHandlers.ofString());
        assertThat(r.statusCode()).isEqualTo(200);
      }
    }
    var received = a.received();
    String first = received.get(received.size() - 2).header("x-request-id");
    String second = received.getLast().header("x-request-id");
    assertThat(first).matches(UUID);
    assertThat(second).matches(UUID).isNotEqualTo(first);
  }

  @Test
  void requestIdFromTheClientIsPreserved() throws IOException {
    conn.get("/rid", "up.test", "x-request-id", "client-chosen-id-123");
    assertThat(a.last().headers().getAll("x-request-id")).containsExactly("client-chosen-id-123");
  }

  @Test
  void traceContextHeadersPassThroughUntouched() throws IOException {
    String traceparent = "00-4bf92f3577b34da6a3ce929d0e0e4736-00f067aa0ba902b7-01";
    String tracestate = "congo=t61rcWkgMzE,rojo=00f067aa0ba902b7";
    String b3 = "80f198ee56343ba864fe8b2a57d3eff7-e457b5a2e4d86bd1-1-05e3ac9a4f6e3b90";
    conn.get("/trace", "up.test", "traceparent", traceparent, "tracestate", tracestate, "b3", b3,
        "x-b3-traceid", "80f198ee56343ba864fe8b2a57d3eff7", "x-b3-spanid", "e457b5a2e4d86bd1",
        "x-b3-sampled", "1");
    var got = a.last();
    assertThat(got.headers().getAll("traceparent")).containsExactly(traceparent);
    assertThat(got.headers().getAll("tracestate")).containsExactly(tracestate);
    assertThat(got.headers().getAll("b3")).containsExactly(b3);
    assertThat(got.header("x-b3-traceid")).isEqualTo("80f198ee56343ba864fe8b2a57d3eff7");
    assertThat(got.header("x-b3-spanid")).isEqualTo("e457b5a2e4d86bd1");
    assertThat(got.header("x-b3-sampled")).isEqualTo("1");
  }

  @Test
  void forwardedProtoIsAddedAsHttp() throws IOException {
    conn.exchange("POST", "/xfp", "up.test", "body".getBytes(StandardCharsets.UTF_8));
    assertThat(a.last().headers().getAll("x-forwarded-proto")).containsExactly("http");
  }
}

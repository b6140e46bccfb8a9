package dev.weft.proxy;

import static org.assertj.core.api.Assertions.assertThat;

import dev.weft.proxy.testkit.Bootstraps;
import dev.weft.proxy.testkit.PrincipalSidecar;
import dev.weft.proxy.testkit.RawHttpConnection;
import dev.weft.proxy.testkit.RbacBootstraps;
import dev.weft.proxy.testkit.TcpEchoServer;
import dev.weft.proxy.testkit.TestUpstream;
import io.micrometer.core.instrument.Counter;
import java.io.IOException;
import java.io.InputStream;
import java.net.InetAddress;
import java.net.ServerSocket;
import java.net.Socket;
import java.net.SocketException;
import java.nio.charset.StandardCharsets;
import java.util.concurrent.TimeUnit;
import org.junit.jupiter.api.AfterAll;
import org.junit.jupiter.api.BeforeAll;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.Timeout;
import org.junit.jupiter.params.ParameterizedTest;
import org.junit.jupiter.params.provider.CsvSource;

/**
 * Authorization with Envoy's RBAC filters, Istio style: on listener "http" a DENY filter runs
 * before an ALLOW filter, with path normalization on (normalize_path, merge_slashes, escaped
 * slashes rejected). Connections carry the peer principal the test chooses, as mTLS would set it.
 * Network RBAC guards the TCP listeners. Every denied or rejected request is checked never to
 * reach the upstream.
 */
@Timeout(value = 60, unit = TimeUnit.SECONDS)
class AuthorizationIT {
  private static final String WEB = "spiffe://td/ns/foo/sa/web";
  private static final String FOO_API = "spiffe://td/ns/foo/sa/api";
  private static final String BAR_ANY = "spiffe://td/ns/bar/sa/reports";

  private static final String DENY = """
      action: DENY
      policies:
        no-admin:
          permissions: [ { url_path: { path: { prefix: /admin, ignore_case: true } } } ]
          principals: [ { any: true } ]
        no-delete:
          permissions: [ { header: { name: ":method", string_match: { exact: DELETE } } } ]
          principals: [ { any: true } ]
        no-evil:
          permissions: [ { header: { name: x-a, string_match: { exact: evil } } } ]
          principals: [ { any: true } ]
      """;
  private static final String ALLOW = """
      action: ALLOW
      policies:
        web:
          permissions: [ { any: true } ]
          principals: [ { authenticated: { principal_name: { exact: "spiffe://td/ns/foo/sa/web" } } } ]
        ns-bar:
          permissions: [ { any: true } ]
          principals: [ { authenticated: { principal_name: { prefix: "spiffe://td/ns/bar/" } } } ]
        public-get:
          permissions:
          - and_rules:
              rules:
              - header: { name: ":method", string_match: { exact: GET } }
              - url_path: { path: { prefix: /public/ } }
          principals: [ { any: true } ]
      """;
  private static final String ALLOW_FOO_NAMESPACE = """
      action: ALLOW
      policies:
        foo:
          permissions: [ { any: true } ]
          principals: [ { authenticated: { principal_name: { safe_regex: { regex: "spiffe://td/ns/foo/sa/[^/]+" } } } } ]
      """;

  private static TestUpstream app;
  private static TcpEchoServer echo;
  private static PrincipalSidecar sidecar;
  private static int fixedPort;

  @BeforeAll
  static void start() throws Exception {
    app = TestUpstream.start("app");
    echo = TcpEchoServer.echo();
    try (ServerSocket s = new ServerSocket(0, 1, InetAddress.getLoopbackAddress())) {
      fixedPort = s.getLocalPort();
    }
    String normalization = """
        normalize_path: true
        merge_slashes: true
        path_with_escaped_slashes_action: REJECT_REQUEST
        """;
    String portRules = """
        action: ALLOW
        policies:
          fixed-port:
            permissions: [ { destination_port: %d } ]
            principals: [ { any: true } ]
        """.formatted(fixedPort);
    String listeners = RbacBootstraps.httpListener("http", Bootstraps.routeAllTo("app"), normalization,
            RbacBootstraps.httpRbac(DENY) + RbacBootstraps.httpRbac(ALLOW))
        + RbacBootstraps.tcpListener("tcp", "echo", ALLOW_FOO_NAMESPACE)
        + RbacBootstraps.tcpListener("tcp-fixed", "echo", portRules)
            .replace("port_value: 0", "port_value: " + fixedPort)
        + RbacBootstraps.tcpListener("tcp-other", "echo", portRules);
    sidecar = PrincipalSidecar.start(Bootstraps.bootstrap(listeners,
        Bootstraps.cluster("app", false, app.port()) + Bootstraps.cluster("echo", false, echo.port())));
  }

  @AfterAll
  static void stop() throws IOException {
    if (sidecar != null) {
      sidecar.close();
    }
    if (echo != null) {
      echo.close();
    }
    if (app != null) {
      app.close();
    }
  }

  private static RawHttpConnection.Response get(String principal, String target, String... headers)
      throws IOException {
    return exchange(principal, "GET", target, headers);
  }

  private static RawHttpConnection.Response exchange(String principal, String method, String target,
      String... headers) throws IOException {
    try (RawHttpConnection c = sidecar.http("http", principal)) {
      return c.exchange(method, target, "app.test", null, headers);
    }
  }

  private static double counter(String name, String... tags) {
    Counter c = sidecar.metrics().registry().find(name).tags(tags).counter();
    return c == null ? 0 : c.count();
  }

  /** No request reached the upstream since it had received {@code requestsBefore}. */
  private static void assertNeverForwarded(int requestsBefore) {
    assertThat(app.requests()).as("requests that reached the upstream").isEqualTo(requestsBefore);
  }

  // ---------------------------------------------------------------- path bypass attempts

  @ParameterizedTest(name = "[{index}] {0} -> {1}")
  @CsvSource(delimiter = '|', textBlock = """
      //admin         | 403
      /%61dmin        | 403
      /a/../admin     | 403
      /admin/         | 403
      /ADMIN          | 403
      /admin%00       | 400
      /admin?x        | 403
      /admin#x        | 400
      /./admin        | 403
      /admin%2F..     | 400
      /%2e%2e/admin   | 403
      /admin          | 403
      //ADMIN/./x/../ | 403
      /%41dmin%2fx    | 400
      """)
  void aDenyOnAdminCannotBeBypassedByPathTricks(String target, int status) throws Exception {
    int before = app.requests();

    // The web principal is allowed everywhere else, so only the DENY filter or the normalizer stops it.
    RawHttpConnection.Response r = get(WEB, target);

    assertThat(r.status()).isEqualTo(status);
    assertThat(r.header("x-weft-error")).isEqualTo(status == 403 ? "rbac_access_denied" : "invalid_path");
    assertNeverForwarded(before);
  }

  @Test
  void forwardsTheNormalizedPathThatWasAuthorized() throws Exception {
    RawHttpConnection.Response r = get(WEB, "/x/../api//v1/%7Euser/%2a?q=/../admin&r=%2e");

    assertThat(r.status()).isEqualTo(200);
    assertThat(app.last().uri()).isEqualTo("/api/v1/~user/%2A?q=/../admin&r=%2e");
  }

  @Test
  void aDeniedRequestIsCountedAndAnsweredWith403() throws Exception {
    double replies = counter("weft.http.local.replies", "listener", "http", "reason", "rbac_access_denied");
    double denials = counter("weft.rbac.denied", "listener", "http", "filter", "envoy.filters.http.rbac");

    RawHttpConnection.Response r = get(WEB, "/admin/users");

    assertThat(r.status()).isEqualTo(403);
    assertThat(r.bodyText()).isEqualTo("RBAC: access denied\n");
    assertThat(counter("weft.http.local.replies", "listener", "http", "reason", "rbac_access_denied"))
        .isEqualTo(replies + 1);
    assertThat(counter("weft.rbac.denied", "listener", "http", "filter", "envoy.filters.http.rbac"))
        .isEqualTo(denials + 1);
  }

  @Test
  void aDeniedConnectionStillServesItsNextAllowedRequest() throws Exception {
    try (RawHttpConnection c = sidecar.http("http", WEB)) {
      assertThat(c.get("/admin", "app.test").status()).isEqualTo(403);
      assertThat(c.get("/api", "app.test").status()).isEqualTo(200);
    }
  }

  // ---------------------------------------------------------------- principals

  @ParameterizedTest(name = "[{index}] {0} -> {1}")
  @CsvSource(nullValues = "plaintext", textBlock = """
      spiffe://td/ns/foo/sa/web,      200
      spiffe://td/ns/foo/sa/api,      403
      spiffe://td/ns/foo/sa/web2,     403
      spiffe://td/ns/bar/sa/reports,  200
      spiffe://td/ns/bar/sa/x,        200
      spiffe://td/ns/barn/sa/x,       403
      spiffe://other/ns/bar/sa/x,     403
      plaintext,                      403
      """)
  void allowsByExactPrincipalOrNamespacePrefix(String principal, int status) throws Exception {
    int before = app.requests();

    RawHttpConnection.Response r = get(principal, "/api");

    assertThat(r.status()).isEqualTo(status);
    assertThat(app.requests()).isEqualTo(status == 200 ? before + 1 : before);
  }

  @Test
  void denyWinsOverAllow() throws Exception {
    int before = app.requests();

    assertThat(get(BAR_ANY, "/admin").status()).isEqualTo(403);
    assertThat(exchange(WEB, "DELETE", "/api").status()).isEqualTo(403);
    assertThat(exchange(BAR_ANY, "DELETE", "/api").status()).isEqualTo(403);
    assertNeverForwarded(before);
  }

  // ---------------------------------------------------------------- methods and headers

  @Test
  void methodAndPathRulesCombine() throws Exception {
    assertThat(get(null, "/public/index.html").status()).isEqualTo(200);
    assertThat(exchange(null, "HEAD", "/public/index.html").status()).isEqualTo(403);
    assertThat(exchange(null, "POST", "/public/index.html").status()).isEqualTo(403);
    assertThat(get(null, "/public").status()).isEqualTo(403);
    assertThat(get(FOO_API, "/public/../private").status()).isEqualTo(403);
  }

  @Test
  void aHeaderDenyChecksEveryValueOfARepeatedHeader() throws Exception {
    int before = app.requests();

    assertThat(get(WEB, "/api", "x-a", "evil").status()).isEqualTo(403);
    assertThat(get(WEB, "/api", "x-a", "ok", "x-a", "evil").status()).isEqualTo(403);
    assertThat(get(WEB, "/api", "x-a", "evil", "x-a", "ok").status()).isEqualTo(403);
    assertThat(get(WEB, "/api", "x-a", "ok, evil").status()).isEqualTo(403);
    assertThat(get(WEB, "/api", "X-A", "evil").status()).isEqualTo(403);
    assertNeverForwarded(before);

    assertThat(get(WEB, "/api", "x-a", "ok", "x-a", "fine").status()).isEqualTo(200);
    assertThat(get(WEB, "/api", "x-a", "not-evil").status()).isEqualTo(200);
  }

  @Test
  void aDeniedGrpcCallGetsPermissionDenied() throws Exception {
    try (RawHttpConnection c = sidecar.http("http", null)) {
      RawHttpConnection.Response r = c.exchange("POST", "/pkg.Service/Method", "app.test", new byte[0],
          "content-type", "application/grpc", "te", "trailers");

      assertThat(r.status()).isEqualTo(200);
      assertThat(r.header("grpc-status")).isEqualTo("7");
      assertThat(r.header("x-weft-error")).isEqualTo("rbac_access_denied");
    }
  }

  // ---------------------------------------------------------------- network RBAC

  @Test
  void anAllowedTcpConnectionEchoes() throws Exception {
    try (Socket s = sidecar.connect("tcp", FOO_API)) {
      byte[] hello = "hello from foo\n".getBytes(StandardCharsets.US_ASCII);
      s.getOutputStream().write(hello);

      assertThat(s.getInputStream().readNBytes(hello.length)).isEqualTo(hello);
    }
  }

  @ParameterizedTest(name = "[{index}] {0}")
  @CsvSource(nullValues = "plaintext", textBlock = """
      spiffe://td/ns/bar/sa/reports
      spiffe://td/ns/foo/sa/web/extra
      plaintext
      """)
  void aDeniedTcpConnectionIsClosedWithoutReachingTheUpstream(String principal) throws Exception {
    int accepted = echo.accepted();
    double denials = counter("weft.rbac.denied", "listener", "tcp", "filter", "tcp_rbac");

    try (Socket s = sidecar.connect("tcp", principal)) {
      writeQuietly(s, "let me in\n");

      assertThat(closedByPeer(s.getInputStream())).isTrue();
    }
    assertThat(echo.accepted()).isEqualTo(accepted);
    assertThat(counter("weft.rbac.denied", "listener", "tcp", "filter", "tcp_rbac")).isEqualTo(denials + 1);
  }

  @Test
  void aDestinationPortRuleAllowsOnlyThatPort() throws Exception {
    try (Socket s = sidecar.connect("tcp-fixed", null)) {
      s.getOutputStream().write("ping\n".getBytes(StandardCharsets.US_ASCII));
      assertThat(new String(s.getInputStream().readNBytes(5), StandardCharsets.US_ASCII)).isEqualTo("ping\n");
    }
    try (Socket s = sidecar.connect("tcp-other", null)) {
      assertThat(closedByPeer(s.getInputStream())).isTrue();
    }
  }

  private static void writeQuietly(Socket s, String text) {
    try {
      s.getOutputStream().write(text.getBytes(StandardCharsets.US_ASCII));
    } catch (IOException e) {
      // already closed by the proxy: that is the point
    }
  }

  /** Whether the peer closes (EOF or reset) without sending a byte, within the read timeout. */
  private static boolean closedByPeer(InputStream in) throws IOException {
    try {
      return in.read() < 0;
    } catch (SocketException e) {
      return true;
    }
  }
}

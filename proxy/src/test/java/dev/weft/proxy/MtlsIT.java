package dev.weft.proxy;

import static org.assertj.core.api.Assertions.assertThat;
import static org.junit.jupiter.api.Assumptions.assumeTrue;

import dev.weft.proxy.testkit.Bootstraps;
import dev.weft.proxy.testkit.Curl;
import dev.weft.proxy.testkit.H2cClient;
import dev.weft.proxy.testkit.TestPki;
import dev.weft.proxy.testkit.TestSidecar;
import dev.weft.proxy.testkit.TestUpstream;
import java.io.InputStream;
import java.net.InetAddress;
import java.net.Socket;
import java.net.http.HttpClient;
import java.net.http.HttpRequest;
import java.net.http.HttpResponse;
import java.nio.charset.StandardCharsets;
import java.nio.file.Path;
import java.time.Duration;
import java.util.Set;
import java.util.concurrent.ConcurrentHashMap;
import java.util.concurrent.ExecutorService;
import java.util.concurrent.Executors;
import java.util.concurrent.Future;
import java.util.concurrent.atomic.AtomicInteger;
import java.util.regex.Matcher;
import java.util.regex.Pattern;
import org.junit.jupiter.api.AfterEach;
import org.junit.jupiter.api.BeforeEach;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;
import org.junit.jupiter.params.Parameter;
import org.junit.jupiter.params.ParameterizedClass;
import org.junit.jupiter.params.provider.ValueSource;

/**
 * Two sidecars over mutual TLS, as in the mesh: a client-side sidecar (plaintext listener,
 * cluster with an {@code UpstreamTlsContext} that expects the server's SPIFFE ID) calls a
 * server-side sidecar (STRICT: a TLS-only chain requiring client certificates), which forwards
 * to the workload with {@code x-forwarded-client-cert}. Run with BoringSSL (tcnative) and with
 * the JDK's TLS.
 */
@ParameterizedClass
@ValueSource(strings = {"openssl", "jdk"})
class MtlsIT {
  private static final String CLIENT_ID = "spiffe://cluster.local/ns/default/sa/web";
  private static final String SERVER_ID = "spiffe://cluster.local/ns/default/sa/api";
  private static final HttpClient HTTP = HttpClient.newBuilder().version(HttpClient.Version.HTTP_1_1).build();

  @Parameter
  String provider;

  @TempDir
  Path dir;

  private TestPki pki;
  private TestUpstream app;

  @BeforeEach
  void setUp() throws Exception {
    System.setProperty("weft.tls.provider", provider);
    System.setProperty("weft.tls.poll-ms", "100");
    pki = new TestPki(dir);
    app = TestUpstream.start("app");
  }

  @AfterEach
  void tearDown() {
    app.close();
    System.clearProperty("weft.tls.provider");
    System.clearProperty("weft.tls.poll-ms");
  }

  /** The server-side sidecar: listener "inbound" terminating mTLS, routing to the app. */
  private TestSidecar serverSidecar(TestPki.Identity id) throws Exception {
    return serverSidecar(id, "");
  }

  /** @param httpFilters HTTP filters (YAML list items) placed before the router */
  private TestSidecar serverSidecar(TestPki.Identity id, String httpFilters) throws Exception {
    String listener = """
        - name: inbound
          address: { socket_address: { address: 127.0.0.1, port_value: 0 } }
          filter_chains:
          - transport_socket:
              name: envoy.transport_sockets.tls
              typed_config:
                "@type": type.googleapis.com/envoy.extensions.transport_sockets.tls.v3.DownstreamTlsContext
                require_client_certificate: true
                common_tls_context:
                  alpn_protocols: [h2, http/1.1]
                  tls_certificates:
                  - certificate_chain: { filename: "%s" }
                    private_key: { filename: "%s" }
                  validation_context:
                    trusted_ca: { filename: "%s" }
                    match_typed_subject_alt_names:
                    - san_type: URI
                      matcher: { prefix: "spiffe://cluster.local/ns/default/" }
            filters:
            - name: envoy.filters.network.http_connection_manager
              typed_config:
                "@type": type.googleapis.com/envoy.extensions.filters.network.http_connection_manager.v3.HttpConnectionManager
                stat_prefix: inbound
                forward_client_cert_details: SANITIZE_SET
                set_current_client_cert_details: { uri: true }
                route_config:
                  virtual_hosts: [ { name: app, domains: ["*"], routes: [ { match: { prefix: "/" }, route: { cluster: app } } ] } ]
                http_filters:
        %s
                - name: envoy.filters.http.router
                  typed_config: { "@type": type.googleapis.com/envoy.extensions.filters.http.router.v3.Router }
        """.formatted(id.chain(), id.key(), id.root(), httpFilters.isBlank() ? "" : httpFilters.stripTrailing()
        .lines().map(l -> "        " + l).collect(java.util.stream.Collectors.joining("\n")));
    return TestSidecar.start(Bootstraps.bootstrap(listener, Bootstraps.cluster("app", false, app.port())));
  }

  /**
   * The client-side sidecar: listener "outbound" (plaintext from the app), cluster "server"
   * over mTLS expecting {@code expectedServer}.
   */
  private TestSidecar clientSidecar(TestPki.Identity id, int serverPort, String expectedServer, boolean http2,
      String extraCluster) throws Exception {
    String cluster = """
        - name: server
          type: STATIC
          connect_timeout: 2s
        %s%s  transport_socket:
            name: envoy.transport_sockets.tls
            typed_config:
              "@type": type.googleapis.com/envoy.extensions.transport_sockets.tls.v3.UpstreamTlsContext
              common_tls_context:
                tls_certificates:
                - certificate_chain: { filename: "%s" }
                  private_key: { filename: "%s" }
                validation_context:
                  trusted_ca: { filename: "%s" }
                  match_typed_subject_alt_names:
                  - san_type: URI
                    matcher: { exact: "%s" }
          load_assignment:
            cluster_name: server
            endpoints:
            - lb_endpoints:
              - endpoint: { address: { socket_address: { address: 127.0.0.1, port_value: %d } } }
        """.formatted(http2 ? """
          typed_extension_protocol_options:
            envoy.extensions.upstreams.http.v3.HttpProtocolOptions:
              "@type": type.googleapis.com/envoy.extensions.upstreams.http.v3.HttpProtocolOptions
              explicit_http_config: { http2_protocol_options: {} }
        """ : "", extraCluster, id.chain(), id.key(), id.root(), expectedServer, serverPort);
    return TestSidecar.start(Bootstraps.bootstrap(Bootstraps.httpListener("outbound",
        Bootstraps.routeAllTo("server"), ""), cluster));
  }

  private static HttpResponse<String> get(TestSidecar client, String path) throws Exception {
    return HTTP.send(HttpRequest.newBuilder(client.uri("outbound", path)).timeout(Duration.ofSeconds(10))
        .header("x-forwarded-client-cert", "By=forged;URI=spiffe://cluster.local/ns/kube-system/sa/admin").build(),
        HttpResponse.BodyHandlers.ofString());
  }

  @Test
  void theServerSidecarSeesTheClientsSpiffeId() throws Exception {
    try (TestSidecar server = serverSidecar(pki.issue("server", "default", "api", Duration.ofHours(1)));
         TestSidecar client = clientSidecar(pki.issue("client", "default", "web", Duration.ofHours(1)),
             server.port("inbound"), SERVER_ID, true, "")) {
      for (int i = 0; i < 5; i++) {
        HttpResponse<String> r = get(client, "/hello" + i);
        assertThat(r.statusCode()).isEqualTo(200);
      }
      TestUpstream.Received got = app.last();
      String xfcc = got.header("x-forwarded-client-cert");
      assertThat(xfcc).as("the forged header is replaced by what the server sidecar verified")
          .startsWith("By=" + SERVER_ID + ";Hash=").endsWith(";URI=" + CLIENT_ID).doesNotContain("forged");
      assertThat(got.header("x-forwarded-proto")).as("the scheme the app used with its own sidecar").isEqualTo("http");
      assertThat(server.sidecar().metrics().listener("inbound").totalConnections.count())
          .as("requests share one multiplexed mTLS connection").isEqualTo(1.0);
      assertThat(server.sidecar().tls().provider().name()).isEqualToIgnoringCase(provider);
    }
  }

  @Test
  void keepingTheDownstreamProtocolOffersOnlyThatProtocolInAlpn() throws Exception {
    // The mesh default (Istio's too): HTTP/1.1 stays HTTP/1.1 across the mTLS hop, HTTP/2 stays
    // HTTP/2. The server sidecar offers both in ALPN and prefers h2, so a connection that will
    // carry HTTP/1.1 must offer only http/1.1, or the server picks h2 and the request is garbage.
    String keepProtocol = """
          typed_extension_protocol_options:
            envoy.extensions.upstreams.http.v3.HttpProtocolOptions:
              "@type": type.googleapis.com/envoy.extensions.upstreams.http.v3.HttpProtocolOptions
              use_downstream_protocol_config: { http_protocol_options: {}, http2_protocol_options: {} }
        """;
    try (TestSidecar server = serverSidecar(pki.issue("server", "default", "api", Duration.ofHours(1)));
         TestSidecar client = clientSidecar(pki.issue("client", "default", "web", Duration.ofHours(1)),
             server.port("inbound"), SERVER_ID, false, keepProtocol)) {
      for (int i = 0; i < 3; i++) {
        HttpResponse<String> r = get(client, "/h1-" + i);
        assertThat(r.statusCode()).isEqualTo(200);
        assertThat(r.headers().firstValue("x-upstream")).hasValue("app");
      }
      try (H2cClient h2 = H2cClient.connect(client.port("outbound"))) {
        H2cClient.Response r = h2.get("/h2").get(10, java.util.concurrent.TimeUnit.SECONDS);
        assertThat(r.status()).isEqualTo(200);
        assertThat(r.header("x-upstream")).isEqualTo("app");
      }
      assertThat(server.sidecar().metrics().listener("inbound").totalConnections.count())
          .as("one pooled HTTP/1.1 connection and one HTTP/2 connection").isEqualTo(2.0);
    }
  }

  @Test
  void aRequestArrivingOverTlsWithoutForwardedProtoIsMarkedHttps() throws Exception {
    assumeTrue(Curl.available(), Curl.MISSING);
    TestPki.Identity client = pki.issue("client", "default", "web", Duration.ofHours(1));
    try (TestSidecar server = serverSidecar(pki.issue("server", "default", "api", Duration.ofHours(1)))) {
      for (String version : new String[] {"--http1.1", "--http2"}) {
        Curl.Result r = Curl.run("-sk", version, "--cert", client.chain().toString(), "--key", client.key().toString(),
            "-o", "/dev/null", "-w", "%{http_code}", "https://127.0.0.1:" + server.port("inbound") + "/xfp");
        assertThat(r.stdout()).as("curl %s: %s", version, r.stderr()).isEqualTo("200");
        assertThat(app.last().header("x-forwarded-proto")).as(version).isEqualTo("https");
      }
    }
  }

  @Test
  void authorizationSeesThePeerIdentityFromTheHandshake() throws Exception {
    String rbac = """
        - name: envoy.filters.http.rbac
          typed_config:
            "@type": type.googleapis.com/envoy.extensions.filters.http.rbac.v3.RBAC
            rules:
              action: ALLOW
              policies:
                web-only:
                  permissions: [ { any: true } ]
                  principals: [ { authenticated: { principal_name: { exact: "spiffe://cluster.local/ns/default/sa/web" } } } ]
        """;
    try (TestSidecar server = serverSidecar(pki.issue("server", "default", "api", Duration.ofHours(1)), rbac);
         TestSidecar web = clientSidecar(pki.issue("web", "default", "web", Duration.ofHours(1)),
             server.port("inbound"), SERVER_ID, true, "");
         TestSidecar batch = clientSidecar(pki.issue("batch", "default", "batch", Duration.ofHours(1)),
             server.port("inbound"), SERVER_ID, true, "")) {
      assertThat(get(web, "/orders").statusCode()).isEqualTo(200);
      HttpResponse<String> denied = get(batch, "/orders");
      assertThat(denied.statusCode()).isEqualTo(403);
      assertThat(denied.headers().firstValue("x-weft-error")).hasValue("rbac_access_denied");
      assertThat(app.requests()).isEqualTo(1);
    }
  }

  @Test
  void aPermissivePortTakesBothMtlsAndPlaintext() throws Exception {
    TestPki.Identity id = pki.issue("server", "default", "api", Duration.ofHours(1));
    String hcm = """
            - name: envoy.filters.network.http_connection_manager
              typed_config:
                "@type": type.googleapis.com/envoy.extensions.filters.network.http_connection_manager.v3.HttpConnectionManager
                stat_prefix: inbound
                forward_client_cert_details: SANITIZE_SET
                set_current_client_cert_details: { uri: true }
                route_config:
                  virtual_hosts: [ { name: app, domains: ["*"], routes: [ { match: { prefix: "/" }, route: { cluster: app } } ] } ]
                http_filters:
                - name: envoy.filters.http.router
                  typed_config: { "@type": type.googleapis.com/envoy.extensions.filters.http.router.v3.Router }
        """;
    String listener = """
        - name: inbound
          address: { socket_address: { address: 127.0.0.1, port_value: 0 } }
          listener_filters:
          - name: envoy.filters.listener.tls_inspector
            typed_config: { "@type": type.googleapis.com/envoy.extensions.filters.listener.tls_inspector.v3.TlsInspector }
          filter_chains:
          - filter_chain_match: { transport_protocol: tls }
            transport_socket:
              name: envoy.transport_sockets.tls
              typed_config:
                "@type": type.googleapis.com/envoy.extensions.transport_sockets.tls.v3.DownstreamTlsContext
                require_client_certificate: true
                common_tls_context:
                  alpn_protocols: [h2, http/1.1]
                  tls_certificates: [ { certificate_chain: { filename: "%s" }, private_key: { filename: "%s" } } ]
                  validation_context: { trusted_ca: { filename: "%s" } }
            filters:
        %s
          - filter_chain_match: { transport_protocol: raw_buffer }
            filters:
        %s
        """.formatted(id.chain(), id.key(), id.root(), hcm, hcm);
    try (TestSidecar server = TestSidecar.start(Bootstraps.bootstrap(listener,
            Bootstraps.cluster("app", false, app.port())));
         TestSidecar client = clientSidecar(pki.issue("client", "default", "web", Duration.ofHours(1)),
             server.port("inbound"), SERVER_ID, true, "")) {
      assertThat(get(client, "/mtls").statusCode()).isEqualTo(200);
      assertThat(app.last().header("x-forwarded-client-cert")).endsWith(";URI=" + CLIENT_ID);
      HttpResponse<String> plain = HTTP.send(HttpRequest.newBuilder(server.uri("inbound", "/plain"))
          .header("x-forwarded-client-cert", "URI=forged").build(), HttpResponse.BodyHandlers.ofString());
      assertThat(plain.statusCode()).isEqualTo(200);
      assertThat(app.last().uri()).isEqualTo("/plain");
      assertThat(app.last().header("x-forwarded-client-cert")).as("plaintext has no verified identity").isNull();
    }
  }

  @Test
  void plaintextToAStrictPortIsRefused() throws Exception {
    try (TestSidecar server = serverSidecar(pki.issue("server", "default", "api", Duration.ofHours(1)));
         Socket s = new Socket(InetAddress.getLoopbackAddress(), server.port("inbound"))) {
      s.setSoTimeout(5000);
      s.getOutputStream().write("GET / HTTP/1.1\r\nHost: app\r\n\r\n".getBytes(StandardCharsets.US_ASCII));
      s.getOutputStream().flush();
      InputStream in = s.getInputStream();
      byte[] answer = in.readNBytes(64);
      assertThat(new String(answer, StandardCharsets.ISO_8859_1)).doesNotContain("HTTP/1.1");
      assertThat(app.requests()).isZero();
    }
  }

  @Test
  void aClientCertificateFromAnotherCaIsRefused(@TempDir Path other) throws Exception {
    TestPki.Identity foreign = new TestPki(other).issue("client", "default", "web", Duration.ofHours(1));
    // The client sidecar trusts our root (so it can verify the server) but presents a foreign certificate.
    TestPki.Identity mixed = new TestPki.Identity(foreign.chain(), foreign.key(), pki.root());
    try (TestSidecar server = serverSidecar(pki.issue("server", "default", "api", Duration.ofHours(1)));
         TestSidecar client = clientSidecar(mixed, server.port("inbound"), SERVER_ID, false, "")) {
      HttpResponse<String> r = get(client, "/");
      assertThat(r.statusCode()).isEqualTo(503);
      assertThat(app.requests()).isZero();
    }
  }

  @Test
  void anExpiredClientCertificateIsRefused() throws Exception {
    try (TestSidecar server = serverSidecar(pki.issue("server", "default", "api", Duration.ofHours(1)));
         TestSidecar client = clientSidecar(pki.issueExpired("client", "default", "web"), server.port("inbound"),
             SERVER_ID, false, "")) {
      HttpResponse<String> r = get(client, "/");
      assertThat(r.statusCode()).isEqualTo(503);
      assertThat(app.requests()).isZero();
    }
  }

  @Test
  void aServerWithTheWrongSpiffeIdIsRefused() throws Exception {
    try (TestSidecar server = serverSidecar(pki.issue("server", "default", "api", Duration.ofHours(1)));
         TestSidecar client = clientSidecar(pki.issue("client", "default", "web", Duration.ofHours(1)),
             server.port("inbound"), "spiffe://cluster.local/ns/default/sa/payments", true, "")) {
      HttpResponse<String> r = get(client, "/");
      assertThat(r.statusCode()).isEqualTo(503);
      assertThat(r.headers().firstValue("x-weft-error")).hasValue("upstream_connect_failure");
      assertThat(client.sidecar().metrics().cluster("server").tlsFailures.count()).isGreaterThanOrEqualTo(1.0);
      assertThat(app.requests()).isZero();
    }
  }

  @Test
  void aClientOutsideTheAllowedNamespaceIsRefused() throws Exception {
    try (TestSidecar server = serverSidecar(pki.issue("server", "default", "api", Duration.ofHours(1)));
         TestSidecar client = clientSidecar(pki.issue("client", "other-ns", "web", Duration.ofHours(1)),
             server.port("inbound"), SERVER_ID, false, "")) {
      assertThat(get(client, "/").statusCode()).isEqualTo(503);
      assertThat(app.requests()).isZero();
    }
  }

  @Test
  void certificatesRotateUnderLoadWithoutFailedRequests() throws Exception {
    TestPki.Identity serverId = pki.issue("server", "default", "api", Duration.ofSeconds(20));
    TestPki.Identity clientId = pki.issue("client", "default", "web", Duration.ofSeconds(20));
    // HTTP/1.1 with one request per connection: every request makes a new handshake, so each
    // one uses whatever certificates are current.
    try (TestSidecar server = serverSidecar(serverId);
         TestSidecar client = clientSidecar(clientId, server.port("inbound"), SERVER_ID, false,
             "  max_requests_per_connection: 1\n");
         ExecutorService load = Executors.newFixedThreadPool(4)) {
      AtomicInteger failures = new AtomicInteger();
      AtomicInteger ok = new AtomicInteger();
      Set<String> hashes = ConcurrentHashMap.newKeySet();
      Pattern hash = Pattern.compile("Hash=([0-9a-f]+)");
      long end = System.nanoTime() + Duration.ofSeconds(5).toNanos();
      Future<?>[] workers = new Future<?>[4];
      for (int w = 0; w < workers.length; w++) {
        workers[w] = load.submit(() -> {
          for (int i = 0; i < 2000 && System.nanoTime() < end; i++) {
            try {
              HttpResponse<String> r = get(client, "/r");
              if (r.statusCode() == 200) {
                ok.incrementAndGet();
              } else {
                failures.incrementAndGet();
              }
            } catch (Exception e) {
              failures.incrementAndGet();
            }
          }
          return null;
        });
      }
      for (int round = 0; round < 4 && System.nanoTime() < end; round++) {
        Thread.sleep(900);
        pki.issue("server", "default", "api", Duration.ofSeconds(20));
        pki.issue("client", "default", "web", Duration.ofSeconds(20));
      }
      for (Future<?> w : workers) {
        w.get();
      }
      for (TestUpstream.Received r : app.received()) {
        Matcher m = hash.matcher(String.valueOf(r.header("x-forwarded-client-cert")));
        if (m.find()) {
          hashes.add(m.group(1));
        }
      }
      assertThat(failures.get()).isZero();
      assertThat(ok.get()).isGreaterThan(20);
      assertThat(hashes).as("client certificates seen by the server").hasSizeGreaterThanOrEqualTo(3);
      assertThat(server.sidecar().tls().server(server.sidecar().config().listeners().getFirst().filterChains()
          .getFirst().tls()).builds()).as("server contexts built").isGreaterThanOrEqualTo(3);
    }
  }

  @Test
  void healthChecksRunOverTheClustersMtls() throws Exception {
    // An HTTP/2 cluster: its connections offer only h2, while health checks speak HTTP/1.1 over
    // the same certificates and SAN checks.
    String healthCheck = """
          health_checks:
          - { timeout: 2s, interval: 0.1s, no_traffic_interval: 0.1s, unhealthy_threshold: 1, healthy_threshold: 1,
              http_health_check: { path: /healthz } }
        """;
    try (TestSidecar server = serverSidecar(pki.issue("server", "default", "api", Duration.ofHours(1)));
         TestSidecar client = clientSidecar(pki.issue("client", "default", "web", Duration.ofHours(1)),
             server.port("inbound"), SERVER_ID, true, healthCheck)) {
      String host = "server::127.0.0.1:" + server.port("inbound") + "::health_flags::";
      org.awaitility.Awaitility.await().atMost(Duration.ofSeconds(10))
          .until(() -> admin(client, "/clusters").contains(host + "healthy\n"));
      assertThat(app.healthChecks()).isPositive();
      assertThat(app.last().header("x-forwarded-client-cert")).as("checked over mTLS").contains("URI=" + CLIENT_ID);
      assertThat(get(client, "/through").statusCode()).isEqualTo(200);

      app.healthy(false);
      org.awaitility.Awaitility.await().atMost(Duration.ofSeconds(10))
          .until(() -> admin(client, "/clusters").contains(host + "/failed_active_hc\n"));
      assertThat(client.sidecar().clusters().get("server").stats().tlsFailures.count()).isZero();
    }
  }

  private static String admin(TestSidecar sc, String path) throws Exception {
    return HTTP.send(HttpRequest.newBuilder(sc.adminUri(path)).build(), HttpResponse.BodyHandlers.ofString()).body();
  }
}

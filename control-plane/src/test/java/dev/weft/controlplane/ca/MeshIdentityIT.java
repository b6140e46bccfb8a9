package dev.weft.controlplane.ca;

import static org.assertj.core.api.Assertions.assertThat;

import com.sun.net.httpserver.HttpServer;
import dev.weft.certs.SpiffeId;
import dev.weft.certs.WorkloadIdentity;
import dev.weft.proxy.Sidecar;
import dev.weft.proxy.bootstrap.BootstrapLoader;
import dev.weft.proxy.identity.CaClient;
import dev.weft.proxy.identity.IdentitySecrets;
import java.net.InetAddress;
import java.net.InetSocketAddress;
import java.net.http.HttpClient;
import java.net.http.HttpRequest;
import java.net.http.HttpResponse;
import java.nio.charset.StandardCharsets;
import java.nio.file.Path;
import java.time.Duration;
import java.util.ArrayList;
import java.util.List;
import java.util.Set;
import java.util.concurrent.ConcurrentHashMap;
import java.util.concurrent.Executors;
import java.util.concurrent.ScheduledExecutorService;
import java.util.concurrent.TimeUnit;
import java.util.concurrent.atomic.AtomicInteger;
import org.junit.jupiter.api.AfterEach;
import org.junit.jupiter.api.BeforeEach;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

/**
 * The mesh hop with certificates from the CA service: two sidecars get their workload
 * certificates from a running {@link CaServer} (secret "default", roots "ROOTCA"), talk mutual
 * TLS, rotate certificates under load, and keep serving while the CA is down.
 */
class MeshIdentityIT {
  private static final HttpClient HTTP = HttpClient.newBuilder().version(HttpClient.Version.HTTP_1_1).build();

  @TempDir
  Path dir;

  private CaFixture fixture;
  private CaServer ca;
  private HttpServer app;
  private final Set<String> seenClientIds = ConcurrentHashMap.newKeySet();
  private final Set<String> seenClientHashes = ConcurrentHashMap.newKeySet();
  private final List<AutoCloseable> closeables = new ArrayList<>();
  private final ScheduledExecutorService scheduler = Executors.newScheduledThreadPool(2);

  @BeforeEach
  void setUp() throws Exception {
    fixture = new CaFixture(dir);
    ca = fixture.server().start();
    app = HttpServer.create(new InetSocketAddress(InetAddress.getLoopbackAddress(), 0), 50);
    app.createContext("/", exchange -> {
      String xfcc = exchange.getRequestHeaders().getFirst("x-forwarded-client-cert");
      if (xfcc != null) {
        for (String part : xfcc.split(";")) {
          if (part.startsWith("URI=")) {
            seenClientIds.add(part.substring(4));
          } else if (part.startsWith("Hash=")) {
            seenClientHashes.add(part.substring(5));
          }
        }
      }
      byte[] body = "ok".getBytes(StandardCharsets.UTF_8);
      exchange.sendResponseHeaders(200, body.length);
      exchange.getResponseBody().write(body);
      exchange.close();
    });
    app.setExecutor(Executors.newVirtualThreadPerTaskExecutor());
    app.start();
  }

  @AfterEach
  void tearDown() throws Exception {
    for (int i = closeables.size() - 1; i >= 0; i--) {
      closeables.get(i).close();
    }
    app.stop(0);
    ca.close();
    scheduler.shutdownNow();
  }

  private IdentitySecrets identity(SpiffeId id, String token, Duration ttl) throws Exception {
    CaClient client = new CaClient(fixture.clientConfig(ca.address(), fixture.tokenFile(token + ".token", token)));
    WorkloadIdentity workload = WorkloadIdentity.builder(id, client, scheduler).requestedTtl(ttl)
        .backoff(Duration.ofMillis(200), Duration.ofSeconds(1), 0.1).build();
    closeables.add(client);
    closeables.add(workload);
    workload.start().get(10, TimeUnit.SECONDS);
    identities.add(workload);
    return new IdentitySecrets(workload, client, fixture.trustBundle());
  }

  private final List<WorkloadIdentity> identities = new ArrayList<>();

  private Sidecar sidecar(String yaml, IdentitySecrets secrets) throws Exception {
    var loaded = BootstrapLoader.parse(yaml, "mesh.yaml");
    Sidecar s = Sidecar.start(loaded.config(), loaded.bootstrap(),
        new Sidecar.Options(1, true, Duration.ofSeconds(1)), secrets);
    closeables.add(s);
    return s;
  }

  /** The server-side sidecar of "cart": STRICT mTLS with the SDS-named workload secrets. */
  private static String serverBootstrap(int appPort) {
    return """
        static_resources:
          listeners:
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
                    tls_certificate_sds_secret_configs: [ { name: default } ]
                    validation_context_sds_secret_config: { name: ROOTCA }
              filters:
              - name: envoy.filters.network.http_connection_manager
                typed_config:
                  "@type": type.googleapis.com/envoy.extensions.filters.network.http_connection_manager.v3.HttpConnectionManager
                  stat_prefix: inbound
                  forward_client_cert_details: SANITIZE_SET
                  set_current_client_cert_details: { uri: true }
                  route_config: { virtual_hosts: [ { name: app, domains: ["*"], routes: [ { match: { prefix: "/" }, route: { cluster: app, timeout: 5s } } ] } ] }
                  http_filters: [ { name: envoy.filters.http.router, typed_config: { "@type": type.googleapis.com/envoy.extensions.filters.http.router.v3.Router } } ]
          clusters:
          - name: app
            type: STATIC
            load_assignment: { cluster_name: app, endpoints: [ { lb_endpoints: [ { endpoint: { address: { socket_address: { address: 127.0.0.1, port_value: %d } } } } ] } ] }
        """.formatted(appPort);
  }

  /** The client-side sidecar of "web": a new mTLS connection per request, expecting cart's identity. */
  private static String clientBootstrap(int serverPort) {
    return """
        static_resources:
          listeners:
          - name: outbound
            address: { socket_address: { address: 127.0.0.1, port_value: 0 } }
            filter_chains:
            - filters:
              - name: envoy.filters.network.http_connection_manager
                typed_config:
                  "@type": type.googleapis.com/envoy.extensions.filters.network.http_connection_manager.v3.HttpConnectionManager
                  stat_prefix: outbound
                  route_config: { virtual_hosts: [ { name: cart, domains: ["*"], routes: [ { match: { prefix: "/" }, route: { cluster: cart, timeout: 5s } } ] } ] }
                  http_filters: [ { name: envoy.filters.http.router, typed_config: { "@type": type.googleapis.com/envoy.extensions.filters.http.router.v3.Router } } ]
          clusters:
          - name: cart
            type: STATIC
            connect_timeout: 2s
            max_requests_per_connection: 1
            transport_socket:
              name: envoy.transport_sockets.tls
              typed_config:
                "@type": type.googleapis.com/envoy.extensions.transport_sockets.tls.v3.UpstreamTlsContext
                common_tls_context:
                  tls_certificate_sds_secret_configs: [ { name: default } ]
                  combined_validation_context:
                    default_validation_context:
                      match_typed_subject_alt_names: [ { san_type: URI, matcher: { exact: "spiffe://cluster.local/ns/shop/sa/cart" } } ]
                    validation_context_sds_secret_config: { name: ROOTCA }
            load_assignment: { cluster_name: cart, endpoints: [ { lb_endpoints: [ { endpoint: { address: { socket_address: { address: 127.0.0.1, port_value: %d } } } } ] } ] }
        """.formatted(serverPort);
  }

  private Sidecar[] mesh(Duration ttl) throws Exception {
    Sidecar server = sidecar(serverBootstrap(app.getAddress().getPort()),
        identity(CaFixture.CART, CaFixture.CART_TOKEN, ttl));
    Sidecar client = sidecar(clientBootstrap(server.port("inbound")), identity(CaFixture.WEB, CaFixture.WEB_TOKEN, ttl));
    return new Sidecar[] {client, server};
  }

  private static int get(Sidecar client) throws Exception {
    return HTTP.send(HttpRequest.newBuilder(java.net.URI.create("http://127.0.0.1:" + client.port("outbound") + "/"))
        .timeout(Duration.ofSeconds(5)).build(), HttpResponse.BodyHandlers.ofString()).statusCode();
  }

  @Test
  void sidecarsTalkMtlsWithCertificatesFromTheCa() throws Exception {
    Sidecar client = mesh(Duration.ofHours(1))[0];
    assertThat(get(client)).isEqualTo(200);
    assertThat(seenClientIds).containsExactly(CaFixture.WEB.toString());
  }

  @Test
  void certificatesFromTheCaRotateUnderLoadWithoutFailures() throws Exception {
    Sidecar client = mesh(Duration.ofSeconds(3))[0];
    AtomicInteger failures = new AtomicInteger();
    int ok = 0;
    long end = System.nanoTime() + Duration.ofSeconds(6).toNanos();
    for (int i = 0; i < 20_000 && System.nanoTime() < end; i++) {
      try {
        if (get(client) == 200) {
          ok++;
        } else {
          failures.incrementAndGet();
        }
      } catch (Exception e) {
        failures.incrementAndGet();
      }
    }
    assertThat(failures.get()).isZero();
    assertThat(ok).isGreaterThan(20);
    assertThat(seenClientHashes).as("client certificates seen by the server (one per rotation)")
        .hasSizeGreaterThanOrEqualTo(3);
  }

  @Test
  void sidecarsKeepServingWhileTheCaIsDownAndRetryRenewal() throws Exception {
    Sidecar client = mesh(Duration.ofSeconds(10))[0];
    assertThat(get(client)).isEqualTo(200);
    ca.close();
    // Keep calling (a new mTLS connection each time) until both sidecars have tried to renew
    // and failed, stopping well before the certificates they hold expire.
    java.time.Instant stop = identities.stream().map(w -> w.current().notAfter()).min(java.time.Instant::compareTo)
        .orElseThrow().minusMillis(1500);
    int ok = 0;
    for (int i = 0; i < 20_000 && java.time.Instant.now().isBefore(stop); i++) {
      assertThat(get(client)).as("request %d with the CA down", i).isEqualTo(200);
      ok++;
      if (ok > 20 && identities.stream().allMatch(w -> w.consecutiveFailures() >= 2)) {
        break;
      }
    }
    assertThat(ok).isGreaterThan(10);
    assertThat(identities).as("both sidecars retried renewal with backoff while serving")
        .allSatisfy(w -> assertThat(w.consecutiveFailures()).isGreaterThanOrEqualTo(2));
  }
}

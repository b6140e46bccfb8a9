package dev.weft.proxy;

import static org.assertj.core.api.Assertions.assertThat;
import static org.assertj.core.api.Assertions.assertThatThrownBy;
import static org.awaitility.Awaitility.await;

import com.google.gson.JsonArray;
import com.google.gson.JsonElement;
import com.google.gson.JsonObject;
import com.google.gson.JsonParser;
import dev.weft.proxy.testkit.Bootstraps;
import dev.weft.proxy.testkit.TestSidecar;
import dev.weft.proxy.testkit.TestUpstream;
import java.io.IOException;
import java.net.InetAddress;
import java.net.ServerSocket;
import java.net.URI;
import java.net.http.HttpClient;
import java.net.http.HttpRequest;
import java.net.http.HttpResponse;
import java.time.Duration;
import java.util.ArrayList;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Map;
import java.util.concurrent.TimeUnit;
import org.junit.jupiter.api.AfterEach;
import org.junit.jupiter.api.BeforeEach;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.Timeout;

/** The admin API of an in-process sidecar: readiness, config dump, clusters, metrics, drain. */
@Timeout(value = 60, unit = TimeUnit.SECONDS)
class AdminIT {
  private static final Duration CALL_TIMEOUT = Duration.ofSeconds(10);

  private TestUpstream up;
  private TestSidecar sc;
  private HttpClient client;
  private int deadPort;

  /** Listener "http": {@code /dead...} to cluster "dead" (nothing listens), everything else to "app". */
  @BeforeEach
  void start() throws Exception {
    try (ServerSocket probe = new ServerSocket(0, 1, InetAddress.getLoopbackAddress())) {
      deadPort = probe.getLocalPort(); // closed again: connections there are refused
    }
    up = TestUpstream.start("app");
    String routes = """
        - name: all
          domains: ["*"]
          routes:
          - match: { prefix: "/dead" }
            route: { cluster: dead }
          - match: { prefix: "/" }
            route: { cluster: app }
        """;
    sc = TestSidecar.start(Bootstraps.bootstrap(Bootstraps.httpListener("http", routes, ""),
        Bootstraps.cluster("app", false, up.port()) + Bootstraps.cluster("dead", false, deadPort)));
    client = HttpClient.newBuilder().version(HttpClient.Version.HTTP_1_1).connectTimeout(CALL_TIMEOUT).build();
  }

  @AfterEach
  void stop() {
    if (client != null) {
      client.close();
    }
    if (sc != null) {
      sc.close();
    }
    if (up != null) {
      up.close();
    }
  }

  @Test
  void readyAnswersLiveWhenListenersAreBound() throws Exception {
    HttpResponse<String> r = get(sc.adminUri("/ready"));

    assertThat(r.statusCode()).isEqualTo(200);
    assertThat(r.body()).isEqualTo("LIVE\n");
  }

  @Test
  void configDumpIsEnvoyJsonWithBootstrapListenersAndClusters() throws Exception {
    HttpResponse<String> r = get(sc.adminUri("/config_dump"));

    assertThat(r.statusCode()).isEqualTo(200);
    assertThat(r.headers().firstValue("content-type")).hasValue("application/json");
    JsonArray configs = JsonParser.parseString(r.body()).getAsJsonObject().getAsJsonArray("configs");
    assertThat(strings(configs, "@type")).containsExactly(
        "type.googleapis.com/envoy.admin.v3.BootstrapConfigDump",
        "type.googleapis.com/envoy.admin.v3.ListenersConfigDump",
        "type.googleapis.com/envoy.admin.v3.ClustersConfigDump");
    JsonObject bootstrap = configs.get(0).getAsJsonObject().getAsJsonObject("bootstrap");
    assertThat(bootstrap.getAsJsonObject("node").get("id").getAsString()).isEqualTo("test");
    List<JsonObject> listeners = objects(configs.get(1).getAsJsonObject().getAsJsonArray("static_listeners"), "listener");
    assertThat(strings(listeners, "@type")).containsOnly("type.googleapis.com/envoy.config.listener.v3.Listener");
    assertThat(strings(listeners, "name")).containsExactly("http");
    List<JsonObject> clusters = objects(configs.get(2).getAsJsonObject().getAsJsonArray("static_clusters"), "cluster");
    assertThat(strings(clusters, "@type")).containsOnly("type.googleapis.com/envoy.config.cluster.v3.Cluster");
    assertThat(strings(clusters, "name")).containsExactly("app", "dead");
  }

  @Test
  void clustersCountRequestsPerEndpointAsTextAndJson() throws Exception {
    String endpoint = "app::127.0.0.1:" + up.port() + "::";
    assertThat(get(sc.adminUri("/clusters")).body()).contains(endpoint + "rq_total::0\n");

    for (int i = 0; i < 3; i++) {
      assertThat(get(sc.uri("http", "/hello")).statusCode()).isEqualTo(200);
    }

    HttpResponse<String> text = get(sc.adminUri("/clusters"));
    assertThat(text.body()).contains(endpoint + "rq_total::3\n", endpoint + "rq_active::0\n",
        endpoint + "cx_connect_fail::0\n", endpoint + "health_flags::healthy\n");
    HttpResponse<String> json = get(sc.adminUri("/clusters?format=json"));
    assertThat(json.headers().firstValue("content-type")).hasValue("application/json");
    JsonObject app = null;
    for (JsonElement c : JsonParser.parseString(json.body()).getAsJsonObject().getAsJsonArray("cluster_statuses")) {
      if (c.getAsJsonObject().get("name").getAsString().equals("app")) {
        app = c.getAsJsonObject();
      }
    }
    assertThat(app).as("cluster 'app' in %s", json.body()).isNotNull();
    JsonObject host = app.getAsJsonArray("host_statuses").get(0).getAsJsonObject();
    assertThat(host.getAsJsonObject("address").getAsJsonObject("socket_address").get("port_value").getAsInt())
        .isEqualTo(up.port());
    assertThat(host.getAsJsonObject("stats").get("rq_total").getAsLong()).isEqualTo(3);
  }

  @Test
  void prometheusExposesRequestConnectionAndByteMeters() throws Exception {
    for (int i = 0; i < 3; i++) {
      assertThat(get(sc.uri("http", "/hello")).statusCode()).isEqualTo(200);
    }
    assertThat(get(sc.uri("http", "/status/404")).statusCode()).isEqualTo(404);

    HttpResponse<String> r = get(sc.adminUri("/stats/prometheus"));

    assertThat(r.statusCode()).isEqualTo(200);
    assertThat(r.headers().firstValue("content-type").orElse("")).startsWith("text/plain; version=0.0.4");
    Map<String, Double> m = samples(r.body());
    assertThat(m).containsEntry("weft_http_requests_total{cluster=\"app\",code_class=\"2xx\"}", 3.0)
        .containsEntry("weft_http_requests_total{cluster=\"app\",code_class=\"4xx\"}", 1.0)
        .containsEntry("weft_http_requests_total{cluster=\"app\",code_class=\"5xx\"}", 0.0)
        .containsEntry("weft_http_request_duration_seconds_count{cluster=\"app\"}", 4.0)
        .containsEntry("weft_http_request_duration_seconds_bucket{cluster=\"app\",le=\"300.0\"}", 4.0)
        .containsEntry("weft_http_request_duration_seconds_bucket{cluster=\"app\",le=\"+Inf\"}", 4.0)
        .containsEntry("weft_downstream_connections_active{listener=\"http\"}", 1.0)
        .containsEntry("weft_downstream_connections_total{listener=\"http\"}", 1.0)
        .containsEntry("weft_upstream_connections_total{cluster=\"app\"}", 1.0);
    String bucket = "weft_http_request_duration_seconds_bucket{cluster=\"app\",le=\"";
    assertThat(m.keySet().stream().filter(k -> k.startsWith(bucket))
        .map(k -> k.substring(bucket.length(), k.length() - 2)))
        .containsExactly("0.001", "0.005", "0.01", "0.025", "0.05", "0.1", "0.25", "0.5", "1.0", "2.5", "5.0", "10.0",
            "30.0", "60.0", "300.0", "+Inf");
    assertThat(m.get("weft_downstream_bytes_received_total{listener=\"http\"}")).isPositive();
    assertThat(m.get("weft_downstream_bytes_sent_total{listener=\"http\"}")).isPositive();
    assertThat(m.get("weft_upstream_bytes_sent_total{cluster=\"app\"}")).isPositive();
    assertThat(m.get("weft_upstream_bytes_received_total{cluster=\"app\"}")).isPositive();
  }

  @Test
  void failedUpstreamConnectIsCountedInMetricsAndClusters() throws Exception {
    assertThat(get(sc.uri("http", "/dead")).statusCode()).isEqualTo(503);

    Map<String, Double> m = samples(get(sc.adminUri("/stats/prometheus")).body());
    assertThat(m).containsEntry("weft_upstream_connect_failures_total{cluster=\"dead\"}", 1.0)
        .containsEntry("weft_upstream_connect_failures_total{cluster=\"app\"}", 0.0)
        .containsEntry("weft_http_requests_total{cluster=\"dead\",code_class=\"5xx\"}", 1.0);
    assertThat(get(sc.adminUri("/clusters")).body())
        .contains("dead::127.0.0.1:" + deadPort + "::cx_connect_fail::1\n");
  }

  @Test
  void unknownAdminPathAnswers404() throws Exception {
    HttpResponse<String> r = get(sc.adminUri("/no/such/thing"));

    assertThat(r.statusCode()).isEqualTo(404);
    assertThat(r.body()).startsWith("unknown admin path: /no/such/thing");
  }

  @Test
  void drainListenersNeedsPost() throws Exception {
    HttpResponse<String> r = get(sc.adminUri("/drain_listeners"));

    assertThat(r.statusCode()).isEqualTo(405);
    assertThat(get(sc.adminUri("/ready")).statusCode()).isEqualTo(200);
  }

  @Test
  void postDrainListenersDrainsButKeepsTheAdminServerRunning() throws Exception {
    HttpResponse<String> r = client.send(HttpRequest.newBuilder(sc.adminUri("/drain_listeners"))
        .POST(HttpRequest.BodyPublishers.noBody()).timeout(CALL_TIMEOUT).build(), HttpResponse.BodyHandlers.ofString());

    assertThat(r.statusCode()).isEqualTo(200);
    await().atMost(Duration.ofSeconds(5)).untilAsserted(() -> {
      HttpResponse<String> ready = get(sc.adminUri("/ready"));
      assertThat(ready.statusCode()).isEqualTo(503);
      assertThat(ready.body()).isEqualTo("DRAINING\n");
    });
    assertThat(sc.sidecar().draining()).isTrue();
    int port = sc.port("http");
    await().atMost(Duration.ofSeconds(5)).untilAsserted(() ->
        assertThatThrownBy(() -> new java.net.Socket("127.0.0.1", port).close())
            .as("the drained listener refuses connections").isInstanceOf(java.net.ConnectException.class));
    assertThat(get(sc.adminUri("/stats/prometheus")).statusCode()).isEqualTo(200);
  }

  private HttpResponse<String> get(URI uri) throws IOException, InterruptedException {
    return client.send(HttpRequest.newBuilder(uri).timeout(CALL_TIMEOUT).build(), HttpResponse.BodyHandlers.ofString());
  }

  /** Prometheus text format: series (name and labels as printed) to value; comments skipped. */
  private static Map<String, Double> samples(String exposition) {
    Map<String, Double> m = new LinkedHashMap<>();
    for (String line : exposition.split("\n")) {
      if (line.isBlank() || line.startsWith("#")) {
        continue;
      }
      int space = line.lastIndexOf(' ');
      m.put(line.substring(0, space), Double.parseDouble(line.substring(space + 1)));
    }
    return m;
  }

  private static List<JsonObject> objects(JsonArray array, String member) {
    List<JsonObject> out = new ArrayList<>();
    array.forEach(e -> out.add(e.getAsJsonObject().getAsJsonObject(member)));
    return out;
  }

  private static List<String> strings(JsonArray array, String member) {
    List<JsonObject> objects = new ArrayList<>();
    array.forEach(e -> objects.add(e.getAsJsonObject()));
    return strings(objects, member);
  }

  private static List<String> strings(List<JsonObject> objects, String member) {
    return objects.stream().map(o -> o.get(member).getAsString()).toList();
  }
}

package dev.weft.proxy.testkit;

import java.io.IOException;
import java.net.URI;
import java.net.http.HttpClient;
import java.net.http.HttpRequest;
import java.net.http.HttpResponse;
import java.time.Duration;
import java.util.Map;

/**
 * Reads counters from a sidecar's Prometheus endpoint ({@code /stats/prometheus} on the admin
 * port), so tests can assert that a request moved a metric.
 *
 * <pre>{@code
 * double before = PrometheusStats.value(sc, "weft_http_local_replies_total",
 *     Map.of("listener", "http", "reason", "route_not_found"));
 * }</pre>
 */
public final class PrometheusStats {
  private PrometheusStats() {}

  /** The whole exposition text. */
  public static String scrape(TestSidecar sidecar) throws IOException, InterruptedException {
    try (HttpClient client = HttpClient.newBuilder().connectTimeout(Duration.ofSeconds(5)).build()) {
      HttpResponse<String> r = client.send(HttpRequest.newBuilder(sidecar.adminUri("/stats/prometheus"))
          .timeout(Duration.ofSeconds(10)).build(), HttpResponse.BodyHandlers.ofString());
      if (r.statusCode() != 200) {
        throw new IOException("GET " + URI.create("/stats/prometheus") + ": status " + r.statusCode());
      }
      return r.body();
    }
  }

  /** The value of the sample {@code name} whose labels include {@code labels}, or 0 when there is none. */
  public static double value(TestSidecar sidecar, String name, Map<String, String> labels)
      throws IOException, InterruptedException {
    return value(scrape(sidecar), name, labels);
  }

  /** As {@link #value(TestSidecar, String, Map)}, on exposition text already scraped. */
  public static double value(String exposition, String name, Map<String, String> labels) {
    double sum = 0;
    for (String line : exposition.split("\n")) {
      if (line.startsWith("#") || !line.startsWith(name)) {
        continue;
      }
      int brace = line.indexOf('{');
      int space = line.lastIndexOf(' ');
      String sampleName = brace >= 0 ? line.substring(0, brace) : line.substring(0, space);
      if (!sampleName.equals(name)) {
        continue;
      }
      String labelText = brace >= 0 ? line.substring(brace, line.lastIndexOf('}') + 1) : "{}";
      boolean all = labels.entrySet().stream()
          .allMatch(e -> labelText.contains(e.getKey() + "=\"" + e.getValue() + "\""));
      if (all) {
        sum += Double.parseDouble(line.substring(space + 1));
      }
    }
    return sum;
  }
}

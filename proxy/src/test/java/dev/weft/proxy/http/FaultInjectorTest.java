package dev.weft.proxy.http;

import static org.assertj.core.api.Assertions.assertThat;

import dev.weft.proxy.bootstrap.BootstrapLoader;
import dev.weft.proxy.config.FractionalPercent;
import dev.weft.proxy.config.HttpConnectionManagerConfig;
import dev.weft.proxy.config.Route;
import dev.weft.proxy.config.VirtualHost;
import dev.weft.proxy.metrics.ProxyMetrics;
import dev.weft.proxy.testkit.Bootstraps;
import io.netty.handler.codec.http.DefaultHttpRequest;
import io.netty.handler.codec.http.HttpMethod;
import io.netty.handler.codec.http.HttpRequest;
import io.netty.handler.codec.http.HttpVersion;
import java.util.SplittableRandom;
import org.junit.jupiter.api.Test;

/** The fault filter's decisions, with the random numbers injected. */
class FaultInjectorTest {

  private static HttpConnectionManagerConfig hcm(String faultFields) throws Exception {
    String yaml = Bootstraps.bootstrap(Bootstraps.httpListener("http", """
        - name: all
          domains: ["*"]
          routes:
          - match: { prefix: "/never" }
            route: { cluster: app }
            typed_per_filter_config:
              envoy.filters.http.fault:
                "@type": type.googleapis.com/envoy.extensions.filters.http.fault.v3.HTTPFault
                abort: { http_status: 500, percentage: { numerator: 0 } }
          - match: { prefix: "/" }
            route: { cluster: app }
        """, ""), Bootstraps.cluster("app", false, 8080));
    StringBuilder f = new StringBuilder("""
        - name: envoy.filters.http.fault
          typed_config:
            "@type": type.googleapis.com/envoy.extensions.filters.http.fault.v3.HTTPFault
        """);
    for (String line : faultFields.stripTrailing().split("\n")) {
      f.append("    ").append(line).append('\n');
    }
    yaml = Bootstraps.withHttpFilters(yaml, f.toString());
    var config = BootstrapLoader.parse(yaml, "t.yaml").config();
    return (HttpConnectionManagerConfig) config.listeners().getFirst().filterChains().getFirst().filter();
  }

  private static HttpRequest request(String path, String... headers) {
    HttpRequest r = new DefaultHttpRequest(HttpVersion.HTTP_1_1, HttpMethod.GET, path);
    for (int i = 0; i < headers.length; i += 2) {
      r.headers().add(headers[i], headers[i + 1]);
    }
    return r;
  }

  @Test
  void fractionalPercentSelectsRandomModDenominatorBelowNumerator() {
    FractionalPercent quarter = new FractionalPercent(25, 100);
    assertThat(quarter.selects(24)).isTrue();
    assertThat(quarter.selects(25)).isFalse();
    assertThat(quarter.selects(124)).isTrue();
    assertThat(quarter.selects(-76)).as("floorMod(-76, 100) = 24").isTrue();
    assertThat(new FractionalPercent(1, 1_000_000).selects(1_000_000)).isTrue();
    assertThat(new FractionalPercent(1, 1_000_000).selects(1)).isFalse();
    assertThat(new FractionalPercent(0, 100).selects(0)).isFalse();
    assertThat(new FractionalPercent(100, 100).selects(99)).isTrue();
  }

  @Test
  void delayAndAbortAreDecidedSeparatelyByTheirPercentages() throws Exception {
    var config = hcm("""
        delay: { fixed_delay: 0.01s, percentage: { numerator: 30 } }
        abort: { http_status: 503, percentage: { numerator: 50 } }
        """);
    FaultInjector f = new FaultInjector(config, new ProxyMetrics().faults("http"));
    VirtualHost vh = config.routes().virtualHosts().getFirst();
    Route all = vh.routes().get(1);
    HttpRequest r = request("/x");
    assertThat(f.decide(r, vh, all, 99, 99)).isNull();
    FaultInjector.Decision both = f.decide(r, vh, all, 29, 49);
    assertThat(both.delay()).isTrue();
    assertThat(both.abort()).isTrue();
    f.finished(both);
    FaultInjector.Decision delayOnly = f.decide(r, vh, all, 0, 50);
    assertThat(delayOnly.delay()).isTrue();
    assertThat(delayOnly.abort()).isFalse();
    f.finished(delayOnly);
    assertThat(f.decide(r, vh, vh.routes().getFirst(), 0, 0)).as("the route's override aborts 0%").isNull();

    SplittableRandom random = new SplittableRandom(7);
    int delays = 0;
    int aborts = 0;
    int n = 100_000;
    for (int i = 0; i < n; i++) {
      FaultInjector.Decision d = f.decide(r, vh, all, random.nextLong(), random.nextLong());
      if (d != null) {
        delays += d.delay() ? 1 : 0;
        aborts += d.abort() ? 1 : 0;
        f.finished(d);
      }
    }
    assertThat(delays / (double) n).isBetween(0.29, 0.31);
    assertThat(aborts / (double) n).isBetween(0.49, 0.51);
  }

  @Test
  void headerMatchersRestrictTheFault() throws Exception {
    var config = hcm("""
        abort: { http_status: 503, percentage: { numerator: 100 } }
        headers: [ { name: x-fault, exact_match: "on" } ]
        """);
    FaultInjector f = new FaultInjector(config, new ProxyMetrics().faults("http"));
    VirtualHost vh = config.routes().virtualHosts().getFirst();
    Route all = vh.routes().get(1);
    assertThat(f.decide(request("/x"), vh, all, 0, 0)).isNull();
    assertThat(f.decide(request("/x", "x-fault", "off"), vh, all, 0, 0)).isNull();
    assertThat(f.decide(request("/x", "x-fault", "on"), vh, all, 0, 0).abort()).isTrue();
  }

  @Test
  void maxActiveFaultsCapsFaultsInProgress() throws Exception {
    var config = hcm("""
        delay: { fixed_delay: 1s, percentage: { numerator: 100 } }
        max_active_faults: 2
        """);
    ProxyMetrics metrics = new ProxyMetrics();
    FaultInjector f = new FaultInjector(config, metrics.faults("http"));
    VirtualHost vh = config.routes().virtualHosts().getFirst();
    Route all = vh.routes().get(1);
    FaultInjector.Decision first = f.decide(request("/"), vh, all, 0, 0);
    FaultInjector.Decision second = f.decide(request("/"), vh, all, 0, 0);
    assertThat(first).isNotNull();
    assertThat(second).isNotNull();
    assertThat(f.decide(request("/"), vh, all, 0, 0)).isNull();
    assertThat(metrics.faults("http").overflow.count()).isEqualTo(1);
    f.finished(first);
    assertThat(f.decide(request("/"), vh, all, 0, 0)).isNotNull();
  }
}

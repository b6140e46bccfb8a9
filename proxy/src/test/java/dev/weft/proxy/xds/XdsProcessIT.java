package dev.weft.proxy.xds;

import static org.assertj.core.api.Assertions.assertThat;
import static org.awaitility.Awaitility.await;

import dev.weft.proxy.testkit.SidecarProcess;
import dev.weft.proxy.testkit.TestControlPlane;
import dev.weft.proxy.testkit.TestUpstream;
import dev.weft.proxy.testkit.XdsResources;
import java.net.ServerSocket;
import java.net.URI;
import java.net.http.HttpClient;
import java.net.http.HttpRequest;
import java.net.http.HttpResponse;
import java.nio.file.Path;
import java.time.Duration;
import java.util.List;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

/** {@code weft proxy --bootstrap} with {@code dynamic_resources}, as a user runs it: a separate process. */
class XdsProcessIT {
  @TempDir
  Path dir;

  @Test
  void theProxyCommandRunsFromAControlPlane() throws Exception {
    int port;
    try (ServerSocket s = new ServerSocket(0, 1, java.net.InetAddress.getLoopbackAddress())) {
      port = s.getLocalPort();
    }
    try (TestControlPlane cp = TestControlPlane.start();
        TestUpstream a = TestUpstream.start("a");
        HttpClient http = HttpClient.newBuilder().version(HttpClient.Version.HTTP_1_1).build()) {
      cp.set("v1", List.of(XdsResources.edsCluster("a")), List.of(XdsResources.endpoints("a", a.port())),
          List.of(XdsResources.listener("outbound", "routes", port)), List.of(XdsResources.routes("routes", "a")));
      try (SidecarProcess proxy = SidecarProcess.start(dir, XdsResources.bootstrap(cp.port(), true),
          SidecarProcess.Options.defaults())) {
        assertThat(proxy.stdout()).contains("xDS: delta ADS to cluster 'xds'");
        await().atMost(Duration.ofSeconds(15)).until(() -> http.send(
            HttpRequest.newBuilder(proxy.adminUri("/ready")).build(), HttpResponse.BodyHandlers.ofString())
            .statusCode() == 200);
        HttpResponse<String> r = http.send(HttpRequest.newBuilder(URI.create("http://127.0.0.1:" + port + "/x"))
            .build(), HttpResponse.BodyHandlers.ofString());
        assertThat(r.statusCode()).isEqualTo(200);
        assertThat(r.headers().firstValue("x-upstream")).contains("a");
      }
    }
  }
}

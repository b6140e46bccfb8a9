package dev.weft.proxy;

import static org.assertj.core.api.Assertions.assertThat;

import dev.weft.proxy.testkit.Bootstraps;
import dev.weft.proxy.testkit.TestSidecar;
import dev.weft.proxy.testkit.TestUpstream;
import java.net.http.HttpClient;
import java.net.http.HttpRequest;
import java.net.http.HttpResponse;
import org.junit.jupiter.api.Test;

class SmokeIT {
  @Test
  void proxiesAGetToTheUpstream() throws Exception {
    try (TestUpstream up = TestUpstream.start("a");
         TestSidecar sc = TestSidecar.start(Bootstraps.simple(false, up.port()))) {
      HttpClient client = HttpClient.newBuilder().version(HttpClient.Version.HTTP_1_1).build();
      HttpResponse<String> r = client.send(HttpRequest.newBuilder(sc.uri("http", "/hello")).POST(
          HttpRequest.BodyPublishers.ofString("ping")).build(), HttpResponse.BodyHandlers.ofString());
      assertThat(r.statusCode()).isEqualTo(200);
      assertThat(r.body()).isEqualTo("ping");
      assertThat(r.headers().firstValue("x-upstream")).hasValue("a");
      assertThat(up.last().header("x-request-id")).isNotBlank();
    }
  }
}

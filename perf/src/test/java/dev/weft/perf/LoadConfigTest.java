package dev.weft.perf;

import static org.assertj.core.api.Assertions.assertThat;
import static org.assertj.core.api.Assertions.assertThatThrownBy;

import java.net.URI;
import java.time.Duration;
import org.junit.jupiter.api.Test;

class LoadConfigTest {
  @Test
  void takesHostPortPathAndAuthorityFromTheUrl() {
    LoadConfig c = LoadConfig.builder(URI.create("http://localhost:8080/echo?x=1")).build();
    assertThat(c.host()).isEqualTo("localhost");
    assertThat(c.port()).isEqualTo(8080);
    assertThat(c.path()).isEqualTo("/echo?x=1");
    assertThat(c.authority()).isEqualTo("localhost:8080");
    assertThat(c.closedLoop()).isTrue();
    assertThat(c.concurrencyPerConnection()).isEqualTo(1);
  }

  @Test
  void grpcDefaultsToTheEchoMethodUnlessTheUrlNamesOne() {
    assertThat(LoadConfig.builder(URI.create("http://127.0.0.1:9/")).protocol(Protocol.GRPC).build().path())
        .isEqualTo(LoadConfig.DEFAULT_GRPC_METHOD);
    assertThat(LoadConfig.builder(URI.create("http://127.0.0.1:9/pkg.Svc/M")).protocol(Protocol.GRPC).build().path())
        .isEqualTo("/pkg.Svc/M");
  }

  @Test
  void rejectsInvalidSettingsNamingFieldAndExpectation() {
    LoadConfig.Builder b = LoadConfig.builder("127.0.0.1", 80);
    assertThatThrownBy(() -> b.connections(0).build())
        .hasMessage("connections: 0 (expected: 1..100000)");
    assertThatThrownBy(() -> LoadConfig.builder("127.0.0.1", 80).rate(-5).build())
        .hasMessageStartingWith("rate: -5.0");
    assertThatThrownBy(() -> LoadConfig.builder("127.0.0.1", 80).duration(Duration.ZERO).build())
        .hasMessageStartingWith("duration: PT0S");
    assertThatThrownBy(() -> LoadConfig.builder("127.0.0.1", 80).maxRequests(0).build())
        .hasMessageStartingWith("maxRequests: 0");
    assertThatThrownBy(() -> LoadConfig.builder(URI.create("https://example/")))
        .hasMessageContaining("expected: an http:// URL");
  }

  @Test
  void encodesHttp1RequestOnce() {
    LoadConfig get = LoadConfig.builder(URI.create("http://127.0.0.1:81/a")).authority("svc").build();
    assertThat(new String(Http1LoadConnection.encodeRequest(get)))
        .startsWith("GET /a HTTP/1.1\r\nHost: svc\r\n").endsWith("\r\n\r\n");
    LoadConfig post = LoadConfig.builder(URI.create("http://127.0.0.1:81/a")).payloadSize(3).build();
    assertThat(new String(Http1LoadConnection.encodeRequest(post)))
        .startsWith("POST /a HTTP/1.1\r\n").contains("Content-Length: 3\r\n").endsWith("\r\n\r\nabc");
  }
}

package dev.weft.proxy;

import static org.assertj.core.api.Assertions.assertThat;

import dev.weft.proxy.testkit.Bootstraps;
import dev.weft.proxy.testkit.TestSidecar;
import dev.weft.proxy.testkit.TestUpstream;
import java.io.InputStream;
import java.io.OutputStream;
import java.net.InetAddress;
import java.net.ServerSocket;
import java.net.Socket;
import java.net.http.HttpClient;
import java.net.http.HttpRequest;
import java.net.http.HttpResponse;
import java.nio.charset.StandardCharsets;
import org.junit.jupiter.api.AfterAll;
import org.junit.jupiter.api.BeforeAll;
import org.junit.jupiter.api.Test;

/**
 * One listener with the HTTP inspector: HTTP/1.1 and h2c go to the HTTP connection manager
 * chain, anything else to the TCP proxy chain (the shape of a sidecar's outbound listener).
 */
class ProtocolDetectionIT {
  private static TestUpstream http;
  private static ServerSocket echo;
  private static Thread echoThread;
  private static TestSidecar sidecar;

  @BeforeAll
  static void start() throws Exception {
    http = TestUpstream.start("http");
    echo = new ServerSocket(0, 50, InetAddress.getLoopbackAddress());
    echoThread = Thread.ofVirtual().start(() -> {
      while (!echo.isClosed()) {
        try {
          Socket s = echo.accept();
          Thread.ofVirtual().start(() -> {
            try (s; InputStream in = s.getInputStream(); OutputStream out = s.getOutputStream()) {
              in.transferTo(out);
            } catch (Exception ignored) {
              // the client went away
            }
          });
        } catch (Exception e) {
          return;
        }
      }
    });
    String listener = """
        - name: mixed
          address: { socket_address: { address: 127.0.0.1, port_value: 0 } }
          listener_filters:
          - name: envoy.filters.listener.http_inspector
            typed_config: { "@type": type.googleapis.com/envoy.extensions.filters.listener.http_inspector.v3.HttpInspector }
          listener_filters_timeout: 0.3s
          continue_on_listener_filters_timeout: true
          filter_chains:
          - filter_chain_match: { application_protocols: [http/1.1, http/1.0, h2c] }
            filters:
            - name: envoy.filters.network.http_connection_manager
              typed_config:
                "@type": type.googleapis.com/envoy.extensions.filters.network.http_connection_manager.v3.HttpConnectionManager
                stat_prefix: mixed_http
                route_config:
                  virtual_hosts: [ { name: all, domains: ["*"], routes: [ { match: { prefix: "/" }, route: { cluster: http } } ] } ]
                http_filters:
                - name: envoy.filters.http.router
                  typed_config: { "@type": type.googleapis.com/envoy.extensions.filters.http.router.v3.Router }
          default_filter_chain:
            filters:
            - name: envoy.filters.network.tcp_proxy
              typed_config:
                "@type": type.googleapis.com/envoy.extensions.filters.network.tcp_proxy.v3.TcpProxy
                stat_prefix: mixed_tcp
                cluster: echo
        """;
    sidecar = TestSidecar.start(Bootstraps.bootstrap(listener,
        Bootstraps.cluster("http", false, http.port()) + "\n" + Bootstraps.cluster("echo", false, echo.getLocalPort())));
  }

  @AfterAll
  static void stop() throws Exception {
    sidecar.close();
    http.close();
    echo.close();
    echoThread.join(1000);
  }

  @Test
  void http11GoesToTheHttpChain() throws Exception {
    HttpResponse<String> r = HttpClient.newBuilder().version(HttpClient.Version.HTTP_1_1).build()
        .send(HttpRequest.newBuilder(sidecar.uri("mixed", "/x")).build(), HttpResponse.BodyHandlers.ofString());
    assertThat(r.statusCode()).isEqualTo(200);
    assertThat(r.headers().firstValue("x-upstream")).hasValue("http");
  }

  @Test
  void h2cPriorKnowledgeGoesToTheHttpChain() throws Exception {
    try (Socket s = new Socket(InetAddress.getLoopbackAddress(), sidecar.port("mixed"))) {
      s.setSoTimeout(5000);
      OutputStream out = s.getOutputStream();
      out.write("PRI * HTTP/2.0\r\n\r\nSM\r\n\r\n".getBytes(StandardCharsets.US_ASCII));
      out.write(new byte[] {0, 0, 0, 4, 0, 0, 0, 0, 0}); // empty SETTINGS
      out.flush();
      byte[] head = s.getInputStream().readNBytes(9);
      assertThat(head[3]).as("the server answers with an HTTP/2 SETTINGS frame").isEqualTo((byte) 4);
    }
  }

  @Test
  void otherBytesGoToTheTcpChain() throws Exception {
    try (Socket s = new Socket(InetAddress.getLoopbackAddress(), sidecar.port("mixed"))) {
      s.setSoTimeout(5000);
      byte[] msg = "\u0000\u0001binary protocol hello".getBytes(StandardCharsets.ISO_8859_1);
      s.getOutputStream().write(msg);
      s.getOutputStream().flush();
      assertThat(s.getInputStream().readNBytes(msg.length)).isEqualTo(msg);
    }
  }

  @Test
  void aServerFirstProtocolFallsBackToTheTcpChainAfterTheInspectorTimeout() throws Exception {
    try (Socket s = new Socket(InetAddress.getLoopbackAddress(), sidecar.port("mixed"))) {
      s.setSoTimeout(5000);
      // The client says nothing at first; after listener_filters_timeout the default chain takes it.
      Thread.sleep(500);
      s.getOutputStream().write("late".getBytes(StandardCharsets.US_ASCII));
      assertThat(new String(s.getInputStream().readNBytes(4), StandardCharsets.US_ASCII)).isEqualTo("late");
    }
  }
}

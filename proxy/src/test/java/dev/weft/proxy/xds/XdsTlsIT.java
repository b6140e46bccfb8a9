package dev.weft.proxy.xds;

import static org.assertj.core.api.Assertions.assertThat;
import static org.awaitility.Awaitility.await;

import dev.weft.proxy.testkit.TestControlPlane;
import dev.weft.proxy.testkit.TestPki;
import dev.weft.proxy.testkit.TestSidecar;
import dev.weft.proxy.testkit.TestUpstream;
import dev.weft.proxy.testkit.XdsResources;
import java.net.URI;
import java.net.http.HttpClient;
import java.net.http.HttpRequest;
import java.net.http.HttpResponse;
import java.nio.file.Path;
import java.time.Duration;
import java.util.List;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

/** ADS over mutual TLS (the control plane's 15012 port): SPIFFE identities checked both ways. */
class XdsTlsIT {
  private static final String CP_ID = "spiffe://cluster.local/ns/weft-system/sa/weft-control-plane";

  @TempDir
  Path dir;

  private static String tls(TestPki.Identity me, String expectedServer) {
    return """
            transport_socket:
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
        """.formatted(me.chain(), me.key(), me.root(), expectedServer);
  }

  @Test
  void configArrivesOverMutualTlsFromTheExpectedControlPlane() throws Exception {
    TestPki pki = new TestPki(dir);
    TestPki.Identity cpId = pki.issue("cp", "weft-system", "weft-control-plane", Duration.ofHours(1));
    TestPki.Identity app = pki.issue("app", "default", "app", Duration.ofHours(1));
    try (TestControlPlane cp = TestControlPlane.startTls(cpId.chain(), cpId.key(), cpId.root());
        TestUpstream a = TestUpstream.start("a");
        HttpClient http = HttpClient.newBuilder().version(HttpClient.Version.HTTP_1_1).build()) {
      cp.set("v1", List.of(XdsResources.edsCluster("a")), List.of(XdsResources.endpoints("a", a.port())),
          List.of(XdsResources.listener("outbound", "routes")), List.of(XdsResources.routes("routes", "a")));

      // A control plane with another identity is not trusted: no config, not ready.
      try (TestSidecar wrong = TestSidecar.start(XdsResources.bootstrap(cp.port(), true,
          tls(app, "spiffe://cluster.local/ns/weft-system/sa/impostor")))) {
        await().atMost(Duration.ofSeconds(10)).until(() -> wrong.sidecar().xds().lastStreamError() != null);
        assertThat(wrong.sidecar().xds().lastStreamError())
            .contains("TLS handshake", "match none of the expected subject alt names");
        assertThat(wrong.sidecar().xds().connected()).isFalse();
        assertThat(wrong.sidecar().ready()).isFalse();
      }

      try (TestSidecar sidecar = TestSidecar.start(XdsResources.bootstrap(cp.port(), true, tls(app, CP_ID)))) {
        await().atMost(Duration.ofSeconds(10)).until(() -> sidecar.sidecar().ready());
        HttpResponse<String> r = http.send(HttpRequest.newBuilder(
            URI.create("http://127.0.0.1:" + sidecar.port("outbound") + "/")).build(), HttpResponse.BodyHandlers.ofString());
        assertThat(r.statusCode()).isEqualTo(200);
        assertThat(r.headers().firstValue("x-upstream")).contains("a");
      }
    }
  }
}

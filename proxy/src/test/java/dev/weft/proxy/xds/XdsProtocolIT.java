package dev.weft.proxy.xds;

import static org.assertj.core.api.Assertions.assertThat;
import static org.awaitility.Awaitility.await;

import com.google.protobuf.Any;
import com.google.protobuf.BoolValue;
import com.google.protobuf.Message;
import dev.weft.proxy.testkit.PrometheusStats;
import dev.weft.proxy.testkit.ScriptedAdsServer;
import dev.weft.proxy.testkit.TestSidecar;
import dev.weft.proxy.testkit.TestUpstream;
import dev.weft.proxy.testkit.XdsResources;
import io.envoyproxy.envoy.config.route.v3.RouteConfiguration;
import io.envoyproxy.envoy.config.route.v3.RouteMatch;
import io.envoyproxy.envoy.type.matcher.v3.RegexMatcher;
import io.envoyproxy.envoy.service.discovery.v3.DeltaDiscoveryRequest;
import io.envoyproxy.envoy.service.discovery.v3.DeltaDiscoveryResponse;
import io.envoyproxy.envoy.service.discovery.v3.DiscoveryRequest;
import io.envoyproxy.envoy.service.discovery.v3.DiscoveryResponse;
import io.envoyproxy.envoy.service.discovery.v3.Resource;
import java.net.URI;
import java.net.http.HttpClient;
import java.net.http.HttpRequest;
import java.net.http.HttpResponse;
import java.time.Duration;
import java.util.Map;
import org.junit.jupiter.api.AfterEach;
import org.junit.jupiter.api.BeforeEach;
import org.junit.jupiter.api.Test;

/**
 * The xDS protocol against a scripted ADS server: ACK/NACK with nonces, versions and
 * error_detail, the last good config serving after a NACK, and warming order.
 */
class XdsProtocolIT {
  private static final Duration WAIT = Duration.ofSeconds(10);
  private static final String CDS = "type.googleapis.com/envoy.config.cluster.v3.Cluster";
  private static final String EDS = "type.googleapis.com/envoy.config.endpoint.v3.ClusterLoadAssignment";
  private static final String LDS = "type.googleapis.com/envoy.config.listener.v3.Listener";
  private static final String RDS = "type.googleapis.com/envoy.config.route.v3.RouteConfiguration";

  private ScriptedAdsServer cp;
  private TestUpstream a;
  private TestSidecar sidecar;
  private final HttpClient http = HttpClient.newBuilder().version(HttpClient.Version.HTTP_1_1).build();

  @BeforeEach
  void start() throws Exception {
    cp = new ScriptedAdsServer();
    a = TestUpstream.start("a");
  }

  @AfterEach
  void stop() throws Exception {
    http.close();
    if (sidecar != null) {
      sidecar.close();
    }
    cp.close();
    a.close();
  }

  private static DiscoveryResponse sotw(String type, String version, String nonce, Message... resources) {
    DiscoveryResponse.Builder r = DiscoveryResponse.newBuilder().setTypeUrl(type).setVersionInfo(version)
        .setNonce(nonce);
    for (Message m : resources) {
      r.addResources(Any.pack(m));
    }
    return r.build();
  }

  private static DeltaDiscoveryResponse delta(String type, String nonce, String version, Message... resources) {
    DeltaDiscoveryResponse.Builder r = DeltaDiscoveryResponse.newBuilder().setTypeUrl(type).setNonce(nonce)
        .setSystemVersionInfo(version);
    for (Message m : resources) {
      r.addResources(Resource.newBuilder().setName(ResourceType.nameOf(m)).setVersion(version)
          .setResource(Any.pack(m)));
    }
    return r.build();
  }

  private DiscoveryRequest next(String type) throws InterruptedException {
    return cp.next(r -> r.getTypeUrl().equals(type), WAIT);
  }

  private HttpResponse<String> get() throws Exception {
    return http.send(HttpRequest.newBuilder(URI.create("http://127.0.0.1:" + sidecar.port("outbound") + "/"))
        .timeout(Duration.ofSeconds(5)).build(), HttpResponse.BodyHandlers.ofString());
  }

  @Test
  void badResourceIsNackedWithItsNameAndReasonAndTheLastGoodConfigKeepsServing() throws Exception {
    sidecar = TestSidecar.start(XdsResources.bootstrap(cp.port(), false));
    DiscoveryRequest first = next(CDS);
    assertThat(first.getNode().getId()).isEqualTo("app.default");
    assertThat(first.getVersionInfo()).isEmpty();
    assertThat(first.getResourceNamesList()).isEmpty(); // wildcard
    cp.respond(sotw(CDS, "c1", "n1", XdsResources.edsCluster("a")));
    DiscoveryRequest ack = next(CDS);
    assertThat(ack.getVersionInfo()).isEqualTo("c1");
    assertThat(ack.getResponseNonce()).isEqualTo("n1");
    assertThat(ack.hasErrorDetail()).isFalse();

    DiscoveryRequest eds = next(EDS);
    assertThat(eds.getResourceNamesList()).containsExactly("a");
    cp.respond(sotw(EDS, "e1", "n2", XdsResources.endpoints("a", a.port())));
    next(LDS);
    cp.respond(sotw(LDS, "l1", "n3", XdsResources.listener("outbound", "routes")));
    DiscoveryRequest rds = next(RDS);
    assertThat(rds.getResourceNamesList()).containsExactly("routes");
    cp.respond(sotw(RDS, "r1", "n4", XdsResources.routes("routes", "a")));
    await().atMost(WAIT).until(() -> sidecar.sidecar().ready());
    assertThat(get().headers().firstValue("x-upstream")).contains("a");

    // A route configuration with a broken regex: NACKed, naming the resource, the field and why.
    RouteConfiguration bad = XdsResources.routes("routes", "a").toBuilder()
        .setVirtualHosts(0, XdsResources.routes("routes", "a").getVirtualHosts(0).toBuilder()
            .setRoutes(0, XdsResources.routes("routes", "a").getVirtualHosts(0).getRoutes(0).toBuilder()
                .setMatch(RouteMatch.newBuilder().setSafeRegex(RegexMatcher.newBuilder().setRegex("/(unclosed")))))
        .build();
    cp.respond(sotw(RDS, "r2", "n5", bad));
    DiscoveryRequest nack = cp.next(r -> r.getTypeUrl().equals(RDS) && r.getResponseNonce().equals("n5"), WAIT);
    assertThat(nack.getVersionInfo()).isEqualTo("r1");
    assertThat(nack.getResourceNamesList()).containsExactly("routes");
    assertThat(nack.getErrorDetail().getCode()).isEqualTo(3);
    assertThat(nack.getErrorDetail().getMessage())
        .contains("rds 'routes'", "virtual_hosts[0].routes[0].match.safe_regex.regex", "not a valid RE2 regex");
    assertThat(get().headers().firstValue("x-upstream")).contains("a");

    // A listener with a field Weft does not implement: NACKed by the allow-list.
    cp.respond(sotw(LDS, "l2", "n6", XdsResources.listener("outbound", "routes").toBuilder()
        .setFreebind(BoolValue.of(true)).build()));
    DiscoveryRequest ldsNack = cp.next(r -> r.getTypeUrl().equals(LDS) && r.getResponseNonce().equals("n6"), WAIT);
    assertThat(ldsNack.getVersionInfo()).isEqualTo("l1");
    assertThat(ldsNack.getErrorDetail().getMessage()).contains("lds 'outbound'", "freebind", "not supported");
    assertThat(get().statusCode()).isEqualTo(200);
    assertThat(PrometheusStats.value(sidecar, "weft_xds_update_rejected_total", Map.of("type", "rds"))).isEqualTo(1.0);
    assertThat(PrometheusStats.value(sidecar, "weft_xds_update_rejected_total", Map.of("type", "lds"))).isEqualTo(1.0);

    // A good update after the NACKs is accepted.
    cp.respond(sotw(RDS, "r3", "n7", XdsResources.routes("routes", "a").toBuilder()
        .setName("routes").build()));
    DiscoveryRequest ack3 = cp.next(r -> r.getTypeUrl().equals(RDS) && r.getResponseNonce().equals("n7"), WAIT);
    assertThat(ack3.getVersionInfo()).isEqualTo("r3");
    assertThat(ack3.hasErrorDetail()).isFalse();
  }

  @Test
  void deltaNackNamesTheResourceAndKeepsItsPreviousVersion() throws Exception {
    sidecar = TestSidecar.start(XdsResources.bootstrap(cp.port(), true));
    DeltaDiscoveryRequest first = cp.nextDelta(r -> r.getTypeUrl().equals(CDS), WAIT);
    assertThat(first.getNode().getId()).isEqualTo("app.default");
    cp.respond(delta(CDS, "n1", "1", XdsResources.edsCluster("a")));
    cp.nextDelta(r -> r.getTypeUrl().equals(EDS) && r.getResourceNamesSubscribeList().contains("a"), WAIT);
    cp.respond(delta(EDS, "n2", "1", XdsResources.endpoints("a", a.port())));
    cp.nextDelta(r -> r.getTypeUrl().equals(LDS), WAIT);
    cp.respond(delta(LDS, "n3", "1", XdsResources.listener("outbound", "routes")));
    cp.nextDelta(r -> r.getTypeUrl().equals(RDS) && r.getResourceNamesSubscribeList().contains("routes"), WAIT);
    cp.respond(delta(RDS, "n4", "1", XdsResources.routes("routes", "a")));
    await().atMost(WAIT).until(() -> sidecar.sidecar().ready());

    // An endpoint without a port: NACKed; the endpoints in force stay.
    cp.respond(delta(EDS, "n5", "2", XdsResources.endpoints("a", 0)));
    DeltaDiscoveryRequest nack = cp.nextDelta(r -> r.getResponseNonce().equals("n5"), WAIT);
    assertThat(nack.getTypeUrl()).isEqualTo(EDS);
    assertThat(nack.getErrorDetail().getMessage())
        .contains("eds 'a'", "endpoints[0].lb_endpoints[0].endpoint.address.socket_address.port_value");
    assertThat(get().headers().firstValue("x-upstream")).contains("a");
  }

  @Test
  void aListenerNamingAClusterNotYetKnownGoesLiveOnlyAfterTheClusterAndItsEndpoints() throws Exception {
    sidecar = TestSidecar.start(XdsResources.bootstrap(cp.port(), true));
    cp.nextDelta(r -> r.getTypeUrl().equals(CDS), WAIT);
    cp.respond(delta(CDS, "n1", "1"));
    cp.nextDelta(r -> r.getTypeUrl().equals(LDS), WAIT);
    cp.respond(delta(LDS, "n2", "1", XdsResources.listener("outbound", "routes")));
    cp.nextDelta(r -> r.getTypeUrl().equals(RDS) && r.getResourceNamesSubscribeList().contains("routes"), WAIT);
    cp.respond(delta(RDS, "n3", "1", XdsResources.routes("routes", "late")));
    cp.nextDelta(r -> r.getResponseNonce().equals("n3"), WAIT);
    await().during(Duration.ofMillis(300)).atMost(WAIT).until(() -> !sidecar.sidecar().hasListener("outbound")
        && !sidecar.sidecar().ready());

    // The cluster arrives, but not its endpoints yet: still not live.
    cp.respond(delta(CDS, "n4", "2", XdsResources.edsCluster("late")));
    cp.nextDelta(r -> r.getTypeUrl().equals(EDS) && r.getResourceNamesSubscribeList().contains("late"), WAIT);
    await().during(Duration.ofMillis(300)).atMost(WAIT).until(() -> !sidecar.sidecar().hasListener("outbound"));

    cp.respond(delta(EDS, "n5", "1", XdsResources.endpoints("late", a.port())));
    await().atMost(WAIT).until(() -> sidecar.sidecar().ready());
    assertThat(sidecar.sidecar().hasListener("outbound")).isTrue();
    assertThat(get().statusCode()).isEqualTo(200);
  }
}

package dev.weft.controlplane.xds;

import static org.assertj.core.api.Assertions.assertThat;
import static org.awaitility.Awaitility.await;

import com.google.protobuf.InvalidProtocolBufferException;
import dev.weft.controlplane.translate.XdsResources;
import io.envoyproxy.controlplane.cache.Resources;
import io.envoyproxy.envoy.config.cluster.v3.Cluster;
import io.envoyproxy.envoy.config.core.v3.Address;
import io.envoyproxy.envoy.config.core.v3.AggregatedConfigSource;
import io.envoyproxy.envoy.config.core.v3.ConfigSource;
import io.envoyproxy.envoy.config.core.v3.SocketAddress;
import io.envoyproxy.envoy.config.endpoint.v3.ClusterLoadAssignment;
import io.envoyproxy.envoy.config.endpoint.v3.LbEndpoint;
import io.envoyproxy.envoy.config.endpoint.v3.LocalityLbEndpoints;
import io.envoyproxy.envoy.service.discovery.v3.DeltaDiscoveryRequest;
import io.envoyproxy.envoy.service.discovery.v3.DeltaDiscoveryResponse;
import io.envoyproxy.envoy.service.discovery.v3.DiscoveryResponse;
import io.envoyproxy.envoy.service.discovery.v3.Resource;
import java.net.InetAddress;
import java.net.InetSocketAddress;
import java.time.Duration;
import java.util.ArrayList;
import java.util.Collections;
import java.util.List;
import java.util.concurrent.CopyOnWriteArrayList;
import org.junit.jupiter.api.AfterEach;
import org.junit.jupiter.api.BeforeEach;
import org.junit.jupiter.api.Test;

/**
 * The ADS server against a plain grpc-java ADS client over a real socket: node remembered per
 * stream, content-hash versions, pushes only on change and only to the affected node, NACKs held
 * without a resend storm, and the delta protocol.
 */
class XdsServerIT {
  static final String CDS = Resources.V3.CLUSTER_TYPE_URL;
  static final String EDS = Resources.V3.ENDPOINT_TYPE_URL;
  static final Duration WAIT = Duration.ofSeconds(5);
  static final Duration QUIET = Duration.ofMillis(400);

  private XdsServer server;
  private final List<AutoCloseable> closeables = new ArrayList<>();
  private final List<String> nacks = new CopyOnWriteArrayList<>();

  @BeforeEach
  void start() throws Exception {
    server = XdsServer.builder()
        .address(new InetSocketAddress(InetAddress.getLoopbackAddress(), 0))
        .nackBackoff(new NackBackoff(Duration.ofMillis(100), Duration.ofSeconds(1)))
        .listener(new XdsEventListener() {
          @Override
          public void onNack(String nodeId, String typeUrl, String version, String message) {
            nacks.add(nodeId + " " + version + " " + message);
          }
        })
        .start();
  }

  @AfterEach
  void stop() throws Exception {
    for (AutoCloseable c : closeables) {
      c.close();
    }
    server.close();
  }

  private AdsTestClient client(String nodeId) {
    AdsTestClient c = new AdsTestClient(server.address(), nodeId);
    closeables.add(c);
    return c;
  }

  static Cluster edsCluster(String name) {
    return Cluster.newBuilder().setName(name).setType(Cluster.DiscoveryType.EDS)
        .setEdsClusterConfig(Cluster.EdsClusterConfig.newBuilder()
            .setEdsConfig(ConfigSource.newBuilder().setAds(AggregatedConfigSource.getDefaultInstance())))
        .setConnectTimeout(com.google.protobuf.Duration.newBuilder().setSeconds(1))
        .build();
  }

  static ClusterLoadAssignment endpoints(String cluster, String... addresses) {
    LocalityLbEndpoints.Builder locality = LocalityLbEndpoints.newBuilder()
        .setLoadBalancingWeight(com.google.protobuf.UInt32Value.of(1));
    for (String a : addresses) {
      locality.addLbEndpoints(LbEndpoint.newBuilder().setEndpoint(
          io.envoyproxy.envoy.config.endpoint.v3.Endpoint.newBuilder().setAddress(Address.newBuilder()
              .setSocketAddress(SocketAddress.newBuilder().setAddress(a).setPortValue(15006)))));
    }
    return ClusterLoadAssignment.newBuilder().setClusterName(cluster).addEndpoints(locality).build();
  }

  static XdsResources resources(List<Cluster> clusters, List<ClusterLoadAssignment> endpoints) {
    return new XdsResources(List.of(), List.of(), clusters, endpoints);
  }

  private static List<String> names(DiscoveryResponse r) throws InvalidProtocolBufferException {
    List<String> names = new ArrayList<>();
    for (var any : r.getResourcesList()) {
      names.add(any.getTypeUrl().equals(CDS) ? any.unpack(Cluster.class).getName()
          : any.unpack(ClusterLoadAssignment.class).getClusterName());
    }
    return names;
  }

  @Test
  void remembersTheNodeOfTheStreamForRequestsWithoutIt() throws Exception {
    server.publish("a.default", resources(List.of(edsCluster("c1")), List.of(endpoints("c1", "127.0.0.2"))));
    AdsTestClient client = client("a.default").sotw();
    client.request(CDS, List.of(), "", "");                 // carries the node
    DiscoveryResponse cds = client.next(WAIT);
    assertThat(names(cds)).containsExactly("c1");
    client.ack(cds, List.of());                             // no node from here on
    client.request(EDS, List.of("c1"), "", "");
    DiscoveryResponse eds = client.next(WAIT);
    assertThat(eds).as("EDS answered on a request without node").isNotNull();
    assertThat(names(eds)).containsExactly("c1");
    assertThat(server.connectedNodes()).containsExactly("a.default");
  }

  @Test
  void refusesAStreamWhoseFirstRequestHasNoNode() throws Exception {
    AdsTestClient client = new AdsTestClient(server.address(), "");
    closeables.add(client);
    client.sotw().request(CDS, List.of(), "", "");
    await().atMost(WAIT).until(() -> client.error != null);
    assertThat(io.grpc.Status.fromThrowable(client.error).getCode()).isEqualTo(io.grpc.Status.Code.INVALID_ARGUMENT);
  }

  @Test
  void versionsAreContentHashesAndEqualContentIsNotPushed() throws Exception {
    XdsResources first = resources(List.of(edsCluster("c1"), edsCluster("c2")), List.of());
    server.publish("a.default", first);
    AdsTestClient client = client("a.default").sotw();
    client.request(CDS, List.of(), "", "");
    DiscoveryResponse r1 = client.next(WAIT);
    client.ack(r1, List.of());

    // The same content in another order: no push, same version.
    List<Cluster> reordered = new ArrayList<>(first.clusters());
    Collections.reverse(reordered);
    assertThat(server.publish("a.default", resources(reordered, List.of()))).isFalse();
    assertThat(client.next(QUIET)).isNull();

    // A restarted server computes the same version for the same content.
    XdsServer other = XdsServer.builder().address(new InetSocketAddress(InetAddress.getLoopbackAddress(), 0)).start();
    closeables.add(other);
    other.publish("a.default", resources(reordered, List.of()));
    AdsTestClient otherClient = new AdsTestClient(other.address(), "a.default").sotw();
    closeables.add(otherClient);
    otherClient.request(CDS, List.of(), "", "");
    assertThat(otherClient.next(WAIT).getVersionInfo()).isEqualTo(r1.getVersionInfo());

    // Changed content: a push with a new version.
    assertThat(server.publish("a.default", resources(List.of(edsCluster("c1")), List.of()))).isTrue();
    DiscoveryResponse r2 = client.next(WAIT);
    assertThat(r2.getVersionInfo()).isNotEqualTo(r1.getVersionInfo());
    assertThat(names(r2)).containsExactly("c1");
  }

  @Test
  void onlyTheAffectedNodeAndResourcesArePushed() throws Exception {
    server.publish("a.default", resources(List.of(edsCluster("c1")),
        List.of(endpoints("c1", "127.0.0.2"))));
    server.publish("b.default", resources(List.of(edsCluster("c1"), edsCluster("c2")),
        List.of(endpoints("c1", "127.0.0.2"), endpoints("c2", "127.0.0.3"))));
    AdsTestClient a = client("a.default").sotw();
    AdsTestClient b = client("b.default").sotw();
    a.request(EDS, List.of("c1"), "", "");
    b.request(EDS, List.of("c2"), "", "");
    a.ack(a.next(WAIT), List.of("c1"));
    b.ack(b.next(WAIT), List.of("c2"));

    server.publish("a.default", resources(List.of(edsCluster("c1")), List.of(endpoints("c1", "127.0.0.4"))));
    // b changes only c1, which its EDS stream did not ask for.
    server.publish("b.default", resources(List.of(edsCluster("c1"), edsCluster("c2")),
        List.of(endpoints("c1", "127.0.0.4"), endpoints("c2", "127.0.0.3"))));
    DiscoveryResponse pushed = a.next(WAIT);
    assertThat(pushed).isNotNull();
    assertThat(pushed.getResources(0).unpack(ClusterLoadAssignment.class).getEndpoints(0).getLbEndpoints(0)
        .getEndpoint().getAddress().getSocketAddress().getAddress()).isEqualTo("127.0.0.4");
    assertThat(b.next(QUIET)).as("b's requested resources did not change").isNull();
  }

  @Test
  void aNackIsNeverAnsweredWithTheSameVersionAndAskedAgainOnlyForANewOne() throws Exception {
    server.publish("a.default", resources(List.of(edsCluster("c1")), List.of()));
    AdsTestClient client = client("a.default").sotw();
    client.request(CDS, List.of(), "", "");
    DiscoveryResponse first = client.next(WAIT);
    client.nack(first, List.of(), "", "cluster c1: unsupported");
    assertThat(client.next(Duration.ofSeconds(1))).as("no resend of the rejected version").isNull();
    assertThat(nacks).containsExactly("a.default " + first.getVersionInfo() + " cluster c1: unsupported");
    assertThat(server.stats().nacks()).isEqualTo(1);

    // Republishing the rejected content does not resend it either.
    server.publish("a.default", resources(List.of(edsCluster("c1")), List.of()));
    assertThat(client.next(QUIET)).isNull();

    // A new version is sent once; NACKing it and every later one never storms.
    long sentBefore = server.stats().responses();
    for (int i = 2; i <= 6; i++) {
      server.publish("a.default", resources(List.of(edsCluster("c" + i)), List.of()));
      DiscoveryResponse next = client.next(WAIT);
      assertThat(next).isNotNull();
      assertThat(names(next)).containsExactly("c" + i);
      client.nack(next, List.of(), "", "bad " + i);
    }
    assertThat(client.next(Duration.ofSeconds(1))).isNull();
    assertThat(server.stats().responses() - sentBefore).isEqualTo(5);
    assertThat(server.stats().nacks()).isEqualTo(6);

    // After the NACKs, a good version is accepted and the back-off resets.
    server.publish("a.default", resources(List.of(edsCluster("good")), List.of()));
    DiscoveryResponse good = client.next(WAIT);
    assertThat(names(good)).containsExactly("good");
    client.ack(good, List.of());
    await().atMost(WAIT).until(() -> server.stats().acks() == 1);
  }

  @Test
  void deltaSendsOnlyChangedAndRemovedResourcesWithPerResourceVersions() throws Exception {
    server.publish("d.default", resources(List.of(edsCluster("c1"), edsCluster("c2")), List.of()));
    AdsTestClient client = client("d.default").delta();
    client.deltaRequest(DeltaDiscoveryRequest.newBuilder().setTypeUrl(CDS));
    DeltaDiscoveryResponse first = client.nextDelta(WAIT);
    assertThat(first.getResourcesList()).extracting(Resource::getName).containsExactlyInAnyOrder("c1", "c2");
    assertThat(first.getResourcesList()).allSatisfy(r -> assertThat(r.getVersion()).isNotEmpty());
    client.deltaRequest(DeltaDiscoveryRequest.newBuilder().setTypeUrl(CDS).setResponseNonce(first.getNonce()));

    Cluster c1Changed = edsCluster("c1").toBuilder().setConnectTimeout(
        com.google.protobuf.Duration.newBuilder().setSeconds(2)).build();
    server.publish("d.default", resources(List.of(c1Changed, edsCluster("c3")), List.of()));
    DeltaDiscoveryResponse second = client.nextDelta(WAIT);
    assertThat(second.getResourcesList()).extracting(Resource::getName).containsExactlyInAnyOrder("c1", "c3");
    assertThat(second.getRemovedResourcesList()).containsExactly("c2");

    // A NACK of a delta response is not answered with the same resources again.
    client.deltaRequest(DeltaDiscoveryRequest.newBuilder().setTypeUrl(CDS).setResponseNonce(second.getNonce())
        .setErrorDetail(com.google.rpc.Status.newBuilder().setCode(3).setMessage("c3: bad")));
    assertThat(client.nextDelta(Duration.ofSeconds(1))).isNull();
    assertThat(server.stats().nacks()).isEqualTo(1);
    server.publish("d.default", resources(List.of(c1Changed), List.of()));
    // The rejected response never took effect: the client still holds c1 (old) and c2.
    DeltaDiscoveryResponse third = client.nextDelta(WAIT);
    assertThat(third.getResourcesList()).extracting(Resource::getName).containsExactly("c1");
    assertThat(third.getRemovedResourcesList()).containsExactly("c2");
  }
}

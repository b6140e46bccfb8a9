package dev.weft.proxy.bootstrap;

import static org.assertj.core.api.Assertions.assertThat;
import static org.assertj.core.api.Assertions.assertThatThrownBy;

import com.google.protobuf.Any;
import com.google.protobuf.InvalidProtocolBufferException;
import com.google.protobuf.Message;
import io.envoyproxy.envoy.config.bootstrap.v3.Bootstrap;
import io.envoyproxy.envoy.config.cluster.v3.Cluster;
import io.envoyproxy.envoy.config.endpoint.v3.ClusterLoadAssignment;
import io.envoyproxy.envoy.config.listener.v3.Listener;
import io.envoyproxy.envoy.config.route.v3.RouteConfiguration;
import io.envoyproxy.envoy.extensions.filters.http.fault.v3.HTTPFault;
import io.envoyproxy.envoy.extensions.filters.network.http_connection_manager.v3.HttpConnectionManager;
import io.envoyproxy.envoy.extensions.filters.network.tcp_proxy.v3.TcpProxy;
import io.envoyproxy.envoy.extensions.transport_sockets.tls.v3.DownstreamTlsContext;
import io.envoyproxy.envoy.extensions.transport_sockets.tls.v3.Secret;
import io.envoyproxy.envoy.extensions.transport_sockets.tls.v3.UpstreamTlsContext;
import io.envoyproxy.envoy.extensions.upstreams.http.v3.HttpProtocolOptions;
import java.util.List;
import org.junit.jupiter.api.Test;

class ProtosTest {

  /** Every type that a bootstrap or an xDS resource is read as, or that Weft unpacks from an Any. */
  private static final List<Message> READ = List.of(Bootstrap.getDefaultInstance(), Listener.getDefaultInstance(),
      Cluster.getDefaultInstance(), RouteConfiguration.getDefaultInstance(),
      ClusterLoadAssignment.getDefaultInstance(), Secret.getDefaultInstance(),
      HttpConnectionManager.getDefaultInstance(), TcpProxy.getDefaultInstance(),
      HttpProtocolOptions.getDefaultInstance(), DownstreamTlsContext.getDefaultInstance(),
      UpstreamTlsContext.getDefaultInstance(), HTTPFault.getDefaultInstance(),
      io.envoyproxy.envoy.extensions.filters.http.rbac.v3.RBAC.getDefaultInstance(),
      io.envoyproxy.envoy.extensions.filters.network.rbac.v3.RBAC.getDefaultInstance());

  @Test
  void everyTypeWeftReadsHasItsDescriptorWithoutReflection() {
    for (Message m : READ) {
      assertThat(Protos.knownDescriptor(m.getClass())).as(m.getClass().getName())
          .isSameAs(m.getDescriptorForType());
      assertThat(Protos.descriptorOf(m)).isSameAs(m.getDescriptorForType());
    }
    assertThat(Protos.knownDescriptor(com.google.protobuf.Empty.class)).isNull();
    assertThat(Protos.descriptorOf(com.google.protobuf.Empty.getDefaultInstance()))
        .isSameAs(com.google.protobuf.Empty.getDescriptor());
  }

  @Test
  void unpackReadsThePayloadOfItsOwnTypeOnly() throws Exception {
    Any any = Any.pack(TcpProxy.newBuilder().setStatPrefix("tcp").setCluster("app").build());
    assertThat(Protos.unpack(any, TcpProxy.getDefaultInstance()).getCluster()).isEqualTo("app");
    assertThatThrownBy(() -> Protos.unpack(any, HttpConnectionManager.getDefaultInstance()))
        .isInstanceOf(InvalidProtocolBufferException.class).hasMessageContaining("does not match");
  }
}

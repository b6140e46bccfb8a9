package dev.weft.proxy.bootstrap;

import com.google.protobuf.Any;
import com.google.protobuf.Descriptors.Descriptor;
import com.google.protobuf.DynamicMessage;
import com.google.protobuf.InvalidProtocolBufferException;
import com.google.protobuf.Message;
import io.envoyproxy.envoy.extensions.filters.network.http_connection_manager.v3.HttpConnectionManager;
import java.util.Map;
import java.util.function.Supplier;

/**
 * Descriptor look-ups and {@code Any} unpacking that leave protobuf's reflection tables alone. A
 * generated message's {@code getDescriptorForType()} (which {@code Any.unpack} and {@code Any.is}
 * call) first builds its type's table: a {@code java.lang.reflect.Method} per accessor, kept for
 * the process's lifetime. Weft reads configs through generated getters and
 * {@link DynamicMessage}s, which need no table.
 */
final class Protos {
  private Protos() {}

  /**
   * The generated types Weft reads, each with its static {@code getDescriptor()} called directly.
   * Finding that method by reflection instead builds the class's reflection data (a {@code Method}
   * for each of its hundreds of public methods, and a method-handle accessor for the call): about
   * 0.15 s of a sidecar's start-up on one core, and four times that before the JIT warms up.
   */
  private static final Map<Class<?>, Supplier<Descriptor>> DESCRIPTORS = Map.ofEntries(
      Map.entry(io.envoyproxy.envoy.config.bootstrap.v3.Bootstrap.class,
          io.envoyproxy.envoy.config.bootstrap.v3.Bootstrap::getDescriptor),
      Map.entry(io.envoyproxy.envoy.config.listener.v3.Listener.class,
          io.envoyproxy.envoy.config.listener.v3.Listener::getDescriptor),
      Map.entry(io.envoyproxy.envoy.config.cluster.v3.Cluster.class,
          io.envoyproxy.envoy.config.cluster.v3.Cluster::getDescriptor),
      Map.entry(io.envoyproxy.envoy.config.route.v3.RouteConfiguration.class,
          io.envoyproxy.envoy.config.route.v3.RouteConfiguration::getDescriptor),
      Map.entry(io.envoyproxy.envoy.config.endpoint.v3.ClusterLoadAssignment.class,
          io.envoyproxy.envoy.config.endpoint.v3.ClusterLoadAssignment::getDescriptor),
      Map.entry(io.envoyproxy.envoy.extensions.transport_sockets.tls.v3.Secret.class,
          io.envoyproxy.envoy.extensions.transport_sockets.tls.v3.Secret::getDescriptor),
      Map.entry(HttpConnectionManager.class, HttpConnectionManager::getDescriptor),
      Map.entry(io.envoyproxy.envoy.extensions.filters.network.tcp_proxy.v3.TcpProxy.class,
          io.envoyproxy.envoy.extensions.filters.network.tcp_proxy.v3.TcpProxy::getDescriptor),
      Map.entry(io.envoyproxy.envoy.extensions.upstreams.http.v3.HttpProtocolOptions.class,
          io.envoyproxy.envoy.extensions.upstreams.http.v3.HttpProtocolOptions::getDescriptor),
      Map.entry(io.envoyproxy.envoy.extensions.transport_sockets.tls.v3.DownstreamTlsContext.class,
          io.envoyproxy.envoy.extensions.transport_sockets.tls.v3.DownstreamTlsContext::getDescriptor),
      Map.entry(io.envoyproxy.envoy.extensions.transport_sockets.tls.v3.UpstreamTlsContext.class,
          io.envoyproxy.envoy.extensions.transport_sockets.tls.v3.UpstreamTlsContext::getDescriptor),
      Map.entry(io.envoyproxy.envoy.extensions.filters.http.rbac.v3.RBAC.class,
          io.envoyproxy.envoy.extensions.filters.http.rbac.v3.RBAC::getDescriptor),
      Map.entry(io.envoyproxy.envoy.extensions.filters.network.rbac.v3.RBAC.class,
          io.envoyproxy.envoy.extensions.filters.network.rbac.v3.RBAC::getDescriptor),
      Map.entry(io.envoyproxy.envoy.extensions.filters.http.fault.v3.HTTPFault.class,
          io.envoyproxy.envoy.extensions.filters.http.fault.v3.HTTPFault::getDescriptor));

  /** The static descriptor of generated type {@code type} if it is one Weft reads, else null. */
  static Descriptor knownDescriptor(Class<?> type) {
    Supplier<Descriptor> known = DESCRIPTORS.get(type);
    return known == null ? null : known.get();
  }

  /**
   * The type of {@code message}: a dynamic message's own, a known generated type's static
   * {@code getDescriptor()}, or for any other generated type that method found by reflection.
   */
  static Descriptor descriptorOf(Message message) {
    if (message instanceof DynamicMessage) {
      return message.getDescriptorForType();
    }
    Descriptor known = knownDescriptor(message.getClass());
    if (known != null) {
      return known;
    }
    try {
      return (Descriptor) message.getClass().getMethod("getDescriptor").invoke(null);
    } catch (ReflectiveOperationException | ClassCastException e) {
      return message.getDescriptorForType();
    }
  }

  /**
   * {@link Any#unpack(Class)} into {@code prototype}'s type (its default instance), without
   * building that type's reflection table.
   */
  static <T extends Message> T unpack(Any any, T prototype) throws InvalidProtocolBufferException {
    String url = any.getTypeUrl();
    if (!url.substring(url.lastIndexOf('/') + 1).equals(descriptorOf(prototype).getFullName())) {
      throw new InvalidProtocolBufferException("Type of the Any message does not match the given class.");
    }
    @SuppressWarnings("unchecked")
    T parsed = (T) prototype.getParserForType().parseFrom(any.getValue());
    return parsed;
  }
}

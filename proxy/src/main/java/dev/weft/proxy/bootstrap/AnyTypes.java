package dev.weft.proxy.bootstrap;

import com.google.protobuf.Descriptors.Descriptor;
import java.util.ArrayList;
import java.util.List;
import java.util.Map;
import java.util.Set;
import java.util.TreeSet;
import java.util.function.Supplier;

/**
 * The message types Weft accepts inside {@code google.protobuf.Any} fields, by full proto name.
 *
 * <p>Each type's descriptor is reached only when a config names the type: building a
 * type's descriptor loads its whole {@code .proto} file and every file it imports (the RBAC
 * filter alone pulls in CEL and the route matchers), which a bootstrap that never uses the type
 * should not pay for at start-up. {@code AnyTypesTest} checks every name against its type's
 * descriptor.
 */
public final class AnyTypes {

  private final Map<String, Supplier<Descriptor>> descriptors;

  private AnyTypes(Map<String, Supplier<Descriptor>> descriptors) {
    this.descriptors = Map.copyOf(descriptors);
  }

  /**
   * The types Weft understands. Each supplier is a lambda, not a method reference: a lambda's
   * body names its class only when it runs, while a method reference would load the class when
   * this map is built. They give the generated class's static descriptor: asking a message
   * instance for its descriptor would build the type's reflection tables too.
   */
  public static final AnyTypes WEFT = new AnyTypes(Map.ofEntries(
      Map.entry(ConfigTranslator.HCM, () -> io.envoyproxy.envoy.extensions.filters.network.http_connection_manager.v3
          .HttpConnectionManager.getDescriptor()),
      Map.entry(ConfigTranslator.TCP_PROXY,
          () -> io.envoyproxy.envoy.extensions.filters.network.tcp_proxy.v3.TcpProxy.getDescriptor()),
      Map.entry(ConfigTranslator.ROUTER,
          () -> io.envoyproxy.envoy.extensions.filters.http.router.v3.Router.getDescriptor()),
      Map.entry(ConfigTranslator.HTTP_INSPECTOR,
          () -> io.envoyproxy.envoy.extensions.filters.listener.http_inspector.v3.HttpInspector.getDescriptor()),
      Map.entry(ConfigTranslator.TLS_INSPECTOR,
          () -> io.envoyproxy.envoy.extensions.filters.listener.tls_inspector.v3.TlsInspector.getDescriptor()),
      Map.entry(ConfigTranslator.UPSTREAM_HTTP_OPTIONS,
          () -> io.envoyproxy.envoy.extensions.upstreams.http.v3.HttpProtocolOptions.getDescriptor()),
      Map.entry(TlsTranslator.DOWNSTREAM,
          () -> io.envoyproxy.envoy.extensions.transport_sockets.tls.v3.DownstreamTlsContext.getDescriptor()),
      Map.entry(TlsTranslator.UPSTREAM,
          () -> io.envoyproxy.envoy.extensions.transport_sockets.tls.v3.UpstreamTlsContext.getDescriptor()),
      Map.entry(ConfigTranslator.HTTP_RBAC,
          () -> io.envoyproxy.envoy.extensions.filters.http.rbac.v3.RBAC.getDescriptor()),
      Map.entry(ConfigTranslator.NETWORK_RBAC,
          () -> io.envoyproxy.envoy.extensions.filters.network.rbac.v3.RBAC.getDescriptor()),
      Map.entry(ConfigTranslator.HTTP_FAULT,
          () -> io.envoyproxy.envoy.extensions.filters.http.fault.v3.HTTPFault.getDescriptor()),
      Map.entry(ConfigTranslator.PREVIOUS_HOSTS,
          () -> io.envoyproxy.envoy.extensions.retry.host.previous_hosts.v3.PreviousHostsPredicate.getDescriptor())));

  /** A registry of exactly these types (for tests and tools that add their own). */
  public static AnyTypes of(List<Descriptor> types) {
    Map<String, Supplier<Descriptor>> m = new java.util.HashMap<>();
    for (Descriptor t : types) {
      m.put(t.getFullName(), () -> t);
    }
    return new AnyTypes(m);
  }

  /** The descriptor of {@code fullName}, or null if Weft does not accept that type. */
  public Descriptor descriptor(String fullName) {
    Supplier<Descriptor> s = descriptors.get(fullName);
    return s == null ? null : s.get();
  }

  /** Every accepted type name, sorted (for error messages). */
  public Set<String> names() {
    return new TreeSet<>(descriptors.keySet());
  }

  /** Every type; this builds every type's descriptor, so only for rare paths (config dumps). */
  public List<Descriptor> all() {
    List<Descriptor> all = new ArrayList<>();
    descriptors.values().forEach(s -> all.add(s.get()));
    return all;
  }
}

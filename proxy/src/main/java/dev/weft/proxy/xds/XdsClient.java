package dev.weft.proxy.xds;

import com.google.protobuf.Any;
import com.google.protobuf.InvalidProtocolBufferException;
import com.google.protobuf.Message;
import dev.weft.proxy.bootstrap.ConfigTranslator;
import dev.weft.proxy.config.AdsConfig;
import dev.weft.proxy.config.ProxyConfig;
import dev.weft.proxy.grpc.GrpcStream;
import io.envoyproxy.envoy.config.cluster.v3.Cluster;
import io.envoyproxy.envoy.config.endpoint.v3.ClusterLoadAssignment;
import io.envoyproxy.envoy.config.listener.v3.Listener;
import io.envoyproxy.envoy.config.route.v3.RouteConfiguration;
import io.envoyproxy.envoy.service.discovery.v3.DeltaDiscoveryRequest;
import io.envoyproxy.envoy.service.discovery.v3.DeltaDiscoveryResponse;
import io.envoyproxy.envoy.service.discovery.v3.DiscoveryRequest;
import io.envoyproxy.envoy.service.discovery.v3.DiscoveryResponse;
import io.envoyproxy.envoy.service.discovery.v3.Resource;
import io.netty.channel.EventLoop;
import io.netty.channel.EventLoopGroup;
import io.netty.channel.socket.SocketChannel;
import io.netty.handler.ssl.SslContext;
import java.net.InetSocketAddress;
import java.time.Duration;
import java.time.Instant;
import java.util.ArrayList;
import java.util.EnumMap;
import java.util.EnumSet;
import java.util.LinkedHashMap;
import java.util.LinkedHashSet;
import java.util.List;
import java.util.Map;
import java.util.Set;
import java.util.TreeMap;
import java.util.concurrent.ThreadLocalRandom;
import java.util.concurrent.TimeUnit;
import java.util.function.Supplier;
import java.util.logging.Level;
import java.util.logging.Logger;

/**
 * The sidecar's ADS client: one gRPC stream to the control plane carrying CDS, EDS, LDS and RDS,
 * state of the world ({@code StreamAggregatedResources}) or incremental
 * ({@code DeltaAggregatedResources}).
 *
 * <p><b>Protocol.</b> The node goes on the first request of each stream. LDS and CDS are wildcard
 * subscriptions; RDS and EDS name the route configurations and EDS services that the accepted
 * listeners and clusters use, and the subscription follows them. Every response is ACKed or
 * NACKed with its nonce; a state-of-the-world ACK carries the response's {@code version_info}, a
 * NACK the last accepted one, and the NACK's {@code error_detail} (INVALID_ARGUMENT) names every
 * rejected resource with the field path and reason. On reconnect, a delta stream sends
 * {@code initial_resource_versions} and a state-of-the-world stream the last accepted
 * {@code version_info}, so an unchanged control plane need not resend.
 *
 * <p><b>Bad resources.</b> Each resource is translated and validated on its own by
 * {@link ConfigTranslator} (with the same {@code SupportedFields} allow-list as a bootstrap). A
 * response with any invalid resource is rejected as a whole: nothing in it is applied, and the
 * last good config keeps serving.
 *
 * <p><b>Publishing.</b> After each accepted response, {@link DynamicConfig} assembles a snapshot
 * with warming (clusters and their endpoints before the routes and listeners that use them) and
 * hands it to the sink; the first complete one is flagged so the sidecar can report ready.
 *
 * <p><b>Failures.</b> When the stream fails the sidecar keeps its config; the client reconnects
 * after a delay drawn uniformly from [0, min(max, base * 2^attempt)] (full jitter), reset once a
 * response arrives. All state lives on one event loop.
 */
public final class XdsClient implements AutoCloseable {
  private static final Logger LOG = Logger.getLogger(XdsClient.class.getName());
  static final String SOTW_PATH = "/envoy.service.discovery.v3.AggregatedDiscoveryService/StreamAggregatedResources";
  static final String DELTA_PATH = "/envoy.service.discovery.v3.AggregatedDiscoveryService/DeltaAggregatedResources";
  private static final int INVALID_ARGUMENT = 3;
  private static final int MAX_MESSAGE_BYTES = 64 << 20;

  /** Receives each assembled snapshot (on the client's event loop; hand long work elsewhere). */
  public interface Sink {
    void publish(DynamicConfig.Assembled snapshot);
  }

  /**
   * Where the control plane is.
   *
   * @param address   its address
   * @param authority the {@code :authority} sent
   * @param tls       the client TLS context for each connection (null for h2c)
   */
  public record Target(InetSocketAddress address, String authority, Supplier<SslContext> tls) {}

  private final ProxyConfig base;
  private final AdsConfig ads;
  private final List<Cluster> staticClusters;
  private final Target target;
  private final EventLoopGroup group;
  private final EventLoop loop;
  private final Class<? extends SocketChannel> channelType;
  private final Sink sink;
  private final XdsMetrics metrics;
  private final DynamicConfig assembler;

  // ---- state, touched only on `loop`
  private final Map<ResourceType, TypeState> types = new EnumMap<>(ResourceType.class);
  private final Set<ResourceType> received = EnumSet.noneOf(ResourceType.class);
  private ProxyConfig live;
  private GrpcStream stream;
  private boolean firstRequest;
  private int attempt;
  private boolean everConnected;
  private boolean closed;
  private volatile Dump dump = new Dump(Map.of(), Map.of(), List.of());
  private volatile String lastStreamError;

  /** What the config dump shows: accepted resources and the last rejection, by type. */
  public record Dump(Map<ResourceType, List<XdsResource>> resources, Map<ResourceType, String> versions,
      List<String> waiting) {}

  /** Per-type protocol state. */
  private static final class TypeState {
    final ResourceType type;
    final Map<String, XdsResource> resources = new TreeMap<>();
    /** Names wanted (RDS, EDS); unused for wildcard types. */
    Set<String> wanted = new LinkedHashSet<>();
    /** Names the server has been told about on this stream (delta) or in the last request (SotW). */
    Set<String> sent = new LinkedHashSet<>();
    boolean requested;
    String versionInfo = "";
    String nonce = "";

    TypeState(ResourceType type) {
      this.type = type;
    }
  }

  /**
   * @param base           the static config; {@code base.ads()} must be set
   * @param staticClusters the bootstrap's static clusters as protos (static EDS clusters subscribe too)
   */
  public XdsClient(ProxyConfig base, List<Cluster> staticClusters, Target target, EventLoopGroup group,
      Class<? extends SocketChannel> channelType, Sink sink, XdsMetrics metrics) {
    this.base = base;
    this.ads = base.ads();
    this.staticClusters = List.copyOf(staticClusters);
    this.assembler = new DynamicConfig(staticClusters);
    this.target = target;
    this.group = group;
    this.loop = group.next();
    this.channelType = channelType;
    this.sink = sink;
    this.metrics = metrics;
    for (ResourceType t : ResourceType.values()) {
      types.put(t, new TypeState(t));
    }
  }

  /** Connects (asynchronously); config arrives through the sink. */
  public void start() {
    loop.execute(() -> {
      types.get(ResourceType.RDS).wanted = DynamicConfig.routeNames(base, Map.of());
      types.get(ResourceType.EDS).wanted = DynamicConfig.endpointNames(staticClusters, Map.of());
      connect();
    });
  }

  public Dump dump() {
    return dump;
  }

  public boolean connected() {
    return metrics.connected();
  }

  /** Why the last ADS stream ended or failed to open, or null while none has. */
  public String lastStreamError() {
    return lastStreamError;
  }

  @Override
  public void close() {
    loop.execute(() -> {
      closed = true;
      if (stream != null) {
        stream.cancel();
        stream = null;
      }
    });
  }

  // ------------------------------------------------------------------ connection

  private void connect() {
    if (closed) {
      return;
    }
    SslContext tls = target.tls() == null ? null : target.tls().get();
    GrpcStream.open(loop, channelType, target.address(), tls, target.authority(),
        ads.delta() ? DELTA_PATH : SOTW_PATH, Duration.ofSeconds(5), MAX_MESSAGE_BYTES, new GrpcStream.Listener() {
          @Override
          public void onOpen(GrpcStream s) {
            opened(s);
          }

          @Override
          public void onMessage(byte[] message) {
            try {
              if (ads.delta()) {
                onDelta(DeltaDiscoveryResponse.parseFrom(message));
              } else {
                onSotw(DiscoveryResponse.parseFrom(message));
              }
            } catch (InvalidProtocolBufferException e) {
              LOG.warning("xDS: undecodable response from " + target.address() + ": " + e.getMessage());
            }
          }

          @Override
          public void onClose(int status, String message) {
            closedStream(status, message);
          }
        });
  }

  private void opened(GrpcStream s) {
    if (closed) {
      s.cancel();
      return;
    }
    stream = s;
    metrics.connected(true);
    if (everConnected) {
      metrics.reconnect();
    }
    everConnected = true;
    firstRequest = true;
    LOG.info("xDS: " + (ads.delta() ? "delta" : "state-of-the-world") + " ADS stream open to " + target.address());
    for (TypeState t : types.values()) {
      t.requested = false;
      t.nonce = "";
      t.sent = new LinkedHashSet<>();
    }
    for (ResourceType type : ResourceType.values()) {
      subscribe(types.get(type));
    }
  }

  private void closedStream(int status, String message) {
    stream = null;
    metrics.connected(false);
    lastStreamError = "gRPC status " + status + ": " + message;
    if (closed) {
      return;
    }
    long ceiling = Math.min(ads.retryMax().toMillis(), ads.retryBase().toMillis() << Math.min(attempt, 20));
    long delay = ThreadLocalRandom.current().nextLong(ceiling + 1);
    attempt++;
    LOG.log(Level.WARNING, "xDS: stream to {0} ended (gRPC status {1}: {2}); keeping the last config, "
        + "reconnecting in {3} ms", new Object[] {target.address(), status, message, delay});
    loop.schedule(this::connect, delay, TimeUnit.MILLISECONDS);
  }

  private boolean enabled(ResourceType type) {
    return switch (type) {
      case LDS -> ads.lds();
      case CDS -> ads.cds();
      case RDS, EDS -> true;
    };
  }

  /** Sends the type's first request on this stream, or a subscription change. */
  private void subscribe(TypeState t) {
    if (stream == null || !enabled(t.type)) {
      return;
    }
    if (!t.type.wildcard()) {
      if (t.wanted.equals(t.sent) && t.requested) {
        return;
      }
      if (t.wanted.isEmpty() && !t.requested) {
        return; // nothing to ask for yet (an empty list would mean "everything" on a first request)
      }
    } else if (t.requested) {
      return;
    }
    if (ads.delta()) {
      DeltaDiscoveryRequest.Builder r = DeltaDiscoveryRequest.newBuilder().setTypeUrl(t.type.typeUrl());
      if (!t.requested) {
        // On a new stream: what we still hold, so the server sends only what changed.
        t.resources.values().forEach(res -> r.putInitialResourceVersions(res.name(), res.version()));
      }
      if (!t.type.wildcard()) {
        Set<String> add = new LinkedHashSet<>(t.wanted);
        add.removeAll(t.sent);
        Set<String> remove = new LinkedHashSet<>(t.sent);
        remove.removeAll(t.wanted);
        r.addAllResourceNamesSubscribe(add).addAllResourceNamesUnsubscribe(remove);
      }
      send(r);
    } else {
      DiscoveryRequest.Builder r = DiscoveryRequest.newBuilder().setTypeUrl(t.type.typeUrl())
          .setVersionInfo(t.versionInfo).setResponseNonce(t.nonce);
      if (!t.type.wildcard()) {
        r.addAllResourceNames(t.wanted);
      }
      send(r);
    }
    t.requested = true;
    t.sent = new LinkedHashSet<>(t.wanted);
  }

  private void send(DeltaDiscoveryRequest.Builder r) {
    if (firstRequest) {
      r.setNode(ads.node());
      firstRequest = false;
    }
    stream.send(r.build().toByteArray());
  }

  private void send(DiscoveryRequest.Builder r) {
    if (firstRequest) {
      r.setNode(ads.node());
      firstRequest = false;
    }
    stream.send(r.build().toByteArray());
  }

  // ------------------------------------------------------------------ state of the world

  private void onSotw(DiscoveryResponse response) {
    ResourceType type = ResourceType.of(response.getTypeUrl());
    if (type == null || stream == null) {
      LOG.warning("xDS: response for unknown type " + response.getTypeUrl() + " ignored");
      return;
    }
    attempt = 0;
    TypeState t = types.get(type);
    t.nonce = response.getNonce();
    List<Message> protos = new ArrayList<>();
    List<String> errors = new ArrayList<>();
    for (Any any : response.getResourcesList()) {
      Message m = unpack(any, type, errors);
      if (m != null) {
        protos.add(m);
      }
    }
    Map<String, XdsResource> next = validate(t, protos, response.getVersionInfo(), errors);
    if (!errors.isEmpty()) {
      reject(t, String.join("; ", errors), response.getVersionInfo());
      send(DiscoveryRequest.newBuilder().setTypeUrl(type.typeUrl()).setVersionInfo(t.versionInfo)
          .setResponseNonce(t.nonce).addAllResourceNames(type.wildcard() ? List.of() : t.wanted)
          .setErrorDetail(com.google.rpc.Status.newBuilder().setCode(INVALID_ARGUMENT)
              .setMessage(String.join("; ", errors))));
      return;
    }
    if (type.wildcard()) {
      t.resources.clear(); // a wildcard response is the whole set: what is absent is removed
    }
    t.resources.putAll(next);
    t.resources.keySet().retainAll(type.wildcard() ? next.keySet() : t.wanted);
    t.versionInfo = response.getVersionInfo();
    send(DiscoveryRequest.newBuilder().setTypeUrl(type.typeUrl()).setVersionInfo(t.versionInfo)
        .setResponseNonce(t.nonce).addAllResourceNames(type.wildcard() ? List.of() : t.wanted));
    accepted(t);
  }

  // ------------------------------------------------------------------ delta

  private void onDelta(DeltaDiscoveryResponse response) {
    ResourceType type = ResourceType.of(response.getTypeUrl());
    if (type == null || stream == null) {
      LOG.warning("xDS: delta response for unknown type " + response.getTypeUrl() + " ignored");
      return;
    }
    attempt = 0;
    TypeState t = types.get(type);
    List<Message> protos = new ArrayList<>();
    List<String> versions = new ArrayList<>();
    List<String> errors = new ArrayList<>();
    for (Resource r : response.getResourcesList()) {
      if (!r.hasResource()) {
        continue; // a name-only entry (heartbeat or not found): nothing to apply
      }
      Message m = unpack(r.getResource(), type, errors);
      if (m == null) {
        continue;
      }
      if (!r.getName().isEmpty() && !r.getName().equals(ResourceType.nameOf(m))) {
        errors.add(type.label() + " '" + r.getName() + "': the resource inside is named '" + ResourceType.nameOf(m)
            + "'");
        continue;
      }
      protos.add(m);
      versions.add(r.getVersion());
    }
    Map<String, XdsResource> next = validate(t, protos, null, errors);
    if (!errors.isEmpty()) {
      reject(t, String.join("; ", errors), response.getSystemVersionInfo());
      send(DeltaDiscoveryRequest.newBuilder().setTypeUrl(type.typeUrl()).setResponseNonce(response.getNonce())
          .setErrorDetail(com.google.rpc.Status.newBuilder().setCode(INVALID_ARGUMENT)
              .setMessage(String.join("; ", errors))));
      return;
    }
    int i = 0;
    for (Message m : protos) {
      String name = ResourceType.nameOf(m);
      XdsResource r = next.get(name);
      String version = versions.get(i++);
      if (r != null) {
        t.resources.put(name, r.version().equals(version) ? r
            : new XdsResource(name, version, r.proto(), r.value(), r.updated()));
      }
    }
    response.getRemovedResourcesList().forEach(t.resources::remove);
    t.versionInfo = response.getSystemVersionInfo();
    send(DeltaDiscoveryRequest.newBuilder().setTypeUrl(type.typeUrl()).setResponseNonce(response.getNonce()));
    accepted(t);
  }

  // ------------------------------------------------------------------ shared

  private Message unpack(Any any, ResourceType type, List<String> errors) {
    if (!any.getTypeUrl().equals(type.typeUrl())) {
      errors.add(type.label() + ": a resource of type " + any.getTypeUrl() + " (expected: " + type.typeUrl() + ")");
      return null;
    }
    try {
      return type.prototype().getParserForType().parseFrom(any.getValue());
    } catch (InvalidProtocolBufferException e) {
      errors.add(type.label() + ": an undecodable resource: " + e.getMessage());
      return null;
    }
  }

  /**
   * Translates the resources of one response; unchanged resources keep their translation.
   * Resources not subscribed to (RDS, EDS) are ignored, as Envoy does.
   */
  private Map<String, XdsResource> validate(TypeState t, List<Message> protos, String version, List<String> errors) {
    Map<String, XdsResource> out = new LinkedHashMap<>();
    Instant now = Instant.now();
    for (Message m : protos) {
      String name = ResourceType.nameOf(m);
      String what = t.type.label() + " '" + name + "'";
      if (name.isEmpty()) {
        errors.add(t.type.label() + ": a resource without a name");
        continue;
      }
      if (!t.type.wildcard() && !t.wanted.contains(name)) {
        continue;
      }
      if (out.containsKey(name)) {
        errors.add(what + ": sent twice in one response");
        continue;
      }
      XdsResource old = t.resources.get(name);
      if (old != null && old.proto().equals(m)) {
        out.put(name, version == null || version.equals(old.version()) ? old
            : new XdsResource(name, version, old.proto(), old.value(), old.updated()));
        continue;
      }
      ConfigTranslator.Translated<?> tr = switch (t.type) {
        case LDS -> ConfigTranslator.translateListener((Listener) m);
        case RDS -> ConfigTranslator.translateRouteConfiguration((RouteConfiguration) m);
        case CDS -> ConfigTranslator.translateCluster((Cluster) m, null);
        case EDS -> ConfigTranslator.translateLoadAssignment((ClusterLoadAssignment) m);
      };
      if (!tr.ok()) {
        errors.add(what + ": " + tr.describe());
        continue;
      }
      if (t.type == ResourceType.CDS && base.clusters().containsKey(name)) {
        errors.add(what + ": a static cluster has this name");
        continue;
      }
      if (t.type == ResourceType.LDS && base.listeners().stream().anyMatch(l -> l.name().equals(name))) {
        errors.add(what + ": a static listener has this name");
        continue;
      }
      out.put(name, new XdsResource(name, version == null ? "" : version, m, tr.value(), now));
    }
    return out;
  }

  private void reject(TypeState t, String detail, String version) {
    metrics.rejected(t.type.label());
    LOG.warning("xDS: rejected " + t.type + " version '" + version + "' (nonce " + t.nonce
        + "), keeping the last good config: " + detail);
    lastErrors.put(t.type, "version '" + version + "': " + detail);
    publishDump(null);
  }

  private final Map<ResourceType, String> lastErrors = new EnumMap<>(ResourceType.class);
  private List<String> lastWaiting = List.of();

  private void accepted(TypeState t) {
    metrics.accepted(t.type.label());
    lastErrors.remove(t.type);
    received.add(t.type);
    // Follow the listeners and clusters with the RDS and EDS subscriptions.
    TypeState rds = types.get(ResourceType.RDS);
    TypeState eds = types.get(ResourceType.EDS);
    rds.wanted = DynamicConfig.routeNames(base, types.get(ResourceType.LDS).resources);
    eds.wanted = DynamicConfig.endpointNames(staticClusters, types.get(ResourceType.CDS).resources);
    rds.resources.keySet().retainAll(rds.wanted);
    eds.resources.keySet().retainAll(eds.wanted);
    subscribe(eds);
    subscribe(rds);

    Map<ResourceType, Map<String, XdsResource>> all = new EnumMap<>(ResourceType.class);
    types.forEach((type, state) -> all.put(type, state.resources));
    Set<ResourceType> got = EnumSet.copyOf(received);
    // A type with nothing to ask for counts as arrived.
    if (rds.wanted.isEmpty()) {
      got.add(ResourceType.RDS);
    }
    if (eds.wanted.isEmpty()) {
      got.add(ResourceType.EDS);
    }
    DynamicConfig.Assembled a = assembler.assemble(base, live, all, got);
    live = a.config();
    publishDump(a.waiting());
    sink.publish(a);
  }

  private void publishDump(List<String> waiting) {
    Map<ResourceType, List<XdsResource>> resources = new EnumMap<>(ResourceType.class);
    Map<ResourceType, String> versions = new EnumMap<>(ResourceType.class);
    types.forEach((type, state) -> {
      resources.put(type, List.copyOf(state.resources.values()));
      versions.put(type, state.versionInfo);
    });
    if (waiting != null) {
      lastWaiting = waiting;
    }
    List<String> notes = new ArrayList<>(lastWaiting);
    lastErrors.forEach((type, e) -> notes.add("rejected " + type + " " + e));
    dump = new Dump(Map.copyOf(resources), Map.copyOf(versions), List.copyOf(notes));
  }
}

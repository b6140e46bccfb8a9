package dev.weft.controlplane.xds;

import dev.weft.controlplane.translate.XdsResources;
import io.envoyproxy.controlplane.cache.v3.SimpleCache;
import io.envoyproxy.controlplane.cache.v3.Snapshot;
import io.envoyproxy.controlplane.server.V3DiscoveryServer;
import io.grpc.BindableService;
import io.grpc.Server;
import io.grpc.netty.shaded.io.grpc.netty.NettyServerBuilder;
import io.grpc.netty.shaded.io.netty.channel.ChannelOption;
import java.io.IOException;
import java.net.InetAddress;
import java.net.InetSocketAddress;
import java.time.Duration;
import java.util.ArrayList;
import java.util.List;
import java.util.Map;
import java.util.Objects;
import java.util.Set;
import java.util.concurrent.ConcurrentHashMap;
import java.util.concurrent.ExecutorService;
import java.util.concurrent.Executors;
import java.util.concurrent.ScheduledExecutorService;
import java.util.concurrent.TimeUnit;
import org.slf4j.Logger;
import org.slf4j.LoggerFactory;

/**
 * The control plane's xDS endpoint: the {@link AdsService} (state of the world and delta) on a
 * plaintext gRPC port, serving one {@link ContentSnapshot} per node id.
 *
 * <pre>{@code
 * try (XdsServer xds = XdsServer.builder().address(new InetSocketAddress("127.0.0.1", 15010)).start()) {
 *   xds.publish("reviews-v1.default", resources);   // pushed only if its content changed
 * }
 * }</pre>
 *
 * <p>{@link #publish} stores a node's resources; clients of that node that asked for something
 * whose content changed get a push, nobody else. The ADS service can also be mounted on another
 * gRPC server (the CA's TLS port) through {@link #service()}.
 */
public final class XdsServer implements AutoCloseable {

  private static final Logger log = LoggerFactory.getLogger(XdsServer.class);

  private final Server server;
  private final SimpleCache<String> cache;
  private final AdsService ads;
  private final XdsStats stats;
  private final ScheduledExecutorService scheduler;
  private final ExecutorService handlers;
  private final Map<String, String> published = new ConcurrentHashMap<>();

  private XdsServer(Server server, SimpleCache<String> cache, AdsService ads, XdsStats stats,
      ScheduledExecutorService scheduler, ExecutorService handlers) {
    this.server = server;
    this.cache = cache;
    this.ads = ads;
    this.stats = stats;
    this.scheduler = scheduler;
    this.handlers = handlers;
  }

  /** Starts configuring an xDS server. */
  public static Builder builder() {
    return new Builder();
  }

  /** Returns the bound address; the real port when 0 was asked for. */
  public InetSocketAddress address() {
    return (InetSocketAddress) server.getListenSockets().getFirst();
  }

  /**
   * Publishes the resources of node {@code nodeId}.
   *
   * @return true if the content differs from what was published before (clients get pushes), false if identical
   */
  public boolean publish(String nodeId, XdsResources resources) {
    ContentSnapshot snapshot = ContentSnapshot.of(resources);
    String previous = published.put(nodeId, snapshot.contentVersion());
    if (snapshot.contentVersion().equals(previous)) {
      return false;
    }
    cache.setSnapshot(nodeId, snapshot);
    ads.snapshotChanged(nodeId);
    log.debug("node {}: {}", nodeId, snapshot);
    return true;
  }

  /** Returns the snapshot published for {@code nodeId}, or null. */
  public Snapshot snapshot(String nodeId) {
    return cache.getSnapshot(nodeId);
  }

  /** Node ids with an open ADS stream. */
  public Set<String> connectedNodes() {
    return ads.connectedNodes();
  }

  /** Node ids with a published snapshot. */
  public Set<String> publishedNodes() {
    return Set.copyOf(published.keySet());
  }

  /** The ADS service, to mount on another gRPC server as well. */
  public BindableService service() {
    return ads;
  }

  /** The server's counters. */
  public XdsStats stats() {
    return stats;
  }

  /** Blocks until the server has shut down. */
  public void awaitTermination() throws InterruptedException {
    server.awaitTermination();
  }

  /** Stops the server: open streams are cancelled (clients reconnect elsewhere or later). */
  @Override
  public void close() {
    server.shutdownNow();
    try {
      server.awaitTermination(5, TimeUnit.SECONDS);
    } catch (InterruptedException e) {
      Thread.currentThread().interrupt();
    }
    scheduler.shutdownNow();
    handlers.shutdownNow();
  }

  @Override
  public String toString() {
    return "XdsServer[" + address() + "]";
  }

  /** Configures an {@link XdsServer}. */
  public static final class Builder {
    private InetSocketAddress address = new InetSocketAddress(InetAddress.getLoopbackAddress(), 15010);
    private XdsEventListener listener = new XdsEventListener() {};
    private NackBackoff nackBackoff = NackBackoff.DEFAULT;
    private Duration keepAlive = Duration.ofSeconds(30);
    private final List<BindableService> services = new ArrayList<>();

    private Builder() {}

    /** Sets the listening address (default 127.0.0.1:15010; port 0 picks a free port). */
    public Builder address(InetSocketAddress address) {
      this.address = Objects.requireNonNull(address, "address");
      return this;
    }

    /** Sets who hears of streams, ACKs and NACKs (default: nobody). */
    public Builder listener(XdsEventListener listener) {
      this.listener = Objects.requireNonNull(listener, "listener");
      return this;
    }

    /** Sets the wait before answering a client that keeps rejecting config (default 200 ms doubling to 30 s). */
    public Builder nackBackoff(NackBackoff backoff) {
      this.nackBackoff = Objects.requireNonNull(backoff, "backoff");
      return this;
    }

    /** Sets the interval of server keepalive pings on idle streams (default 30 s). */
    public Builder keepAlive(Duration interval) {
      this.keepAlive = Objects.requireNonNull(interval, "interval");
      return this;
    }

    /** Adds another gRPC service on the same port. */
    public Builder addService(BindableService service) {
      services.add(Objects.requireNonNull(service, "service"));
      return this;
    }

    /**
     * Binds and starts serving.
     *
     * @throws IOException if the address cannot be bound
     */
    public XdsServer start() throws IOException {
      XdsStats stats = new XdsStats();
      SimpleCache<String> cache = new SimpleCache<>(node -> node.getId());
      ScheduledExecutorService scheduler = Executors.newSingleThreadScheduledExecutor(
          Thread.ofPlatform().name("weft-xds-nack").daemon().factory());
      ExecutorService handlers = Executors.newThreadPerTaskExecutor(Thread.ofVirtual().name("weft-xds-", 0).factory());
      V3DiscoveryServer discovery = new V3DiscoveryServer(cache);
      AdsService ads = new AdsService(discovery.getAggregatedDiscoveryServiceImpl(), cache, listener, stats,
          nackBackoff, scheduler);
      try {
        NettyServerBuilder builder = NettyServerBuilder.forAddress(address)
            .withOption(ChannelOption.SO_REUSEADDR, true)
            .executor(handlers)
            .keepAliveTime(keepAlive.toMillis(), TimeUnit.MILLISECONDS)
            .permitKeepAliveTime(5, TimeUnit.SECONDS)
            .permitKeepAliveWithoutCalls(true)
            .maxInboundMessageSize(4 * 1024 * 1024)
            .addService(ads);
        services.forEach(builder::addService);
        Server server = builder.build().start();
        XdsServer started = new XdsServer(server, cache, ads, stats, scheduler, handlers);
        log.info("xDS (ADS, state of the world and delta) listening on {}", started.address());
        return started;
      } catch (IOException | RuntimeException e) {
        scheduler.shutdownNow();
        handlers.shutdownNow();
        throw e;
      }
    }
  }
}

package dev.weft.proxy;

import dev.weft.proxy.admin.AdminServer;
import dev.weft.proxy.config.AdsConfig;
import dev.weft.proxy.config.ClusterConfig;
import dev.weft.proxy.config.ListenerConfig;
import dev.weft.proxy.config.SocketAddressConfig;
import dev.weft.proxy.config.ProxyConfig;
import dev.weft.proxy.http.DrainState;
import dev.weft.proxy.listener.ListenerInitializer;
import dev.weft.proxy.metrics.ProxyMetrics;
import dev.weft.proxy.tls.TlsContexts;
import dev.weft.proxy.tls.TlsMaterial;
import dev.weft.proxy.upstream.ClusterManager;
import dev.weft.proxy.upstream.EventLoopIndex;
import dev.weft.proxy.upstream.UpstreamConnector;
import dev.weft.proxy.xds.DynamicConfig;
import dev.weft.proxy.xds.XdsClient;
import dev.weft.proxy.xds.XdsMetrics;
import io.envoyproxy.envoy.config.bootstrap.v3.Bootstrap;
import io.netty.bootstrap.ServerBootstrap;
import io.netty.channel.Channel;
import io.netty.channel.ChannelOption;
import io.netty.channel.EventLoopGroup;
import io.netty.channel.WriteBufferWaterMark;
import io.netty.channel.group.ChannelGroup;
import io.netty.channel.group.DefaultChannelGroup;
import io.netty.util.concurrent.GlobalEventExecutor;
import java.net.InetSocketAddress;
import java.time.Duration;
import java.util.HashMap;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Map;
import java.util.concurrent.ConcurrentHashMap;
import java.util.concurrent.ExecutorService;
import java.util.concurrent.Executors;
import java.util.concurrent.TimeUnit;
import java.util.logging.Logger;

/**
 * A running sidecar: worker event loops, clusters, listeners and the admin server, built from
 * one {@link ProxyConfig}. {@link #start} binds everything; {@link #drain} stops accepting,
 * lets in-flight requests finish and closes connections; {@link #close} releases the rest.
 *
 * <p>With {@code dynamic_resources} the sidecar starts with its static parts and an
 * {@link XdsClient}; each snapshot the client assembles is applied on one applier thread
 * ({@link #apply}): clusters first, then the snapshot is published with one volatile write (RDS
 * route tables are read from it per request), then listeners are bound, swapped or closed, and
 * clusters no longer used are removed. A changed listener keeps its socket: new connections get
 * the new config and the old connections drain. The sidecar is ready once the first complete
 * snapshot has been applied.
 */
public final class Sidecar implements AutoCloseable {
  private static final Logger LOG = Logger.getLogger(Sidecar.class.getName());

  /**
   * Start-up options that are not part of the Envoy config.
   *
   * @param concurrency  worker event loops (Envoy's {@code --concurrency}); 0 means one per core
   * @param nativeTransport use epoll when available
   * @param drainTimeout how long {@link #drain} waits for in-flight requests
   */
  public record Options(int concurrency, boolean nativeTransport, Duration drainTimeout) {
    public static Options defaults() {
      return new Options(0, true, Duration.ofSeconds(20));
    }
  }

  private final ProxyConfig staticConfig;
  /** The snapshot in force; replaced with one volatile write. */
  private volatile ProxyConfig config;
  private final Bootstrap bootstrap;
  private final Options options;
  private final Transport transport;
  private final EventLoopGroup workers;
  private final EventLoopGroup adminLoop;
  private final ProxyMetrics metrics = new ProxyMetrics();
  private final ClusterManager clusters;
  private final DrainState drain = new DrainState();
  private final ChannelGroup connections = new DefaultChannelGroup(GlobalEventExecutor.INSTANCE);
  private final Map<String, ListenerSlot> listeners = new ConcurrentHashMap<>();
  private ExecutorService applier;
  private XdsClient xds;
  private XdsMetrics xdsMetrics;
  private final TlsContexts tls;
  private AdminServer admin;
  private volatile boolean ready;

  private Sidecar(ProxyConfig config, Bootstrap bootstrap, Options options, TlsMaterial.SecretProvider secrets) {
    this.staticConfig = config;
    this.config = config;
    this.bootstrap = bootstrap;
    this.options = options;
    this.transport = Transport.select(options.nativeTransport());
    int threads = options.concurrency() > 0 ? options.concurrency() : Runtime.getRuntime().availableProcessors();
    this.workers = transport.newGroup(threads, "weft-worker");
    this.adminLoop = transport.newGroup(1, "weft-admin");
    this.tls = new TlsContexts(secrets);
    this.clusters = new ClusterManager(new UpstreamConnector(transport), new EventLoopIndex(workers), metrics, tls);
  }

  /**
   * Starts a sidecar and binds all its listeners.
   *
   * @param bootstrap the bootstrap as written, for {@code /config_dump} (may be null)
   */
  public static Sidecar start(ProxyConfig config, Bootstrap bootstrap, Options options) throws InterruptedException {
    return start(config, bootstrap, options, TlsMaterial.SecretProvider.NONE);
  }

  /**
   * Starts a sidecar whose TLS configs may name secrets served by {@code secrets} (the workload
   * identity's "default" certificate and "ROOTCA" roots).
   *
   * @throws IllegalArgumentException when TLS material cannot be loaded (the message says which)
   */
  public static Sidecar start(ProxyConfig config, Bootstrap bootstrap, Options options,
      TlsMaterial.SecretProvider secrets) throws InterruptedException {
    Sidecar s = new Sidecar(config, bootstrap, options, secrets);
    try {
      s.bind();
    } catch (TlsContexts.TlsSetupException e) {
      s.close();
      throw new IllegalArgumentException(e.getMessage(), e);
    } catch (RuntimeException | InterruptedException e) {
      s.close();
      throw e;
    }
    return s;
  }

  private void bind() throws InterruptedException, TlsContexts.TlsSetupException {
    clusters.apply(config.clusters());
    if (config.admin() != null) {
      admin = new AdminServer(this, transport, adminLoop);
      admin.bind(config.admin());
    }
    for (ListenerConfig l : config.listeners()) {
      ListenerSlot slot = new ListenerSlot(l);
      slot.bind();
      listeners.put(l.name(), slot);
    }
    if (config.ads() == null) {
      ready = true;
      return;
    }
    startXds();
  }

  private void startXds() throws TlsContexts.TlsSetupException {
    AdsConfig ads = config.ads();
    ClusterConfig cp = config.cluster(ads.clusterName());
    SocketAddressConfig a = cp.endpoints().getFirst().address();
    java.util.function.Supplier<io.netty.handler.ssl.SslContext> sslContext = null;
    if (cp.tls() != null) {
      var provider = tls.client(cp.tls(), List.of("h2"));
      sslContext = provider::current;
    }
    applier = Executors.newSingleThreadExecutor(r -> Thread.ofPlatform().daemon().name("weft-xds-apply").unstarted(r));
    xdsMetrics = new XdsMetrics(metrics.registry());
    xdsLoop = transport.newGroup(1, "weft-xds");
    List<io.envoyproxy.envoy.config.cluster.v3.Cluster> staticClusters = bootstrap == null ? List.of()
        : bootstrap.getStaticResources().getClustersList();
    xds = new XdsClient(config, staticClusters,
        new XdsClient.Target(new InetSocketAddress(a.host(), a.port()), a.host() + ":" + a.port(), sslContext),
        xdsLoop, transport.socketChannel(), snapshot -> applier.execute(() -> apply(snapshot)), xdsMetrics);
    xds.start();
  }

  private EventLoopGroup xdsLoop;

  /**
   * Applies a snapshot from the xDS client (on the applier thread): clusters that are new or
   * changed first, then the snapshot (routes), then listeners, then the removal of clusters no
   * longer in it.
   */
  private void apply(DynamicConfig.Assembled snapshot) {
    if (drain.draining()) {
      return;
    }
    ProxyConfig next = snapshot.config();
    try {
      Map<String, ClusterConfig> union = new HashMap<>(config.clusters());
      union.putAll(next.clusters());
      clusters.apply(union);
      config = next;
      for (ListenerConfig l : next.listeners()) {
        ListenerSlot slot = listeners.get(l.name());
        try {
          if (slot == null) {
            slot = new ListenerSlot(l);
            slot.bind();
            listeners.put(l.name(), slot);
            LOG.info("listener '" + l.name() + "' listening on " + slot.channel.localAddress());
          } else if (slot.current.config != l) {
            slot.update(l);
          }
        } catch (InterruptedException e) {
          throw e;
        } catch (Exception e) {
          // One listener that cannot bind (address in use) or load its TLS material does not stop the rest.
          LOG.warning("listener '" + l.name() + "' from the control plane cannot start: " + e.getMessage());
        }
      }
      for (var it = listeners.entrySet().iterator(); it.hasNext(); ) {
        var e = it.next();
        if (next.listeners().stream().noneMatch(l -> l.name().equals(e.getKey()))) {
          it.remove();
          e.getValue().remove();
          LOG.info("listener '" + e.getKey() + "' removed; draining its connections");
        }
      }
      clusters.apply(next.clusters());
      if (snapshot.complete() && !ready) {
        ready = true;
        LOG.info("first complete config from the control plane applied; ready");
      }
    } catch (TlsContexts.TlsSetupException | RuntimeException e) {
      LOG.warning("cannot apply the config from the control plane: " + e.getMessage());
    } catch (InterruptedException e) {
      Thread.currentThread().interrupt();
    }
  }

  /**
   * One listener's socket and the config its new connections get. A new config for the same
   * address swaps the initializer and drains the connections made with the old one; a new
   * address binds a new socket and closes the old.
   */
  private final class ListenerSlot extends io.netty.channel.ChannelInitializer<Channel> {
    private volatile Generation current;
    private Channel channel;

    private record Generation(ListenerConfig config, ListenerInitializer initializer, ChannelGroup connections) {}

    ListenerSlot(ListenerConfig l) throws TlsContexts.TlsSetupException {
      current = generation(l);
    }

    private Generation generation(ListenerConfig l) throws TlsContexts.TlsSetupException {
      return new Generation(l, new ListenerInitializer(l, clusters, metrics, connections, drain, options.drainTimeout(),
          tls, name -> config.routeTable(name)), new DefaultChannelGroup(GlobalEventExecutor.INSTANCE));
    }

    @Override
    protected void initChannel(Channel ch) {
      Generation g = current;
      g.connections().add(ch);
      ch.pipeline().addLast(g.initializer());
    }

    void bind() throws InterruptedException {
      ListenerConfig l = current.config();
      int high = Math.max(l.bufferLimitBytes(), 32 * 1024);
      channel = new ServerBootstrap()
          .group(workers)
          .channel(transport.serverChannel())
          .option(ChannelOption.SO_BACKLOG, 1024)
          .option(ChannelOption.SO_REUSEADDR, true)
          .childOption(ChannelOption.TCP_NODELAY, true)
          .childOption(ChannelOption.WRITE_BUFFER_WATER_MARK, new WriteBufferWaterMark(high / 2, high))
          .childHandler(this)
          .bind(l.address().host(), l.address().port())
          .sync()
          .channel();
    }

    void update(ListenerConfig l) throws Exception {
      Generation old = current;
      current = generation(l);
      if (!l.address().equals(old.config().address())) {
        Channel oldChannel = channel;
        try {
          bind();
        } catch (Exception e) {
          current = old;
          channel = oldChannel;
          throw e;
        }
        oldChannel.close();
      }
      drainConnections(old.connections());
    }

    void remove() {
      channel.close();
      drainConnections(current.connections());
    }

    private void drainConnections(ChannelGroup group) {
      for (Channel c : group) {
        c.pipeline().fireUserEventTriggered(DrainState.DRAIN_EVENT);
      }
      adminLoop.schedule(() -> group.close(), options.drainTimeout().toMillis(), TimeUnit.MILLISECONDS);
    }
  }

  /** The config in force (the latest applied snapshot). */
  public ProxyConfig config() {
    return config;
  }

  /** The xDS client, or null for a static config. */
  public XdsClient xds() {
    return xds;
  }

  public Bootstrap bootstrap() {
    return bootstrap;
  }

  public ProxyMetrics metrics() {
    return metrics;
  }

  public ClusterManager clusters() {
    return clusters;
  }

  public Transport transport() {
    return transport;
  }

  /** TLS contexts of this sidecar's listeners and clusters. */
  public TlsContexts tls() {
    return tls;
  }

  /** Ready: config loaded, listeners bound, not draining. */
  public boolean ready() {
    return ready && !drain.draining();
  }

  public boolean draining() {
    return drain.draining();
  }

  /** The bound port of a listener (useful with port 0). */
  public int port(String listener) {
    ListenerSlot slot = listeners.get(listener);
    if (slot == null) {
      throw new IllegalArgumentException("no listener named '" + listener + "'");
    }
    return ((InetSocketAddress) slot.channel.localAddress()).getPort();
  }

  /** Whether a listener is bound (a dynamic one goes live once it has warmed). */
  public boolean hasListener(String listener) {
    return listeners.containsKey(listener);
  }

  public Map<String, InetSocketAddress> listenerAddresses() {
    Map<String, InetSocketAddress> m = new LinkedHashMap<>();
    listeners.forEach((name, slot) -> m.put(name, (InetSocketAddress) slot.channel.localAddress()));
    return m;
  }

  /** Sets what the admin API's {@code POST /quitquitquit} and {@code /drain_listeners} run. */
  public void onAdminQuit(Runnable quit) {
    if (admin != null) {
      admin.onQuit(quit);
    }
  }

  /** The admin server's bound address, or null when there is none. */
  public InetSocketAddress adminAddress() {
    return admin == null ? null : admin.address();
  }

  /**
   * Graceful drain: stop accepting, report not ready, ask HTTP/1.1 connections to close after
   * their current response and HTTP/2 connections to GOAWAY, and wait up to the drain timeout
   * for connections to finish; whatever is left is closed.
   *
   * @return true when every connection finished within the timeout
   */
  public boolean drain() throws InterruptedException {
    drain.start();
    if (xds != null) {
      xds.close();
    }
    for (ListenerSlot l : listeners.values()) {
      l.channel.close().sync();
    }
    for (Channel c : connections) {
      c.pipeline().fireUserEventTriggered(DrainState.DRAIN_EVENT);
    }
    long deadline = System.nanoTime() + options.drainTimeout().toNanos();
    while (!connections.isEmpty() && System.nanoTime() < deadline) {
      Thread.sleep(10);
    }
    boolean clean = connections.isEmpty();
    if (!clean) {
      LOG.warning(connections.size() + " connections still open after the drain timeout; closing them");
      connections.close().await(1, TimeUnit.SECONDS);
    }
    clusters.closeIdle();
    return clean;
  }

  @Override
  public void close() {
    drain.start();
    if (xds != null) {
      xds.close();
    }
    if (applier != null) {
      applier.shutdownNow();
    }
    listeners.values().forEach(l -> {
      if (l.channel != null) {
        l.channel.close();
      }
    });
    connections.close().awaitUninterruptibly(1, TimeUnit.SECONDS);
    if (admin != null) {
      admin.close();
    }
    workers.shutdownGracefully(0, 1, TimeUnit.SECONDS).awaitUninterruptibly(5, TimeUnit.SECONDS);
    adminLoop.shutdownGracefully(0, 1, TimeUnit.SECONDS).awaitUninterruptibly(5, TimeUnit.SECONDS);
    if (xdsLoop != null) {
      xdsLoop.shutdownGracefully(0, 1, TimeUnit.SECONDS).awaitUninterruptibly(5, TimeUnit.SECONDS);
    }
    tls.close();
  }
}

package dev.weft.proxy;

import dev.weft.proxy.admin.AdminServer;
import dev.weft.proxy.config.ListenerConfig;
import dev.weft.proxy.config.ProxyConfig;
import dev.weft.proxy.http.DrainState;
import dev.weft.proxy.listener.ListenerInitializer;
import dev.weft.proxy.metrics.ProxyMetrics;
import dev.weft.proxy.tls.TlsContexts;
import dev.weft.proxy.tls.TlsMaterial;
import dev.weft.proxy.upstream.ClusterManager;
import dev.weft.proxy.upstream.EventLoopIndex;
import dev.weft.proxy.upstream.UpstreamConnector;
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
import java.util.LinkedHashMap;
import java.util.Map;
import java.util.concurrent.TimeUnit;
import java.util.logging.Logger;

/**
 * A running sidecar: worker event loops, clusters, listeners and the admin server, built from
 * one {@link ProxyConfig}. {@link #start} binds everything; {@link #drain} stops accepting,
 * lets in-flight requests finish and closes connections; {@link #close} releases the rest.
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

  private final ProxyConfig config;
  private final Bootstrap bootstrap;
  private final Options options;
  private final Transport transport;
  private final EventLoopGroup workers;
  private final EventLoopGroup adminLoop;
  private final ProxyMetrics metrics = new ProxyMetrics();
  private final ClusterManager clusters;
  private final DrainState drain = new DrainState();
  private final ChannelGroup connections = new DefaultChannelGroup(GlobalEventExecutor.INSTANCE);
  private final Map<String, Channel> listeners = new LinkedHashMap<>();
  private final TlsContexts tls;
  private AdminServer admin;
  private volatile boolean ready;

  private Sidecar(ProxyConfig config, Bootstrap bootstrap, Options options, TlsMaterial.SecretProvider secrets) {
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
      int high = Math.max(l.bufferLimitBytes(), 32 * 1024);
      Channel ch = new ServerBootstrap()
          .group(workers)
          .channel(transport.serverChannel())
          .option(ChannelOption.SO_BACKLOG, 1024)
          .option(ChannelOption.SO_REUSEADDR, true)
          .childOption(ChannelOption.TCP_NODELAY, true)
          .childOption(ChannelOption.WRITE_BUFFER_WATER_MARK, new WriteBufferWaterMark(high / 2, high))
          .childHandler(new ListenerInitializer(l, clusters, metrics, connections, drain, options.drainTimeout(), tls))
          .bind(l.address().host(), l.address().port())
          .sync()
          .channel();
      listeners.put(l.name(), ch);
    }
    ready = true;
  }

  public ProxyConfig config() {
    return config;
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
    Channel ch = listeners.get(listener);
    if (ch == null) {
      throw new IllegalArgumentException("no listener named '" + listener + "'");
    }
    return ((InetSocketAddress) ch.localAddress()).getPort();
  }

  public Map<String, InetSocketAddress> listenerAddresses() {
    Map<String, InetSocketAddress> m = new LinkedHashMap<>();
    listeners.forEach((name, ch) -> m.put(name, (InetSocketAddress) ch.localAddress()));
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
    for (Channel l : listeners.values()) {
      l.close().sync();
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
    listeners.values().forEach(Channel::close);
    connections.close().awaitUninterruptibly(1, TimeUnit.SECONDS);
    if (admin != null) {
      admin.close();
    }
    workers.shutdownGracefully(0, 1, TimeUnit.SECONDS).awaitUninterruptibly(5, TimeUnit.SECONDS);
    adminLoop.shutdownGracefully(0, 1, TimeUnit.SECONDS).awaitUninterruptibly(5, TimeUnit.SECONDS);
    tls.close();
  }
}

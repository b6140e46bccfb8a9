package dev.weft.proxy.testkit;

import dev.weft.proxy.Transport;
import dev.weft.proxy.tls.TlsContexts;
import dev.weft.proxy.tls.TlsMaterial;
import dev.weft.proxy.bootstrap.BootstrapLoader;
import dev.weft.proxy.bootstrap.ConfigException;
import dev.weft.proxy.config.ListenerConfig;
import dev.weft.proxy.config.ProxyConfig;
import dev.weft.proxy.http.DrainState;
import dev.weft.proxy.listener.ListenerInitializer;
import dev.weft.proxy.metrics.ProxyMetrics;
import dev.weft.proxy.tls.PeerIdentity;
import dev.weft.proxy.upstream.ClusterManager;
import dev.weft.proxy.upstream.EventLoopIndex;
import dev.weft.proxy.upstream.UpstreamConnector;
import io.netty.bootstrap.ServerBootstrap;
import io.netty.channel.Channel;
import io.netty.channel.ChannelInitializer;
import io.netty.channel.ChannelOption;
import io.netty.channel.EventLoopGroup;
import io.netty.channel.group.ChannelGroup;
import io.netty.channel.group.DefaultChannelGroup;
import io.netty.util.concurrent.GlobalEventExecutor;
import java.io.IOException;
import java.net.InetAddress;
import java.net.InetSocketAddress;
import java.net.Socket;
import java.time.Duration;
import java.util.HashMap;
import java.util.Map;
import java.util.concurrent.ConcurrentHashMap;
import java.util.concurrent.TimeUnit;

/**
 * An in-process sidecar whose connections carry a peer principal chosen by the test, standing
 * in for the mTLS handshake: {@link #connect} binds the client socket first and registers the
 * principal for its source port; each accepted connection gets that principal through
 * {@link PeerIdentity} before the listener's own pipeline ({@link ListenerInitializer}) is built,
 * which is where the TLS layer sets it. Everything after that is the production data path.
 */
public final class PrincipalSidecar implements AutoCloseable {
  private final EventLoopGroup workers;
  private final ProxyMetrics metrics = new ProxyMetrics();
  private final ChannelGroup connections = new DefaultChannelGroup(GlobalEventExecutor.INSTANCE);
  private final Map<Integer, String> principals = new ConcurrentHashMap<>();
  private final Map<String, Channel> listeners = new HashMap<>();

  private final TlsContexts tls = new TlsContexts(TlsMaterial.SecretProvider.NONE);

  private PrincipalSidecar(ProxyConfig config) throws InterruptedException, TlsContexts.TlsSetupException {
    Transport transport = Transport.select(true);
    workers = transport.newGroup(2, "weft-test-worker");
    ClusterManager clusters = new ClusterManager(new UpstreamConnector(transport), new EventLoopIndex(workers),
        metrics, tls);
    clusters.apply(config.clusters());
    DrainState drain = new DrainState();
    for (ListenerConfig l : config.listeners()) {
      ListenerInitializer pipeline = new ListenerInitializer(l, clusters, metrics, connections, drain,
          Duration.ofSeconds(2), tls);
      Channel ch = new ServerBootstrap()
          .group(workers)
          .channel(transport.serverChannel())
          .childOption(ChannelOption.TCP_NODELAY, true)
          .childHandler(new ChannelInitializer<>() {
            @Override
            protected void initChannel(Channel c) {
              String principal = principals.remove(((InetSocketAddress) c.remoteAddress()).getPort());
              if (principal != null) {
                PeerIdentity.set(c, principal);
              }
              c.pipeline().addLast(pipeline);
            }
          })
          .bind(l.address().host(), l.address().port())
          .sync()
          .channel();
      listeners.put(l.name(), ch);
    }
  }

  public static PrincipalSidecar start(String yaml)
      throws ConfigException, InterruptedException, TlsContexts.TlsSetupException {
    return new PrincipalSidecar(BootstrapLoader.parse(yaml, "test.yaml").config());
  }

  public int port(String listener) {
    return ((InetSocketAddress) listeners.get(listener).localAddress()).getPort();
  }

  public ProxyMetrics metrics() {
    return metrics;
  }

  /**
   * Connects to a listener as a peer with {@code principal} (a SPIFFE ID), or as a plaintext
   * peer when it is {@code null}. Reads time out after 10 s.
   */
  public Socket connect(String listener, String principal) throws IOException {
    Socket s = new Socket();
    try {
      s.bind(new InetSocketAddress(InetAddress.getLoopbackAddress(), 0));
      if (principal != null) {
        principals.put(s.getLocalPort(), principal);
      }
      s.connect(new InetSocketAddress(InetAddress.getLoopbackAddress(), port(listener)), 5_000);
      s.setSoTimeout(10_000);
      return s;
    } catch (IOException e) {
      s.close();
      throw e;
    }
  }

  /** An HTTP/1.1 connection to a listener as a peer with {@code principal} (null: plaintext). */
  public RawHttpConnection http(String listener, String principal) throws IOException {
    return RawHttpConnection.over(connect(listener, principal));
  }

  @Override
  public void close() {
    listeners.values().forEach(Channel::close);
    connections.close().awaitUninterruptibly(1, TimeUnit.SECONDS);
    workers.shutdownGracefully(0, 1, TimeUnit.SECONDS).awaitUninterruptibly(5, TimeUnit.SECONDS);
    tls.close();
  }
}

package dev.weft.perf;

import io.netty.bootstrap.ServerBootstrap;
import io.netty.buffer.PooledByteBufAllocator;
import io.netty.channel.Channel;
import io.netty.channel.ChannelHandler;
import io.netty.channel.ChannelInitializer;
import io.netty.channel.ChannelOption;
import io.netty.channel.EventLoopGroup;
import io.netty.handler.codec.http.HttpRequestDecoder;
import io.netty.util.concurrent.DefaultThreadFactory;
import java.net.InetSocketAddress;
import java.util.Arrays;
import java.util.concurrent.Callable;
import java.util.concurrent.CountDownLatch;
import java.util.concurrent.TimeUnit;
import picocli.CommandLine;
import picocli.CommandLine.Command;
import picocli.CommandLine.Option;

/**
 * The small, fast upstream every benchmark talks to: it answers every HTTP/1.1 and h2c
 * (prior-knowledge) request with {@code 200}, {@code content-type: text/plain} and the same
 * 100-byte body, and gRPC unary calls to {@link LoadConfig#DEFAULT_GRPC_METHOD} with a small
 * message and {@code grpc-status: 0}.
 *
 * <p>Pipeline per connection: {@link ProtocolDetector} → either {@code HttpRequestDecoder →}
 * {@link Http1FixedResponder}, or {@link Http2FixedResponder}.
 *
 * <pre>{@code
 * try (FixedResponseServer server = FixedResponseServer.start("127.0.0.1", 0, 1)) {
 *   URI target = URI.create("http://127.0.0.1:" + server.port() + "/");
 *   ...
 * }
 * }</pre>
 */
public final class FixedResponseServer implements AutoCloseable {
  /** The body of every plain HTTP response: 100 bytes of text. */
  static final byte[] BODY = body();
  /** Concurrent streams advertised to HTTP/2 clients. */
  public static final int MAX_CONCURRENT_STREAMS = 4096;

  private final EventLoopGroup group;
  private final Channel serverChannel;
  private final Transport transport;

  private FixedResponseServer(EventLoopGroup group, Channel serverChannel, Transport transport) {
    this.group = group;
    this.serverChannel = serverChannel;
    this.transport = transport;
  }

  /**
   * Binds and starts the server.
   *
   * @param host    address to bind, normally {@code 127.0.0.1}
   * @param port    port to bind; 0 picks a free one (see {@link #port()})
   * @param threads event loop threads, at least 1
   * @throws IllegalArgumentException for an invalid port or thread count
   * @throws InterruptedException if interrupted while binding
   */
  public static FixedResponseServer start(String host, int port, int threads) throws InterruptedException {
    if (port < 0 || port > 65535) {
      throw new IllegalArgumentException("port: " + port + " (expected: 0..65535)");
    }
    if (threads < 1 || threads > 1024) {
      throw new IllegalArgumentException("threads: " + threads + " (expected: 1..1024)");
    }
    Transport transport = Transport.best();
    EventLoopGroup group = transport.newGroup(threads, new DefaultThreadFactory("weft-upstream", true));
    try {
      Channel channel = new ServerBootstrap()
          .group(group)
          .channel(transport.serverChannelClass())
          .option(ChannelOption.SO_BACKLOG, 1024)
          .option(ChannelOption.SO_REUSEADDR, true)
          .childOption(ChannelOption.TCP_NODELAY, true)
          .childOption(ChannelOption.ALLOCATOR, PooledByteBufAllocator.DEFAULT)
          .childHandler(new ChannelInitializer<>() {
            @Override
            protected void initChannel(Channel ch) {
              ch.pipeline().addLast("detect", new ProtocolDetector(
                  () -> new ChannelHandler[] {new HttpRequestDecoder(), new Http1FixedResponder()},
                  () -> new ChannelHandler[] {Http2FixedResponder.create(MAX_CONCURRENT_STREAMS)}));
            }
          })
          .bind(host, port)
          .sync()
          .channel();
      return new FixedResponseServer(group, channel, transport);
    } catch (InterruptedException | RuntimeException e) {
      group.shutdownGracefully(0, 0, TimeUnit.MILLISECONDS);
      throw e;
    }
  }

  /** Starts on {@code 127.0.0.1}, a free port, one event loop thread. */
  public static FixedResponseServer start() throws InterruptedException {
    return start("127.0.0.1", 0, 1);
  }

  /** The bound port. */
  public int port() {
    return ((InetSocketAddress) serverChannel.localAddress()).getPort();
  }

  /** The bound address. */
  public InetSocketAddress address() {
    return (InetSocketAddress) serverChannel.localAddress();
  }

  /** The transport in use ({@code epoll} or {@code nio}). */
  public String transport() {
    return transport.name();
  }

  /** Stops accepting, closes every connection and waits for the event loops to end. */
  @Override
  public void close() {
    serverChannel.close().awaitUninterruptibly(5, TimeUnit.SECONDS);
    group.shutdownGracefully(0, 500, TimeUnit.MILLISECONDS).awaitUninterruptibly(5, TimeUnit.SECONDS);
  }

  private static byte[] body() {
    byte[] body = new byte[100];
    Arrays.fill(body, (byte) 'x');
    byte[] text = "weft fixed response\n".getBytes(java.nio.charset.StandardCharsets.US_ASCII);
    System.arraycopy(text, 0, body, 0, text.length);
    body[body.length - 1] = '\n';
    return body;
  }

  /** Command line: {@code FixedResponseServer [--host 127.0.0.1] [--port 0] [--threads N]}. */
  @Command(name = "weft-upstream", mixinStandardHelpOptions = true,
      description = "Fixed-response HTTP/1.1, h2c and gRPC upstream for benchmarks.")
  static final class Cli implements Callable<Integer> {
    @Option(names = "--host", defaultValue = "127.0.0.1", description = "Address to bind (default: ${DEFAULT-VALUE}).")
    String host;

    @Option(names = "--port", defaultValue = "0", description = "Port to bind; 0 picks a free one (default: ${DEFAULT-VALUE}).")
    int port;

    @Option(names = "--threads", description = "Event loop threads (default: available processors).")
    Integer threads;

    @Override
    public Integer call() throws InterruptedException {
      int n = threads != null ? threads : Runtime.getRuntime().availableProcessors();
      FixedResponseServer server = start(host, port, n);
      CountDownLatch stopped = new CountDownLatch(1);
      Runtime.getRuntime().addShutdownHook(new Thread(() -> {
        server.close();
        stopped.countDown();
      }, "weft-upstream-stop"));
      System.out.printf("listening on %s:%d (%s, %d threads)%n",
          server.address().getHostString(), server.port(), server.transport(), n);
      stopped.await();
      return 0;
    }
  }

  /** Runs the server until the process is stopped. */
  public static void main(String[] args) {
    System.exit(new CommandLine(new Cli()).execute(args));
  }
}

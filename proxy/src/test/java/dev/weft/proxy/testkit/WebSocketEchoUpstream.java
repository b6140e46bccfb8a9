package dev.weft.proxy.testkit;

import io.netty.bootstrap.ServerBootstrap;
import io.netty.channel.Channel;
import io.netty.channel.ChannelHandlerContext;
import io.netty.channel.ChannelInitializer;
import io.netty.channel.EventLoopGroup;
import io.netty.channel.MultiThreadIoEventLoopGroup;
import io.netty.channel.SimpleChannelInboundHandler;
import io.netty.channel.nio.NioIoHandler;
import io.netty.channel.socket.nio.NioServerSocketChannel;
import io.netty.handler.codec.http.HttpHeaders;
import io.netty.handler.codec.http.HttpObjectAggregator;
import io.netty.handler.codec.http.HttpServerCodec;
import io.netty.handler.codec.http.websocketx.TextWebSocketFrame;
import io.netty.handler.codec.http.websocketx.WebSocketServerProtocolHandler;
import java.net.InetSocketAddress;
import java.util.List;
import java.util.concurrent.ConcurrentLinkedQueue;
import java.util.concurrent.TimeUnit;
import java.util.concurrent.atomic.AtomicInteger;

/**
 * A WebSocket upstream on 127.0.0.1 (any path): completes the opening handshake, greets each
 * client with the text message {@value #GREETING}, echoes every text message back unchanged,
 * and answers a close frame with a close frame (Netty's protocol handler). It records the
 * handshake request headers and the text it received.
 */
public final class WebSocketEchoUpstream implements AutoCloseable {
  /** The first message sent to each client after the handshake. */
  public static final String GREETING = "hello from upstream";

  private final EventLoopGroup group = new MultiThreadIoEventLoopGroup(1, NioIoHandler.newFactory());
  private final Channel server;
  private final ConcurrentLinkedQueue<HttpHeaders> handshakes = new ConcurrentLinkedQueue<>();
  private final ConcurrentLinkedQueue<String> messages = new ConcurrentLinkedQueue<>();
  private final AtomicInteger connections = new AtomicInteger();

  private WebSocketEchoUpstream() throws InterruptedException {
    server = new ServerBootstrap()
        .group(group)
        .channel(NioServerSocketChannel.class)
        .childHandler(new ChannelInitializer<>() {
          @Override
          protected void initChannel(Channel ch) {
            connections.incrementAndGet();
            ch.pipeline().addLast(new HttpServerCodec(), new HttpObjectAggregator(64 * 1024),
                new WebSocketServerProtocolHandler("/", null, false, 64 * 1024, false, true),
                new Echo());
          }
        })
        .bind("127.0.0.1", 0).sync().channel();
  }

  public static WebSocketEchoUpstream start() throws InterruptedException {
    return new WebSocketEchoUpstream();
  }

  public int port() {
    return ((InetSocketAddress) server.localAddress()).getPort();
  }

  /** Headers of each completed opening handshake, oldest first. */
  public List<HttpHeaders> handshakes() {
    return List.copyOf(handshakes);
  }

  /** Text messages received from clients, oldest first. */
  public List<String> messages() {
    return List.copyOf(messages);
  }

  public int connections() {
    return connections.get();
  }

  @Override
  public void close() {
    server.close().awaitUninterruptibly();
    group.shutdownGracefully(0, 1, TimeUnit.SECONDS).awaitUninterruptibly();
  }

  private final class Echo extends SimpleChannelInboundHandler<TextWebSocketFrame> {
    @Override
    protected void channelRead0(ChannelHandlerContext ctx, TextWebSocketFrame frame) {
      messages.add(frame.text());
      ctx.writeAndFlush(new TextWebSocketFrame(frame.text()));
    }

    @Override
    public void userEventTriggered(ChannelHandlerContext ctx, Object evt) throws Exception {
      if (evt instanceof WebSocketServerProtocolHandler.HandshakeComplete done) {
        handshakes.add(done.requestHeaders().copy());
        ctx.writeAndFlush(new TextWebSocketFrame(GREETING));
      }
      super.userEventTriggered(ctx, evt);
    }

    @Override
    public void exceptionCaught(ChannelHandlerContext ctx, Throwable cause) {
      ctx.close();
    }
  }
}

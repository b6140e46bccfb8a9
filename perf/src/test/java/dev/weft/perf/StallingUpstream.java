package dev.weft.perf;

import io.netty.bootstrap.ServerBootstrap;
import io.netty.buffer.Unpooled;
import io.netty.channel.Channel;
import io.netty.channel.ChannelHandlerContext;
import io.netty.channel.ChannelInboundHandlerAdapter;
import io.netty.channel.ChannelInitializer;
import io.netty.channel.EventLoopGroup;
import io.netty.handler.codec.http.HttpRequestDecoder;
import io.netty.handler.codec.http.LastHttpContent;
import io.netty.util.ReferenceCountUtil;
import io.netty.util.concurrent.DefaultThreadFactory;
import java.net.InetSocketAddress;
import java.nio.charset.StandardCharsets;
import java.util.concurrent.TimeUnit;
import java.util.concurrent.atomic.AtomicInteger;

/**
 * HTTP/1.1 upstream that answers at once, except that it holds the response to one chosen
 * request for a fixed time, the way a GC pause or a slow dependency would. The delay is a
 * scheduled task; the event loop never blocks.
 */
final class StallingUpstream implements AutoCloseable {
  private static final byte[] RESPONSE =
      "HTTP/1.1 200 OK\r\ncontent-type: text/plain\r\ncontent-length: 2\r\n\r\nok"
          .getBytes(StandardCharsets.US_ASCII);

  private final EventLoopGroup group;
  private final Channel server;
  private final AtomicInteger requests = new AtomicInteger();

  StallingUpstream(int stallOnRequest, long stallMillis) throws InterruptedException {
    Transport transport = Transport.best();
    group = transport.newGroup(1, new DefaultThreadFactory("stalling-upstream", true));
    server = new ServerBootstrap()
        .group(group)
        .channel(transport.serverChannelClass())
        .childHandler(new ChannelInitializer<>() {
          @Override
          protected void initChannel(Channel ch) {
            ch.pipeline().addLast(new HttpRequestDecoder(), new ChannelInboundHandlerAdapter() {
              @Override
              public void channelRead(ChannelHandlerContext ctx, Object msg) {
                boolean last = msg instanceof LastHttpContent;
                ReferenceCountUtil.release(msg);
                if (!last) {
                  return;
                }
                if (requests.incrementAndGet() == stallOnRequest) {
                  ctx.executor().schedule(
                      () -> ctx.writeAndFlush(Unpooled.wrappedBuffer(RESPONSE)),
                      stallMillis, TimeUnit.MILLISECONDS);
                } else {
                  ctx.writeAndFlush(Unpooled.wrappedBuffer(RESPONSE));
                }
              }
            });
          }
        })
        .bind("127.0.0.1", 0).sync().channel();
  }

  int port() {
    return ((InetSocketAddress) server.localAddress()).getPort();
  }

  int requests() {
    return requests.get();
  }

  @Override
  public void close() {
    server.close().awaitUninterruptibly();
    group.shutdownGracefully(0, 100, TimeUnit.MILLISECONDS).awaitUninterruptibly();
  }
}

package dev.weft.perf;

import io.netty.channel.IoHandlerFactory;
import io.netty.channel.MultiThreadIoEventLoopGroup;
import io.netty.channel.ServerChannel;
import io.netty.channel.socket.SocketChannel;
import io.netty.channel.epoll.Epoll;
import io.netty.channel.epoll.EpollIoHandler;
import io.netty.channel.epoll.EpollServerSocketChannel;
import io.netty.channel.epoll.EpollSocketChannel;
import io.netty.channel.nio.NioIoHandler;
import io.netty.channel.socket.nio.NioServerSocketChannel;
import io.netty.channel.socket.nio.NioSocketChannel;
import java.util.concurrent.ThreadFactory;

/**
 * The socket transport used by the load generator and the fixed-response server: native epoll
 * when the platform supports it, NIO otherwise.
 *
 * <p>Both sides pick the transport the same way so that a benchmark measures the mesh, not a
 * difference in I/O layers between client and upstream.
 *
 * @param name                human-readable name ({@code epoll} or {@code nio}), printed in results
 * @param ioHandlerFactory    factory for the event loops' I/O handlers
 * @param channelClass        client socket channel type
 * @param serverChannelClass  server socket channel type
 */
public record Transport(
    String name,
    IoHandlerFactory ioHandlerFactory,
    Class<? extends SocketChannel> channelClass,
    Class<? extends ServerChannel> serverChannelClass) {

  /** Returns native epoll when available, NIO otherwise. */
  public static Transport best() {
    if (Epoll.isAvailable()) {
      return new Transport(
          "epoll", EpollIoHandler.newFactory(), EpollSocketChannel.class, EpollServerSocketChannel.class);
    }
    return nio();
  }

  /** Returns the portable NIO transport. */
  public static Transport nio() {
    return new Transport(
        "nio", NioIoHandler.newFactory(), NioSocketChannel.class, NioServerSocketChannel.class);
  }

  /** Creates an event loop group of {@code threads} loops for this transport. */
  public MultiThreadIoEventLoopGroup newGroup(int threads, ThreadFactory threadFactory) {
    return new MultiThreadIoEventLoopGroup(threads, threadFactory, ioHandlerFactory);
  }
}

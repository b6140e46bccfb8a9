package dev.weft.proxy.testkit;

import java.io.IOException;
import java.io.InputStream;
import java.io.OutputStream;
import java.net.InetAddress;
import java.net.InetSocketAddress;
import java.net.ServerSocket;
import java.net.Socket;
import java.util.Set;
import java.util.concurrent.ConcurrentHashMap;
import java.util.concurrent.atomic.AtomicInteger;
import java.util.concurrent.atomic.AtomicLong;

/**
 * A plain blocking TCP server on 127.0.0.1 (port 0) for TCP proxy tests, one virtual thread per
 * connection. It either echoes every byte until the peer's FIN and then closes, or greets and
 * closes without reading (a server that closes first). Echo writes block when the peer does not
 * read, so it also stops reading: backpressure reaches the sender.
 */
public final class TcpEchoServer implements AutoCloseable {
  private final ServerSocket server;
  private final byte[] greeting;
  private final Set<Socket> open = ConcurrentHashMap.newKeySet();
  private final AtomicInteger accepted = new AtomicInteger();
  private final AtomicInteger eofs = new AtomicInteger();
  private final AtomicLong echoed = new AtomicLong();
  private final Thread acceptor;

  private TcpEchoServer(byte[] greeting) throws IOException {
    this.greeting = greeting;
    this.server = new ServerSocket();
    server.bind(new InetSocketAddress(InetAddress.getLoopbackAddress(), 0));
    this.acceptor = Thread.ofVirtual().name("echo-accept").start(this::acceptLoop);
  }

  /** Echoes each connection's bytes; on end of input, closes the connection. */
  public static TcpEchoServer echo() throws IOException {
    return new TcpEchoServer(null);
  }

  /** Writes {@code greeting} to each connection and closes it without reading. */
  public static TcpEchoServer greetingThenClosing(byte[] greeting) throws IOException {
    return new TcpEchoServer(greeting.clone());
  }

  public int port() {
    return server.getLocalPort();
  }

  /** Connections accepted so far. */
  public int accepted() {
    return accepted.get();
  }

  /** Connections whose peer ended its output (FIN) while being echoed. */
  public int endsOfInput() {
    return eofs.get();
  }

  public long bytesEchoed() {
    return echoed.get();
  }

  /** Connections not yet closed on this side. */
  public int openConnections() {
    return open.size();
  }

  private void acceptLoop() {
    while (!server.isClosed()) {
      Socket s;
      try {
        s = server.accept();
      } catch (IOException e) {
        return; // closed
      }
      accepted.incrementAndGet();
      open.add(s);
      Thread.ofVirtual().name("echo-conn").start(() -> serve(s));
    }
  }

  private void serve(Socket s) {
    try (s) {
      OutputStream out = s.getOutputStream();
      if (greeting != null) {
        out.write(greeting);
        out.flush();
        return;
      }
      InputStream in = s.getInputStream();
      byte[] buf = new byte[32 * 1024];
      int n;
      while ((n = in.read(buf)) >= 0) {
        out.write(buf, 0, n);
        echoed.addAndGet(n);
      }
      eofs.incrementAndGet();
    } catch (IOException e) {
      // the peer reset or the server is closing
    } finally {
      open.remove(s);
    }
  }

  @Override
  public void close() throws IOException {
    server.close();
    for (Socket s : open) {
      s.close();
    }
    try {
      acceptor.join(5_000);
    } catch (InterruptedException e) {
      Thread.currentThread().interrupt();
    }
  }
}

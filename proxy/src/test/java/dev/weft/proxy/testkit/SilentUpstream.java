package dev.weft.proxy.testkit;

import java.io.IOException;
import java.io.InputStream;
import java.net.InetAddress;
import java.net.ServerSocket;
import java.net.Socket;
import java.util.List;
import java.util.concurrent.CopyOnWriteArrayList;
import java.util.concurrent.atomic.AtomicInteger;

/**
 * An upstream that accepts connections, reads whatever arrives and never answers: the slowest
 * possible server, for timeout tests. It counts the connections its peer closed, so a test can
 * check that a timed-out connection is not kept for reuse. Plain sockets on virtual threads;
 * each connection gives up after 30 s.
 */
public final class SilentUpstream implements AutoCloseable {
  private final ServerSocket server;
  private final Thread acceptor;
  private final List<Socket> sockets = new CopyOnWriteArrayList<>();
  private final AtomicInteger accepted = new AtomicInteger();
  private final AtomicInteger closedByPeer = new AtomicInteger();

  private SilentUpstream() throws IOException {
    server = new ServerSocket(0, 16, InetAddress.getLoopbackAddress());
    acceptor = Thread.ofVirtual().name("silent-upstream").start(this::accept);
  }

  public static SilentUpstream start() throws IOException {
    return new SilentUpstream();
  }

  public int port() {
    return server.getLocalPort();
  }

  public int accepted() {
    return accepted.get();
  }

  /** Connections that reached end of stream: the client closed them. */
  public int closedByPeer() {
    return closedByPeer.get();
  }

  private void accept() {
    while (!server.isClosed()) {
      try {
        Socket s = server.accept();
        accepted.incrementAndGet();
        sockets.add(s);
        Thread.ofVirtual().start(() -> drain(s));
      } catch (IOException e) {
        return; // closed
      }
    }
  }

  private void drain(Socket s) {
    try (s) {
      s.setSoTimeout(30_000);
      InputStream in = s.getInputStream();
      byte[] buf = new byte[8192];
      while (in.read(buf) >= 0) {
        // discard
      }
      closedByPeer.incrementAndGet();
    } catch (IOException e) {
      // reset by the peer, timed out, or closed by close()
    }
  }

  @Override
  public void close() throws IOException {
    server.close();
    for (Socket s : sockets) {
      s.close();
    }
    try {
      acceptor.join(5_000);
    } catch (InterruptedException e) {
      Thread.currentThread().interrupt();
    }
  }
}

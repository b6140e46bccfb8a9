package dev.weft.proxy.testkit;

import java.io.IOException;
import java.io.InputStream;
import java.io.OutputStream;
import java.net.InetAddress;
import java.net.ServerSocket;
import java.net.Socket;
import java.nio.charset.StandardCharsets;
import java.util.concurrent.atomic.AtomicInteger;

/**
 * An HTTP/1.0-style upstream on a plain socket: for every request it reads the head, answers
 * {@code HTTP/1.0 200 OK} with neither Content-Length nor Transfer-Encoding, writes the body and
 * closes the connection, so the body ends where the connection does (RFC 9112 section 6.3,
 * rule 8). Requests are served one at a time on a virtual thread.
 */
public final class CloseDelimitedUpstream implements AutoCloseable {
  private static final int MAX_HEAD = 64 * 1024;

  private final ServerSocket server;
  private final byte[] body;
  private final Thread acceptor;
  private final AtomicInteger requests = new AtomicInteger();

  private CloseDelimitedUpstream(byte[] body) throws IOException {
    this.body = body.clone();
    this.server = new ServerSocket(0, 16, InetAddress.getLoopbackAddress());
    this.acceptor = Thread.ofVirtual().name("close-delimited-upstream").start(this::serve);
  }

  /** Starts an upstream answering every request with {@code body}. */
  public static CloseDelimitedUpstream start(byte[] body) throws IOException {
    return new CloseDelimitedUpstream(body);
  }

  public int port() {
    return server.getLocalPort();
  }

  public int requests() {
    return requests.get();
  }

  private void serve() {
    while (!server.isClosed()) {
      try (Socket s = server.accept()) {
        s.setSoTimeout(10_000);
        if (readHead(s.getInputStream())) {
          requests.incrementAndGet();
          OutputStream out = s.getOutputStream();
          out.write(("HTTP/1.0 200 OK\r\nContent-Type: application/octet-stream\r\n"
              + "X-Upstream: close-delimited\r\n\r\n").getBytes(StandardCharsets.US_ASCII));
          out.write(body);
          out.flush();
        }
      } catch (IOException e) {
        // The server socket closed, or one client misbehaved: go on with the next one.
      }
    }
  }

  /** Reads up to the blank line ending the request head; false if the peer went away first. */
  private static boolean readHead(InputStream in) throws IOException {
    int matched = 0;
    for (int n = 0; n < MAX_HEAD; n++) {
      int c = in.read();
      if (c < 0) {
        return false;
      }
      matched = switch (matched) {
        case 0, 2 -> c == '\r' ? matched + 1 : 0;
        case 1, 3 -> c == '\n' ? matched + 1 : c == '\r' ? 1 : 0;
        default -> 0;
      };
      if (matched == 4) {
        return true;
      }
    }
    return false;
  }

  @Override
  public void close() throws IOException {
    server.close();
    try {
      acceptor.join(5_000);
    } catch (InterruptedException e) {
      Thread.currentThread().interrupt();
    }
  }
}

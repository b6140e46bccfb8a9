package dev.weft.perf.bench;

import java.io.IOException;
import java.io.InputStream;
import java.io.OutputStream;
import java.net.InetSocketAddress;
import java.net.Socket;
import java.nio.charset.StandardCharsets;
import java.time.Duration;
import java.util.concurrent.TimeUnit;

/** Bounded polling for a started process to become ready. */
final class Readiness {
  private static final long POLL_NANOS = TimeUnit.MILLISECONDS.toNanos(2);

  private Readiness() {}

  /**
   * Polls {@code GET path} on {@code 127.0.0.1:port} until it answers 200.
   *
   * @return the {@link System#nanoTime()} of the first 200
   * @throws IllegalStateException if the process dies or {@code timeout} passes first
   */
  static long awaitHttp200(ManagedProcess process, int port, String path, Duration timeout)
      throws InterruptedException {
    long deadline = System.nanoTime() + timeout.toNanos();
    while (true) {
      if (status(port, path) == 200) {
        return System.nanoTime();
      }
      check(process, deadline, timeout, "GET " + path + " on port " + port + " answering 200");
      TimeUnit.NANOSECONDS.sleep(POLL_NANOS);
    }
  }

  /** Polls until {@code 127.0.0.1:port} accepts a TCP connection. */
  static void awaitListening(ManagedProcess process, int port, Duration timeout) throws InterruptedException {
    long deadline = System.nanoTime() + timeout.toNanos();
    while (true) {
      try (Socket s = new Socket()) {
        s.connect(new InetSocketAddress("127.0.0.1", port), 200);
        return;
      } catch (IOException e) {
        check(process, deadline, timeout, "port " + port + " accepting connections");
        TimeUnit.NANOSECONDS.sleep(POLL_NANOS * 5);
      }
    }
  }

  private static void check(ManagedProcess process, long deadline, Duration timeout, String what) {
    if (!process.isAlive()) {
      throw new IllegalStateException(process.name() + " exited before " + what + "; output: " + process.tail(12));
    }
    if (System.nanoTime() - deadline > 0) {
      throw new IllegalStateException(process.name() + ": no " + what + " within " + timeout.toMillis()
          + " ms; output: " + process.tail(12));
    }
  }

  /** The status code of {@code GET path}, or -1 if the connection or the request fails. */
  static int status(int port, String path) {
    try (Socket s = new Socket()) {
      s.connect(new InetSocketAddress("127.0.0.1", port), 200);
      s.setSoTimeout(1000);
      OutputStream out = s.getOutputStream();
      out.write(("GET " + path + " HTTP/1.1\r\nHost: 127.0.0.1\r\nConnection: close\r\n\r\n")
          .getBytes(StandardCharsets.US_ASCII));
      out.flush();
      InputStream in = s.getInputStream();
      byte[] head = new byte[12];
      int n = 0;
      while (n < head.length) {
        int r = in.read(head, n, head.length - n);
        if (r < 0) {
          return -1;
        }
        n += r;
      }
      String line = new String(head, StandardCharsets.US_ASCII);
      return line.startsWith("HTTP/1.") ? Integer.parseInt(line.substring(9, 12)) : -1;
    } catch (IOException | NumberFormatException e) {
      return -1;
    }
  }
}

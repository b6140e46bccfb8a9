package dev.weft.proxy;

import static org.assertj.core.api.Assertions.assertThat;
import static org.awaitility.Awaitility.await;

import dev.weft.proxy.testkit.Bootstraps;
import dev.weft.proxy.testkit.TcpEchoServer;
import dev.weft.proxy.testkit.TestSidecar;
import java.io.IOException;
import java.io.InputStream;
import java.io.OutputStream;
import java.net.InetAddress;
import java.net.InetSocketAddress;
import java.net.ServerSocket;
import java.net.Socket;
import java.net.SocketException;
import java.net.SocketTimeoutException;
import java.nio.ByteBuffer;
import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.Path;
import java.time.Duration;
import java.util.concurrent.CompletableFuture;
import java.util.concurrent.TimeUnit;
import java.util.concurrent.atomic.AtomicLong;
import java.util.zip.CRC32;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.Timeout;

/** The {@code tcp_proxy} network filter with an in-process sidecar and a plain echo server. */
@Timeout(value = 60, unit = TimeUnit.SECONDS)
class TcpProxyIT {
  private static final int READ_TIMEOUT_MS = 5_000;

  /** A sidecar with one tcp_proxy listener "tcp" to cluster "backend" on {@code port}. */
  private static TestSidecar tcpSidecar(int port, String idleTimeout) throws Exception {
    String listener = """
        - name: tcp
          address: { socket_address: { address: 127.0.0.1, port_value: 0 } }
          filter_chains:
          - filters:
            - name: envoy.filters.network.tcp_proxy
              typed_config:
                "@type": type.googleapis.com/envoy.extensions.filters.network.tcp_proxy.v3.TcpProxy
                stat_prefix: tcp
                cluster: backend
        %s""".formatted(idleTimeout == null ? "" : "        idle_timeout: " + idleTimeout + "\n");
    return TestSidecar.start(Bootstraps.bootstrap(listener, Bootstraps.cluster("backend", false, port)));
  }

  private static Socket connect(TestSidecar sc) throws IOException {
    Socket s = new Socket(InetAddress.getLoopbackAddress(), sc.port("tcp"));
    s.setSoTimeout(READ_TIMEOUT_MS);
    return s;
  }

  private static long activeDownstream(TestSidecar sc) {
    return sc.sidecar().metrics().listener("tcp").activeConnections.get();
  }

  @Test
  void echoesBytesThroughTheTunnel() throws Exception {
    try (TcpEchoServer echo = TcpEchoServer.echo();
         TestSidecar sc = tcpSidecar(echo.port(), null);
         Socket s = connect(sc)) {
      byte[] hello = "hello through weft\n".getBytes(StandardCharsets.US_ASCII);

      s.getOutputStream().write(hello);

      assertThat(s.getInputStream().readNBytes(hello.length)).isEqualTo(hello);
      assertThat(echo.accepted()).isEqualTo(1);
    }
  }

  @Test
  void clientHalfCloseStillDeliversTheWholeEchoThenEof() throws Exception {
    try (TcpEchoServer echo = TcpEchoServer.echo();
         TestSidecar sc = tcpSidecar(echo.port(), null);
         Socket s = connect(sc)) {
      byte[] data = pattern(256 * 1024);

      s.getOutputStream().write(data);
      s.shutdownOutput();

      assertThat(s.getInputStream().readAllBytes()).isEqualTo(data); // ends with EOF
      assertThat(echo.endsOfInput()).as("upstream saw the client's FIN").isEqualTo(1);
      await().atMost(Duration.ofSeconds(5)).until(() -> activeDownstream(sc) == 0);
    }
  }

  @Test
  void upstreamCloseIsPropagatedToTheClient() throws Exception {
    byte[] bye = "bye\n".getBytes(StandardCharsets.US_ASCII);
    try (TcpEchoServer server = TcpEchoServer.greetingThenClosing(bye);
         TestSidecar sc = tcpSidecar(server.port(), null);
         Socket s = connect(sc)) {

      assertThat(s.getInputStream().readAllBytes()).isEqualTo(bye); // then EOF

      s.close();
      await().atMost(Duration.ofSeconds(5)).until(() -> activeDownstream(sc) == 0);
    }
  }

  @Test
  void moreBytesThanEveryBufferOnTheWayHoldsStayIntactWhenTheClientReadsLate() throws Exception {
    byte[] chunk = pattern(64 * 1024);
    // Before the writer stalls, the kernel may hold up to its maximum socket buffer in each of the
    // three receiving and three sending sockets between the test's two (fixed at 64 KiB): loopback
    // receive buffers autotune up to tcp_rmem's maximum, 32 MiB on some kernels. The proxy itself
    // holds at most its 1 MiB per-connection limit each way, plus a read; the echo server a read.
    long kernel = 3 * maxSocketBuffer("tcp_rmem", 6 << 20) + 3 * maxSocketBuffer("tcp_wmem", 4 << 20)
        + 2L * chunk.length;
    long inFlightBound = kernel + 8L * 1024 * 1024;
    long wanted = Math.max(64L * 1024 * 1024, inFlightBound + 16L * 1024 * 1024);
    int total = (int) ((wanted + chunk.length - 1) / chunk.length * chunk.length);
    try (TcpEchoServer echo = TcpEchoServer.echo();
         TestSidecar sc = tcpSidecar(echo.port(), null);
         Socket s = new Socket()) {
      s.setReceiveBufferSize(64 * 1024);
      s.setSendBufferSize(64 * 1024);
      s.connect(new InetSocketAddress(InetAddress.getLoopbackAddress(), sc.port("tcp")));
      s.setSoTimeout(READ_TIMEOUT_MS);
      AtomicLong written = new AtomicLong();
      CRC32 sent = new CRC32();
      CompletableFuture<Void> writer = new CompletableFuture<>();
      Thread.ofVirtual().name("tcp-writer").start(() -> {
        try {
          OutputStream out = s.getOutputStream();
          for (int i = 0; i < total / chunk.length; i++) {
            ByteBuffer.wrap(chunk).putInt(0, i); // every chunk differs, so reordering changes the CRC
            out.write(chunk);
            sent.update(chunk);
            written.addAndGet(chunk.length);
          }
          s.shutdownOutput();
          writer.complete(null);
        } catch (IOException | RuntimeException e) {
          writer.completeExceptionally(e);
        }
      });

      // Nobody reads yet: the writer must stall once the buffers on the way are full.
      AtomicLong previous = new AtomicLong(-1);
      await().atMost(Duration.ofSeconds(20)).pollInterval(Duration.ofMillis(300)).until(() -> {
        long now = written.get();
        return now > 0 && now == previous.getAndSet(now);
      });
      long stalledAt = written.get();

      CRC32 received = new CRC32();
      long count = 0;
      byte[] buf = new byte[32 * 1024];
      InputStream in = s.getInputStream();
      try {
        for (int n; (n = in.read(buf)) >= 0; ) {
          received.update(buf, 0, n);
          count += n;
        }
      } catch (SocketTimeoutException e) {
        throw new AssertionError("the tunnel stopped moving bytes: written " + written + " (stalled at " + stalledAt
            + "), echoed " + echo.bytesEchoed() + ", read back " + count, e);
      }
      writer.get(10, TimeUnit.SECONDS);

      assertThat(stalledAt).as("bytes written before anyone read (kernel buffers can hold %d)", kernel)
          .isLessThanOrEqualTo(inFlightBound).isLessThan(total);
      assertThat(count).isEqualTo(total);
      assertThat(received.getValue()).isEqualTo(sent.getValue());
      assertThat(echo.bytesEchoed()).isEqualTo(total);
    }
  }

  @Test
  void refusedUpstreamConnectionClosesTheClientPromptly() throws Exception {
    int refusing;
    try (ServerSocket probe = new ServerSocket(0, 1, InetAddress.getLoopbackAddress())) {
      refusing = probe.getLocalPort(); // closed again before the proxy connects: nothing listens there
    }
    try (TestSidecar sc = tcpSidecar(refusing, null);
         Socket s = connect(sc)) {
      long start = System.nanoTime();

      int first;
      try {
        first = s.getInputStream().read();
      } catch (SocketException reset) {
        first = -1;
      }

      assertThat(first).as("connection closed without data").isEqualTo(-1);
      assertThat(Duration.ofNanos(System.nanoTime() - start)).isLessThan(Duration.ofSeconds(2));
      assertThat(sc.sidecar().metrics().cluster("backend").connectFailures.count()).isEqualTo(1.0);
    }
  }

  @Test
  void idleTimeoutClosesTheTunnelOnlyOnceItIsIdle() throws Exception {
    try (TcpEchoServer echo = TcpEchoServer.echo();
         TestSidecar sc = tcpSidecar(echo.port(), "1s");
         Socket s = connect(sc)) {
      // Traffic every 200 ms for longer than the timeout keeps the tunnel open.
      for (int i = 0; i < 8; i++) {
        s.getOutputStream().write('a' + i);
        assertThat(s.getInputStream().read()).isEqualTo('a' + i);
        Thread.sleep(200); // pacing, not waiting for a condition
      }
      long idleFrom = System.nanoTime();

      assertThat(s.getInputStream().read()).as("EOF after the idle timeout").isEqualTo(-1);

      assertThat(Duration.ofNanos(System.nanoTime() - idleFrom)).isBetween(Duration.ofMillis(500),
          Duration.ofSeconds(4));
      await().atMost(Duration.ofSeconds(5)).until(() -> echo.openConnections() == 0);
      await().atMost(Duration.ofSeconds(5)).until(() -> activeDownstream(sc) == 0);
    }
  }

  /** {@code n} bytes of a pattern that does not repeat on power-of-two boundaries. */
  private static byte[] pattern(int n) {
    byte[] b = new byte[n];
    for (int i = 0; i < n; i++) {
      b[i] = (byte) (i % 251);
    }
    return b;
  }

  /** The maximum of {@code /proc/sys/net/ipv4/<name>} (min, default, max), or {@code fallback} where it cannot be read. */
  private static long maxSocketBuffer(String name, long fallback) {
    // Read as a stream: Files.readString trusts the size procfs reports and can return a fragment.
    try (var in = Files.newInputStream(Path.of("/proc/sys/net/ipv4", name))) {
      String[] v = new String(in.readAllBytes(), StandardCharsets.US_ASCII).trim().split("\\s+");
      return Long.parseLong(v[v.length - 1]);
    } catch (IOException | RuntimeException e) {
      return fallback;
    }
  }
}

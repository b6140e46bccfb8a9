package dev.weft.perf.jmh;

import dev.weft.perf.bench.BenchCertificates;
import io.netty.buffer.ByteBuf;
import io.netty.buffer.PooledByteBufAllocator;
import io.netty.channel.embedded.EmbeddedChannel;
import io.netty.handler.ssl.ApplicationProtocolConfig;
import io.netty.handler.ssl.ClientAuth;
import io.netty.handler.ssl.OpenSsl;
import io.netty.handler.ssl.SslContext;
import io.netty.handler.ssl.SslContextBuilder;
import io.netty.handler.ssl.SslHandler;
import io.netty.handler.ssl.SslProvider;
import io.netty.util.ReferenceCountUtil;
import java.util.concurrent.TimeUnit;
import javax.net.ssl.SSLException;
import org.openjdk.jmh.annotations.Benchmark;
import org.openjdk.jmh.annotations.BenchmarkMode;
import org.openjdk.jmh.annotations.Fork;
import org.openjdk.jmh.annotations.Level;
import org.openjdk.jmh.annotations.Measurement;
import org.openjdk.jmh.annotations.Mode;
import org.openjdk.jmh.annotations.OutputTimeUnit;
import org.openjdk.jmh.annotations.Param;
import org.openjdk.jmh.annotations.Scope;
import org.openjdk.jmh.annotations.Setup;
import org.openjdk.jmh.annotations.State;
import org.openjdk.jmh.annotations.TearDown;
import org.openjdk.jmh.annotations.Warmup;

/**
 * The TLS record write path: a Netty {@link SslHandler} on an {@link EmbeddedChannel} encrypting
 * application data after a completed mutual-TLS 1.3 handshake (ECDSA P-256), with the JDK
 * provider and with netty-tcnative (BoringSSL). The handshake runs once per trial by passing
 * bytes between a client and a server channel; each invocation then writes one payload and
 * releases the ciphertext.
 */
@State(Scope.Thread)
@BenchmarkMode(Mode.Throughput)
@OutputTimeUnit(TimeUnit.MILLISECONDS)
@Warmup(iterations = 3, time = 1)
@Measurement(iterations = 5, time = 1)
@Fork(1)
public class TlsWriteBenchmark {
  @Param({"JDK", "OPENSSL"})
  public SslProvider provider;

  @Param({"1024", "16384"})
  public int payloadSize;

  private EmbeddedChannel client;
  private EmbeddedChannel server;
  private ByteBuf payload;

  @Setup(Level.Trial)
  public void setUp() throws SSLException {
    if (provider == SslProvider.OPENSSL && !OpenSsl.isAvailable()) {
      throw new IllegalStateException("netty-tcnative is not available: " + OpenSsl.unavailabilityCause());
    }
    BenchCertificates ca = BenchCertificates.create();
    BenchCertificates.Leaf serverLeaf = ca.issue("server");
    BenchCertificates.Leaf clientLeaf = ca.issue("client");
    SslContext serverContext = SslContextBuilder.forServer(serverLeaf.key(), serverLeaf.certificate())
        .sslProvider(provider).trustManager(ca.ca()).clientAuth(ClientAuth.REQUIRE)
        .protocols("TLSv1.3").applicationProtocolConfig(h2()).build();
    SslContext clientContext = SslContextBuilder.forClient()
        .sslProvider(provider).keyManager(clientLeaf.key(), clientLeaf.certificate()).trustManager(ca.ca())
        .protocols("TLSv1.3").applicationProtocolConfig(h2()).build();
    server = new EmbeddedChannel(serverContext.newHandler(PooledByteBufAllocator.DEFAULT));
    client = new EmbeddedChannel(clientContext.newHandler(PooledByteBufAllocator.DEFAULT,
        BenchCertificates.dnsName("server"), 443));
    for (int i = 0; i < 20 && !(handshakeDone(client) && handshakeDone(server)); i++) {
      shuttle(client, server);
      shuttle(server, client);
    }
    if (!handshakeDone(client) || !handshakeDone(server)) {
      throw new IllegalStateException("TLS handshake did not complete with " + provider);
    }
    payload = PooledByteBufAllocator.DEFAULT.directBuffer(payloadSize);
    for (int i = 0; i < payloadSize; i++) {
      payload.writeByte('a' + i % 26);
    }
  }

  private static ApplicationProtocolConfig h2() {
    return new ApplicationProtocolConfig(ApplicationProtocolConfig.Protocol.ALPN,
        ApplicationProtocolConfig.SelectorFailureBehavior.NO_ADVERTISE,
        ApplicationProtocolConfig.SelectedListenerFailureBehavior.ACCEPT, "h2");
  }

  private static boolean handshakeDone(EmbeddedChannel ch) {
    return ch.pipeline().get(SslHandler.class).handshakeFuture().isSuccess();
  }

  private static void shuttle(EmbeddedChannel from, EmbeddedChannel to) {
    Object msg;
    while ((msg = from.readOutbound()) != null) {
      to.writeInbound(msg);
    }
    to.runPendingTasks();
    from.runPendingTasks();
    Object in;
    while ((in = to.readInbound()) != null) {
      ReferenceCountUtil.release(in);
    }
  }

  @TearDown(Level.Trial)
  public void tearDown() {
    client.finishAndReleaseAll();
    server.finishAndReleaseAll();
    payload.release();
  }

  /** Encrypts one payload into TLS records; returns the ciphertext size. */
  @Benchmark
  public int writeRecord() {
    client.writeOutbound(payload.retainedDuplicate());
    int bytes = 0;
    ByteBuf out;
    while ((out = client.readOutbound()) != null) {
      bytes += out.readableBytes();
      out.release();
    }
    return bytes;
  }
}

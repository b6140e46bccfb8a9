package dev.weft.perf.jmh;

import io.netty.buffer.ByteBuf;
import io.netty.buffer.ByteBufAllocator;
import io.netty.buffer.Unpooled;
import io.netty.channel.embedded.EmbeddedChannel;
import io.netty.handler.codec.http.DefaultFullHttpResponse;
import io.netty.handler.codec.http.FullHttpResponse;
import io.netty.handler.codec.http.HttpHeaderNames;
import io.netty.handler.codec.http.HttpHeaderValues;
import io.netty.handler.codec.http.HttpObject;
import io.netty.handler.codec.http.HttpRequestDecoder;
import io.netty.handler.codec.http.HttpResponseEncoder;
import io.netty.handler.codec.http.HttpResponseStatus;
import io.netty.handler.codec.http.HttpVersion;
import io.netty.handler.codec.http2.DefaultHttp2Headers;
import io.netty.handler.codec.http2.DefaultHttp2HeadersDecoder;
import io.netty.handler.codec.http2.DefaultHttp2HeadersEncoder;
import io.netty.handler.codec.http2.Http2Exception;
import io.netty.handler.codec.http2.Http2Headers;
import io.netty.util.ReferenceCountUtil;
import java.nio.charset.StandardCharsets;
import java.util.concurrent.TimeUnit;
import org.openjdk.jmh.annotations.Benchmark;
import org.openjdk.jmh.annotations.BenchmarkMode;
import org.openjdk.jmh.annotations.Fork;
import org.openjdk.jmh.annotations.Level;
import org.openjdk.jmh.annotations.Measurement;
import org.openjdk.jmh.annotations.Mode;
import org.openjdk.jmh.annotations.OutputTimeUnit;
import org.openjdk.jmh.annotations.Scope;
import org.openjdk.jmh.annotations.Setup;
import org.openjdk.jmh.annotations.State;
import org.openjdk.jmh.annotations.TearDown;
import org.openjdk.jmh.annotations.Warmup;
import org.openjdk.jmh.infra.Blackhole;

/**
 * Header coding with the Netty codecs the proxy uses: decoding a typical mesh HTTP/1.1 request
 * head ({@link HttpRequestDecoder} on an {@link EmbeddedChannel}), encoding a response head
 * ({@link HttpResponseEncoder}), and HPACK encoding and decoding of the same headers as HTTP/2
 * (a fresh dynamic table each time, as for the first request on a connection).
 */
@State(Scope.Thread)
@BenchmarkMode(Mode.AverageTime)
@OutputTimeUnit(TimeUnit.NANOSECONDS)
@Warmup(iterations = 3, time = 1)
@Measurement(iterations = 5, time = 1)
@Fork(1)
public class HeaderCodecBenchmark {
  private static final byte[] REQUEST = ("GET /api/v1/items?page=2 HTTP/1.1\r\n"
      + "host: reviews.bookinfo.svc.cluster.local:9080\r\n"
      + "user-agent: Mozilla/5.0 (X11; Linux x86_64) bench/1.0\r\n"
      + "accept: application/json\r\n"
      + "accept-encoding: gzip, deflate\r\n"
      + "x-request-id: 3f1c7a52-9a0e-4a8f-8a31-7d2b1d8c9e10\r\n"
      + "traceparent: 00-4bf92f3577b34da6a3ce929d0e0e4736-00f067aa0ba902b7-01\r\n"
      + "x-forwarded-proto: http\r\n"
      + "x-tenant: team-blue\r\n"
      + "\r\n").getBytes(StandardCharsets.US_ASCII);

  private EmbeddedChannel decoder;
  private EmbeddedChannel encoder;
  private Http2Headers h2Headers;
  private ByteBuf hpackBlock;

  @Setup(Level.Trial)
  public void setUp() throws Http2Exception {
    decoder = new EmbeddedChannel(new HttpRequestDecoder());
    encoder = new EmbeddedChannel(new HttpResponseEncoder());
    h2Headers = new DefaultHttp2Headers()
        .method("GET").scheme("http").path("/api/v1/items?page=2")
        .authority("reviews.bookinfo.svc.cluster.local:9080")
        .add("user-agent", "Mozilla/5.0 (X11; Linux x86_64) bench/1.0")
        .add("accept", "application/json")
        .add("accept-encoding", "gzip, deflate")
        .add("x-request-id", "3f1c7a52-9a0e-4a8f-8a31-7d2b1d8c9e10")
        .add("traceparent", "00-4bf92f3577b34da6a3ce929d0e0e4736-00f067aa0ba902b7-01")
        .add("x-forwarded-proto", "http")
        .add("x-tenant", "team-blue");
    hpackBlock = Unpooled.buffer();
    new DefaultHttp2HeadersEncoder().encodeHeaders(1, h2Headers, hpackBlock);
  }

  @TearDown(Level.Trial)
  public void tearDown() {
    decoder.finishAndReleaseAll();
    encoder.finishAndReleaseAll();
    hpackBlock.release();
  }

  @Benchmark
  public void decodeHttp1Request(Blackhole bh) {
    decoder.writeInbound(Unpooled.wrappedBuffer(REQUEST));
    Object msg;
    while ((msg = decoder.readInbound()) != null) {
      bh.consume(((HttpObject) msg).decoderResult());
      ReferenceCountUtil.release(msg);
    }
  }

  @Benchmark
  public void encodeHttp1Response(Blackhole bh) {
    FullHttpResponse response = new DefaultFullHttpResponse(HttpVersion.HTTP_1_1, HttpResponseStatus.OK,
        Unpooled.EMPTY_BUFFER);
    response.headers()
        .set(HttpHeaderNames.CONTENT_TYPE, HttpHeaderValues.TEXT_PLAIN)
        .set(HttpHeaderNames.CONTENT_LENGTH, 0)
        .set("x-request-id", "3f1c7a52-9a0e-4a8f-8a31-7d2b1d8c9e10")
        .set("server", "weft");
    encoder.writeOutbound(response);
    Object msg;
    while ((msg = encoder.readOutbound()) != null) {
      bh.consume(msg);
      ReferenceCountUtil.release(msg);
    }
  }

  @Benchmark
  public int encodeHpack() throws Http2Exception {
    ByteBuf out = ByteBufAllocator.DEFAULT.buffer(256);
    try {
      new DefaultHttp2HeadersEncoder().encodeHeaders(1, h2Headers, out);
      return out.readableBytes();
    } finally {
      out.release();
    }
  }

  @Benchmark
  public Http2Headers decodeHpack() throws Http2Exception {
    return new DefaultHttp2HeadersDecoder(true).decodeHeaders(1, hpackBlock.duplicate());
  }
}

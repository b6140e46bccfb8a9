package dev.weft.proxy.listener;

import io.netty.buffer.ByteBuf;
import io.netty.channel.ChannelHandlerContext;
import io.netty.handler.codec.ByteToMessageDecoder;
import io.netty.util.concurrent.ScheduledFuture;
import java.nio.charset.StandardCharsets;
import java.util.List;
import java.util.concurrent.TimeUnit;
import java.util.function.BiConsumer;

/**
 * First handler on a connection whose filter chain depends on what the client sends (Envoy's
 * TLS and HTTP inspectors). It reads without consuming until it can tell the transport
 * ({@code "tls"} for a TLS ClientHello, else {@code "raw_buffer"}) and, for plaintext, the
 * application protocol: HTTP/2 with prior knowledge ({@code "h2c"}), HTTP/1.x
 * ({@code "http/1.1"}, {@code "http/1.0"}) or something else ({@code null}). It hands the
 * decision to {@code onDetected} and removes itself; the bytes it held go on to the handlers
 * installed in its place.
 */
public final class ProtocolSniffer extends ByteToMessageDecoder {
  private static final byte[] H2_PREFACE = "PRI * HTTP/2.0\r\n\r\nSM\r\n\r\n".getBytes(StandardCharsets.US_ASCII);
  /** How much of a request line is inspected before giving up on HTTP/1. */
  private static final int MAX_INSPECT = 8192;

  /** Sentinel for "need more bytes". */
  static final String UNDECIDED = "?";

  private final long timeoutNanos;
  private final boolean continueOnTimeout;
  private final boolean inspectTls;
  private final boolean inspectHttp;
  private final Listener onDetected;
  private ScheduledFuture<?> timer;
  private boolean decided;

  /** Receives the decision. */
  public interface Listener {
    /**
     * @param transport   "tls" or "raw_buffer"
     * @param appProtocol the plaintext application protocol, or null
     */
    void detected(ChannelHandlerContext ctx, String transport, String appProtocol);
  }

  /**
   * @param timeoutNanos      how long to wait for enough bytes; 0 waits forever
   * @param continueOnTimeout on timeout, decide "plaintext, unknown protocol" instead of closing
   * @param inspectTls        tell TLS from plaintext
   * @param inspectHttp       tell the HTTP version of plaintext
   * @param onDetected        installs the chain's handlers for what was detected
   */
  public ProtocolSniffer(long timeoutNanos, boolean continueOnTimeout, boolean inspectTls, boolean inspectHttp,
      Listener onDetected) {
    this.timeoutNanos = timeoutNanos;
    this.continueOnTimeout = continueOnTimeout;
    this.inspectTls = inspectTls;
    this.inspectHttp = inspectHttp;
    this.onDetected = onDetected;
  }

  /** An HTTP-only sniffer (plaintext is assumed), as the HTTP inspector alone. */
  public ProtocolSniffer(long timeoutNanos, boolean continueOnTimeout, BiConsumer<ChannelHandlerContext, String> http) {
    this(timeoutNanos, continueOnTimeout, false, true, (ctx, t, app) -> http.accept(ctx, app));
  }

  @Override
  public void handlerAdded(ChannelHandlerContext ctx) {
    if (timeoutNanos > 0) {
      timer = ctx.executor().schedule(() -> {
        if (!decided) {
          if (continueOnTimeout) {
            decide(ctx, "raw_buffer", null);
          } else {
            ctx.close();
          }
        }
      }, timeoutNanos, TimeUnit.NANOSECONDS);
    }
  }

  @Override
  protected void handlerRemoved0(ChannelHandlerContext ctx) {
    if (timer != null) {
      timer.cancel(false);
    }
  }

  @Override
  protected void decode(ChannelHandlerContext ctx, ByteBuf in, List<Object> out) {
    if (decided) {
      return;
    }
    if (inspectTls) {
      String transport = detectTransport(in);
      if (transport == UNDECIDED) {
        return;
      }
      if (transport.equals("tls")) {
        decide(ctx, "tls", null);
        return;
      }
    }
    String protocol = inspectHttp ? detect(in) : null;
    if (protocol != UNDECIDED) {
      decide(ctx, "raw_buffer", protocol);
    }
  }

  private void decide(ChannelHandlerContext ctx, String transport, String protocol) {
    decided = true;
    onDetected.detected(ctx, transport, protocol);
    if (ctx.pipeline().context(this) != null) {
      ctx.pipeline().remove(this);
    }
  }

  /**
   * "tls" when the bytes start a TLS handshake record (content type 22, version 3.x),
   * "raw_buffer" otherwise, {@link #UNDECIDED} when more are needed.
   */
  static String detectTransport(ByteBuf in) {
    int start = in.readerIndex();
    int n = in.readableBytes();
    if (n == 0) {
      return UNDECIDED;
    }
    if (in.getByte(start) != 0x16) {
      return "raw_buffer";
    }
    if (n < 3) {
      return UNDECIDED;
    }
    return in.getByte(start + 1) == 0x03 && in.getByte(start + 2) <= 0x04 ? "tls" : "raw_buffer";
  }

  /** The protocol of the bytes seen so far, {@link #UNDECIDED} when more are needed. */
  static String detect(ByteBuf in) {
    int start = in.readerIndex();
    int n = in.readableBytes();
    if (n == 0) {
      return UNDECIDED;
    }
    boolean prefacePrefix = true;
    for (int i = 0; i < Math.min(n, H2_PREFACE.length); i++) {
      if (in.getByte(start + i) != H2_PREFACE[i]) {
        prefacePrefix = false;
        break;
      }
    }
    if (prefacePrefix) {
      return n >= H2_PREFACE.length ? "h2c" : UNDECIDED;
    }
    // HTTP/1: method token, SP, target, SP, "HTTP/1.x", CRLF.
    int i = 0;
    int limit = Math.min(n, MAX_INSPECT);
    while (i < limit && isTokenChar(in.getByte(start + i))) {
      i++;
    }
    if (i == limit) {
      return n >= MAX_INSPECT ? null : UNDECIDED;
    }
    if (i == 0 || in.getByte(start + i) != ' ') {
      return null;
    }
    for (int j = i + 1; j < limit; j++) {
      byte b = in.getByte(start + j);
      if (b == '\n') {
        int end = j > 0 && in.getByte(start + j - 1) == '\r' ? j - 1 : j;
        if (end - 8 < i) {
          return null;
        }
        String version = in.toString(start + end - 8, 8, StandardCharsets.US_ASCII);
        return switch (version) {
          case "HTTP/1.1" -> "http/1.1";
          case "HTTP/1.0" -> "http/1.0";
          default -> null;
        };
      }
      if (b == 0) {
        return null;
      }
    }
    return n >= MAX_INSPECT ? null : UNDECIDED;
  }

  private static boolean isTokenChar(byte b) {
    return b >= 'A' && b <= 'Z' || b >= 'a' && b <= 'z' || b >= '0' && b <= '9' || b == '-' || b == '_'
        || b == '!' || b == '#' || b == '$' || b == '%' || b == '&' || b == '\'' || b == '*' || b == '+'
        || b == '.' || b == '^' || b == '`' || b == '|' || b == '~';
  }
}

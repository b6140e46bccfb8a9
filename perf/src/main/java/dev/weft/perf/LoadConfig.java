package dev.weft.perf;

import java.net.URI;
import java.time.Duration;
import java.util.Objects;

/**
 * Immutable description of one load run. Every run is bounded both in time ({@link #warmup()} +
 * {@link #duration()}, plus at most one {@link #requestTimeout()} to drain) and in count
 * ({@link #maxRequests()}).
 *
 * <pre>{@code
 * LoadConfig config = LoadConfig.builder(URI.create("http://127.0.0.1:8080/"))
 *     .protocol(Protocol.H2C)
 *     .connections(8)
 *     .streamsPerConnection(16)
 *     .rate(0)                          // closed loop: as fast as responses come back
 *     .duration(Duration.ofSeconds(5))
 *     .build();
 * }</pre>
 *
 * @param host                 target host name or address (connected to as given)
 * @param port                 target TCP port
 * @param path                 request path; for gRPC the full method path
 * @param authority            value of the {@code Host} header (HTTP/1.1) or {@code :authority} (HTTP/2)
 * @param protocol             wire protocol
 * @param connections          number of connections, at least 1
 * @param streamsPerConnection concurrent requests per connection in closed loop and the cap on
 *                             concurrent streams in open loop (HTTP/2 only; HTTP/1.1 always uses 1)
 * @param rate                 total requests per second spread evenly over all connections, or 0
 *                             for closed loop (each connection sends the next request when a
 *                             previous one completes)
 * @param duration             length of the measured window
 * @param warmup               time before the measured window; requests intended for it are sent
 *                             but not recorded
 * @param payloadSize          request body size in bytes; 0 sends GET (gRPC always sends a
 *                             message, of this many payload bytes)
 * @param maxRequests          hard bound on requests issued over the whole run, warm-up included
 * @param requestTimeout       per-request timeout, measured from the intended send time
 * @param reconnectDelay       wait before reconnecting after a failed connection attempt
 * @param ioThreads            event loop threads used by the generator
 * @param preferNativeTransport use native epoll when available (otherwise NIO)
 */
public record LoadConfig(
    String host,
    int port,
    String path,
    String authority,
    Protocol protocol,
    int connections,
    int streamsPerConnection,
    double rate,
    Duration duration,
    Duration warmup,
    int payloadSize,
    long maxRequests,
    Duration requestTimeout,
    Duration reconnectDelay,
    int ioThreads,
    boolean preferNativeTransport) {

  /** gRPC method called when the target URL names no path. */
  public static final String DEFAULT_GRPC_METHOD = "/weft.bench.Echo/Call";
  /** Default number of connections. */
  public static final int DEFAULT_CONNECTIONS = 8;
  /** Default concurrent streams per HTTP/2 connection. */
  public static final int DEFAULT_STREAMS = 1;
  /** Default measured duration. */
  public static final Duration DEFAULT_DURATION = Duration.ofSeconds(10);
  /** Default per-request timeout. */
  public static final Duration DEFAULT_REQUEST_TIMEOUT = Duration.ofSeconds(5);
  /** Default delay before a failed connection is attempted again. */
  public static final Duration DEFAULT_RECONNECT_DELAY = Duration.ofMillis(100);
  /** Default hard bound on the number of requests in one run. */
  public static final long DEFAULT_MAX_REQUESTS = 100_000_000L;
  /** Upper bound on the total run time ({@code warmup + duration}). */
  public static final Duration MAX_RUN_TIME = Duration.ofHours(1);
  /** Upper bound on the request payload size. */
  public static final int MAX_PAYLOAD_SIZE = 16 * 1024 * 1024;

  /** Validates every field; messages name the field, the value and what was expected. */
  public LoadConfig {
    Objects.requireNonNull(host, "host");
    Objects.requireNonNull(path, "path");
    Objects.requireNonNull(authority, "authority");
    Objects.requireNonNull(protocol, "protocol");
    Objects.requireNonNull(duration, "duration");
    Objects.requireNonNull(warmup, "warmup");
    Objects.requireNonNull(requestTimeout, "requestTimeout");
    Objects.requireNonNull(reconnectDelay, "reconnectDelay");
    if (host.isBlank()) {
      throw new IllegalArgumentException("host: '" + host + "' (expected: a host name or address)");
    }
    check(port >= 1 && port <= 65535, "port", port, "1..65535");
    check(path.startsWith("/"), "path", "'" + path + "'", "an absolute path starting with '/'");
    check(connections >= 1 && connections <= 100_000, "connections", connections, "1..100000");
    check(streamsPerConnection >= 1 && streamsPerConnection <= 10_000,
        "streamsPerConnection", streamsPerConnection, "1..10000");
    check(rate >= 0 && Double.isFinite(rate), "rate", rate, ">= 0 (0 = closed loop)");
    check(rate == 0 || rate >= 0.001, "rate", rate, "0 or >= 0.001");
    check(duration.isPositive(), "duration", duration, "> 0");
    check(!warmup.isNegative(), "warmup", warmup, ">= 0");
    check(duration.plus(warmup).compareTo(MAX_RUN_TIME) <= 0,
        "warmup + duration", duration.plus(warmup), "<= " + MAX_RUN_TIME);
    check(payloadSize >= 0 && payloadSize <= MAX_PAYLOAD_SIZE, "payloadSize", payloadSize,
        "0.." + MAX_PAYLOAD_SIZE);
    check(maxRequests >= 1, "maxRequests", maxRequests, ">= 1");
    check(requestTimeout.isPositive() && requestTimeout.compareTo(Duration.ofMinutes(10)) <= 0,
        "requestTimeout", requestTimeout, "> 0 and <= PT10M");
    check(!reconnectDelay.isNegative(), "reconnectDelay", reconnectDelay, ">= 0");
    check(ioThreads >= 1 && ioThreads <= 1024, "ioThreads", ioThreads, "1..1024");
  }

  private static void check(boolean ok, String field, Object value, String expected) {
    if (!ok) {
      throw new IllegalArgumentException(field + ": " + value + " (expected: " + expected + ")");
    }
  }

  /** Whether the run is closed loop (no target rate). */
  public boolean closedLoop() {
    return rate == 0;
  }

  /** Concurrent requests allowed on one connection: 1 for HTTP/1.1, the stream limit otherwise. */
  public int concurrencyPerConnection() {
    return protocol.isHttp2() ? streamsPerConnection : 1;
  }

  /** Starts a builder for an {@code http://host[:port][/path]} target. */
  public static Builder builder(URI target) {
    return new Builder(target);
  }

  /** Starts a builder for a host and port; the path defaults to {@code /}. */
  public static Builder builder(String host, int port) {
    return new Builder(URI.create("http://" + (host.contains(":") ? "[" + host + "]" : host) + ":" + port + "/"));
  }

  /** Builder for {@link LoadConfig}; every setting has a documented default. */
  public static final class Builder {
    private String host;
    private int port;
    private String path;
    private String authority;
    private boolean pathFromUrl;
    private Protocol protocol = Protocol.H1;
    private int connections = DEFAULT_CONNECTIONS;
    private int streams = DEFAULT_STREAMS;
    private double rate;
    private Duration duration = DEFAULT_DURATION;
    private Duration warmup = Duration.ZERO;
    private int payloadSize;
    private long maxRequests = DEFAULT_MAX_REQUESTS;
    private Duration requestTimeout = DEFAULT_REQUEST_TIMEOUT;
    private Duration reconnectDelay = DEFAULT_RECONNECT_DELAY;
    private int ioThreads;
    private boolean preferNative = true;

    private Builder(URI target) {
      if (!"http".equalsIgnoreCase(target.getScheme())) {
        throw new IllegalArgumentException(
            "url: '" + target + "' (expected: an http:// URL; TLS is not supported by the generator)");
      }
      if (target.getHost() == null) {
        throw new IllegalArgumentException("url: '" + target + "' (expected: a host)");
      }
      String h = target.getHost();
      this.host = h.startsWith("[") && h.endsWith("]") ? h.substring(1, h.length() - 1) : h;
      this.port = target.getPort() == -1 ? 80 : target.getPort();
      String rawPath = target.getRawPath();
      this.pathFromUrl = rawPath != null && !rawPath.isEmpty() && !rawPath.equals("/");
      String query = target.getRawQuery();
      this.path = (rawPath == null || rawPath.isEmpty() ? "/" : rawPath) + (query == null ? "" : "?" + query);
      this.authority = target.getPort() == -1 ? target.getHost() : target.getHost() + ":" + port;
    }

    /** Request path; defaults to the URL's path, or {@link #DEFAULT_GRPC_METHOD} for gRPC. */
    public Builder path(String path) {
      this.path = path;
      this.pathFromUrl = true;
      return this;
    }

    /** {@code Host} / {@code :authority} value; defaults to the URL's host and port. */
    public Builder authority(String authority) {
      this.authority = authority;
      return this;
    }

    /** Wire protocol; default {@link Protocol#H1}. */
    public Builder protocol(Protocol protocol) {
      this.protocol = protocol;
      return this;
    }

    /** Number of connections; default {@value LoadConfig#DEFAULT_CONNECTIONS}. */
    public Builder connections(int connections) {
      this.connections = connections;
      return this;
    }

    /** Concurrent HTTP/2 streams per connection; default {@value LoadConfig#DEFAULT_STREAMS}. */
    public Builder streamsPerConnection(int streams) {
      this.streams = streams;
      return this;
    }

    /** Total requests per second; 0 (the default) runs closed loop. */
    public Builder rate(double rate) {
      this.rate = rate;
      return this;
    }

    /** Measured duration; default 10 s. */
    public Builder duration(Duration duration) {
      this.duration = duration;
      return this;
    }

    /** Warm-up before the measured window; default none. */
    public Builder warmup(Duration warmup) {
      this.warmup = warmup;
      return this;
    }

    /** Request body size in bytes; default 0 (GET). */
    public Builder payloadSize(int payloadSize) {
      this.payloadSize = payloadSize;
      return this;
    }

    /** Hard bound on requests issued; default {@value LoadConfig#DEFAULT_MAX_REQUESTS}. */
    public Builder maxRequests(long maxRequests) {
      this.maxRequests = maxRequests;
      return this;
    }

    /** Per-request timeout from the intended send time; default 5 s. */
    public Builder requestTimeout(Duration requestTimeout) {
      this.requestTimeout = requestTimeout;
      return this;
    }

    /** Delay before retrying a failed connection; default 100 ms. */
    public Builder reconnectDelay(Duration reconnectDelay) {
      this.reconnectDelay = reconnectDelay;
      return this;
    }

    /** Event loop threads; default {@code min(connections, available processors)}. */
    public Builder ioThreads(int ioThreads) {
      this.ioThreads = ioThreads;
      return this;
    }

    /** Whether to use native epoll when available; default true. */
    public Builder preferNativeTransport(boolean preferNative) {
      this.preferNative = preferNative;
      return this;
    }

    /** Validates and builds the configuration. */
    public LoadConfig build() {
      String effectivePath = protocol == Protocol.GRPC && !pathFromUrl ? DEFAULT_GRPC_METHOD : path;
      int threads = ioThreads > 0
          ? ioThreads
          : Math.max(1, Math.min(connections, Runtime.getRuntime().availableProcessors()));
      return new LoadConfig(host, port, effectivePath, authority, protocol, connections, streams,
          rate, duration, warmup, payloadSize, maxRequests, requestTimeout, reconnectDelay,
          threads, preferNative);
    }
  }
}

package dev.weft.proxy.metrics;

import io.micrometer.core.instrument.Counter;
import io.micrometer.core.instrument.Gauge;
import io.micrometer.core.instrument.Timer;
import io.micrometer.prometheusmetrics.PrometheusConfig;
import io.micrometer.prometheusmetrics.PrometheusMeterRegistry;
import java.time.Duration;
import java.util.concurrent.ConcurrentHashMap;
import java.util.concurrent.atomic.AtomicLong;

/**
 * The sidecar's meters. Meters are resolved once per listener or cluster and held in small
 * stats objects, so the request path only increments fields.
 *
 * <p>Names (Prometheus form): {@code weft_downstream_connections_active|total},
 * {@code weft_downstream_bytes_received|sent_total}, {@code weft_http_requests_total{cluster,code_class}},
 * {@code weft_http_request_duration_seconds}, {@code weft_http_local_replies_total{reason}},
 * {@code weft_upstream_connections_active|total}, {@code weft_upstream_connect_failures_total},
 * {@code weft_upstream_bytes_sent|received_total}.
 */
public final class ProxyMetrics {

  /** Request duration buckets, as Istio's: 0.5 ms to 5 min. */
  private static final Duration[] DURATION_BUCKETS = {
      Duration.ofMillis(1), Duration.ofMillis(5), Duration.ofMillis(10), Duration.ofMillis(25),
      Duration.ofMillis(50), Duration.ofMillis(100), Duration.ofMillis(250), Duration.ofMillis(500),
      Duration.ofSeconds(1), Duration.ofMillis(2500), Duration.ofSeconds(5), Duration.ofSeconds(10),
      Duration.ofSeconds(30), Duration.ofMinutes(1), Duration.ofMinutes(5)};

  private final PrometheusMeterRegistry registry = new PrometheusMeterRegistry(PrometheusConfig.DEFAULT);
  private final ConcurrentHashMap<String, ListenerStats> listeners = new ConcurrentHashMap<>();
  private final ConcurrentHashMap<String, ClusterStats> clusters = new ConcurrentHashMap<>();
  private final ConcurrentHashMap<String, Counter> localReplies = new ConcurrentHashMap<>();
  private final ConcurrentHashMap<String, Counter> rbacDenials = new ConcurrentHashMap<>();
  private final ConcurrentHashMap<String, RetryStats> retryStats = new ConcurrentHashMap<>();
  private final ConcurrentHashMap<String, FaultStats> faultStats = new ConcurrentHashMap<>();

  public PrometheusMeterRegistry registry() {
    return registry;
  }

  public String scrape() {
    return registry.scrape();
  }

  public ListenerStats listener(String name) {
    return listeners.computeIfAbsent(name, ListenerStats::new);
  }

  public ClusterStats cluster(String name) {
    return clusters.computeIfAbsent(name, ClusterStats::new);
  }

  /** A cluster's retry and timeout meters. */
  public RetryStats retries(String cluster) {
    return retryStats.computeIfAbsent(cluster, c -> new RetryStats(registry, c));
  }

  /** A listener's fault filter meters. */
  public FaultStats faults(String listener) {
    return faultStats.computeIfAbsent(listener, l -> new FaultStats(registry, l));
  }

  /** Counts a reply the proxy made itself (an error), by listener and reason. */
  public void localReply(String listener, String reason) {
    localReplies.computeIfAbsent(listener + '\0' + reason, k -> Counter.builder("weft.http.local.replies")
        .description("Responses the proxy generated itself, by reason")
        .tag("listener", listener).tag("reason", reason).register(registry)).increment();
  }

  /**
   * Counts a request or connection denied by an RBAC filter, by listener and filter (its stat
   * prefix, or its name for HTTP). Denied HTTP requests are also counted as local replies.
   */
  public void rbacDenied(String listener, String filter) {
    rbacDenials.computeIfAbsent(listener + '\0' + filter, k -> Counter.builder("weft.rbac.denied")
        .description("Requests and connections denied by RBAC filters")
        .tag("listener", listener).tag("filter", filter).register(registry)).increment();
  }

  /** Per-listener connection and byte counters. */
  public final class ListenerStats {
    public final AtomicLong activeConnections = new AtomicLong();
    public final Counter totalConnections;
    public final Counter bytesReceived;
    public final Counter bytesSent;

    ListenerStats(String name) {
      Gauge.builder("weft.downstream.connections.active", activeConnections, AtomicLong::get)
          .description("Open downstream connections").tag("listener", name).register(registry);
      totalConnections = Counter.builder("weft.downstream.connections").description("Accepted downstream connections")
          .tag("listener", name).register(registry);
      bytesReceived = Counter.builder("weft.downstream.bytes.received").description("Bytes read from downstream")
          .tag("listener", name).register(registry);
      bytesSent = Counter.builder("weft.downstream.bytes.sent").description("Bytes written to downstream")
          .tag("listener", name).register(registry);
    }
  }

  /** Per-cluster request and connection meters. */
  public final class ClusterStats {
    private final Counter[] requestsByClass = new Counter[6];
    public final Timer requestDuration;
    public final AtomicLong activeConnections = new AtomicLong();
    public final Counter totalConnections;
    public final Counter connectFailures;
    public final Counter tlsFailures;
    public final Counter bytesSent;
    public final Counter bytesReceived;

    ClusterStats(String name) {
      for (int i = 1; i <= 5; i++) {
        requestsByClass[i] = Counter.builder("weft.http.requests").description("HTTP requests by response code class")
            .tag("cluster", name).tag("code_class", i + "xx").register(registry);
      }
      requestDuration = Timer.builder("weft.http.request.duration").description("Request duration")
          .tag("cluster", name).serviceLevelObjectives(DURATION_BUCKETS).register(registry);
      Gauge.builder("weft.upstream.connections.active", activeConnections, AtomicLong::get)
          .tag("cluster", name).register(registry);
      totalConnections = Counter.builder("weft.upstream.connections").tag("cluster", name).register(registry);
      tlsFailures = Counter.builder("weft.upstream.tls.handshake.failures")
          .description("Upstream TLS handshakes that failed (untrusted or unexpected server, protocol error)")
          .tag("cluster", name).register(registry);
      connectFailures = Counter.builder("weft.upstream.connect.failures").tag("cluster", name).register(registry);
      bytesSent = Counter.builder("weft.upstream.bytes.sent").description("Bytes written to upstream")
          .tag("cluster", name).register(registry);
      bytesReceived = Counter.builder("weft.upstream.bytes.received").description("Bytes read from upstream")
          .tag("cluster", name).register(registry);
    }

    public void request(int status, long nanos) {
      int cls = status / 100;
      if (cls >= 1 && cls <= 5) {
        requestsByClass[cls].increment();
      }
      requestDuration.record(nanos, java.util.concurrent.TimeUnit.NANOSECONDS);
    }
  }
}

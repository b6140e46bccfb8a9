package dev.weft.proxy.bootstrap;

import com.google.protobuf.UInt32Value;
import dev.weft.proxy.config.CircuitBreakers;
import dev.weft.proxy.config.HealthCheckConfig;
import dev.weft.proxy.config.OutlierDetectionConfig;
import io.envoyproxy.envoy.config.cluster.v3.Cluster;
import io.envoyproxy.envoy.config.cluster.v3.OutlierDetection;
import io.envoyproxy.envoy.config.core.v3.HealthCheck;
import io.envoyproxy.envoy.config.core.v3.RoutingPriority;
import io.envoyproxy.envoy.type.v3.CodecClientType;
import io.envoyproxy.envoy.type.v3.Int64Range;
import java.time.Duration;
import java.util.ArrayList;
import java.util.HexFormat;
import java.util.List;

/**
 * Translates a cluster's {@code circuit_breakers}, {@code outlier_detection} and
 * {@code health_checks} with Envoy's defaults and bounds, reporting each bad value with its
 * field path.
 */
final class ClusterHealthTranslator {
  private static final Duration DEFAULT_NO_TRAFFIC_INTERVAL = Duration.ofSeconds(60);

  private final TlsTranslator.Errors errors;

  ClusterHealthTranslator(TlsTranslator.Errors errors) {
    this.errors = errors;
  }

  private void error(String path, String message) {
    errors.error(path, message);
  }

  // ---- circuit breakers

  CircuitBreakers circuitBreakers(Cluster c, String path) {
    if (!c.hasCircuitBreakers()) {
      return CircuitBreakers.DEFAULTS;
    }
    CircuitBreakers.Thresholds defaults = CircuitBreakers.Thresholds.DEFAULTS;
    CircuitBreakers.Thresholds high = CircuitBreakers.Thresholds.DEFAULTS;
    boolean seenDefault = false;
    boolean seenHigh = false;
    var list = c.getCircuitBreakers().getThresholdsList();
    for (int i = 0; i < list.size(); i++) {
      var t = list.get(i);
      String tp = path + ".circuit_breakers.thresholds[" + i + "]";
      CircuitBreakers.Thresholds d = CircuitBreakers.Thresholds.DEFAULTS;
      CircuitBreakers.Thresholds parsed = new CircuitBreakers.Thresholds(
          limit(t.hasMaxConnections(), t.getMaxConnections(), d.maxConnections()),
          limit(t.hasMaxPendingRequests(), t.getMaxPendingRequests(), d.maxPendingRequests()),
          limit(t.hasMaxRequests(), t.getMaxRequests(), d.maxRequests()),
          limit(t.hasMaxRetries(), t.getMaxRetries(), d.maxRetries()));
      if (t.getPriority() == RoutingPriority.DEFAULT) {
        if (seenDefault) {
          error(tp + ".priority", "DEFAULT appears twice (expected: one thresholds entry per priority)");
        }
        seenDefault = true;
        defaults = parsed;
      } else if (t.getPriority() == RoutingPriority.HIGH) {
        if (seenHigh) {
          error(tp + ".priority", "HIGH appears twice (expected: one thresholds entry per priority)");
        }
        seenHigh = true;
        high = parsed;
      } else {
        error(tp + ".priority", t.getPriority() + " (expected: DEFAULT or HIGH)");
      }
    }
    return new CircuitBreakers(defaults, high);
  }

  /** A threshold: Envoy's uint32, capped at Integer.MAX_VALUE (no cluster gets near either). */
  private static int limit(boolean set, UInt32Value v, int dflt) {
    if (!set) {
      return dflt;
    }
    return (int) Math.min(Integer.MAX_VALUE, Integer.toUnsignedLong(v.getValue()));
  }

  // ---- outlier detection

  OutlierDetectionConfig outlierDetection(Cluster c, String path) {
    if (!c.hasOutlierDetection()) {
      return null;
    }
    OutlierDetection o = c.getOutlierDetection();
    OutlierDetectionConfig d = OutlierDetectionConfig.DEFAULTS;
    String p = path + ".outlier_detection";
    if (o.hasAlwaysEjectOneHost() || !o.getMonitorsList().isEmpty()) {
      error(p, "always_eject_one_host and monitors are not supported");
    }
    Duration interval = positive(o.hasInterval(), o.getInterval(), d.interval(), p + ".interval");
    Duration base = positive(o.hasBaseEjectionTime(), o.getBaseEjectionTime(), d.baseEjectionTime(),
        p + ".base_ejection_time");
    Duration max = positive(o.hasMaxEjectionTime(), o.getMaxEjectionTime(), d.maxEjectionTime(),
        p + ".max_ejection_time");
    if (max.compareTo(base) < 0 && o.hasMaxEjectionTime()) {
      error(p + ".max_ejection_time", max + " (expected: >= base_ejection_time " + base + ")");
    }
    Duration jitter = o.hasMaxEjectionTimeJitter() ? ConfigTranslator.duration(o.getMaxEjectionTimeJitter())
        : d.maxEjectionTimeJitter();
    if (jitter.isNegative()) {
      error(p + ".max_ejection_time_jitter", jitter + " (expected: >= 0)");
    }
    return new OutlierDetectionConfig(
        count(o.hasConsecutive5Xx(), o.getConsecutive5Xx(), d.consecutive5xx()),
        count(o.hasConsecutiveGatewayFailure(), o.getConsecutiveGatewayFailure(), d.consecutiveGatewayFailure()),
        count(o.hasConsecutiveLocalOriginFailure(), o.getConsecutiveLocalOriginFailure(),
            d.consecutiveLocalOriginFailure()),
        o.getSplitExternalLocalOriginErrors(),
        interval, base, max, jitter,
        percent(o.hasMaxEjectionPercent(), o.getMaxEjectionPercent(), d.maxEjectionPercent(),
            p + ".max_ejection_percent"),
        percent(o.hasEnforcingConsecutive5Xx(), o.getEnforcingConsecutive5Xx(), d.enforcingConsecutive5xx(),
            p + ".enforcing_consecutive_5xx"),
        percent(o.hasEnforcingConsecutiveGatewayFailure(), o.getEnforcingConsecutiveGatewayFailure(),
            d.enforcingConsecutiveGatewayFailure(), p + ".enforcing_consecutive_gateway_failure"),
        percent(o.hasEnforcingConsecutiveLocalOriginFailure(), o.getEnforcingConsecutiveLocalOriginFailure(),
            d.enforcingConsecutiveLocalOriginFailure(), p + ".enforcing_consecutive_local_origin_failure"),
        percent(o.hasEnforcingSuccessRate(), o.getEnforcingSuccessRate(), d.enforcingSuccessRate(),
            p + ".enforcing_success_rate"),
        percent(o.hasEnforcingLocalOriginSuccessRate(), o.getEnforcingLocalOriginSuccessRate(),
            d.enforcingLocalOriginSuccessRate(), p + ".enforcing_local_origin_success_rate"),
        count(o.hasSuccessRateMinimumHosts(), o.getSuccessRateMinimumHosts(), d.successRateMinimumHosts()),
        count(o.hasSuccessRateRequestVolume(), o.getSuccessRateRequestVolume(), d.successRateRequestVolume()),
        count(o.hasSuccessRateStdevFactor(), o.getSuccessRateStdevFactor(), d.successRateStdevFactor()),
        percent(o.hasFailurePercentageThreshold(), o.getFailurePercentageThreshold(),
            d.failurePercentageThreshold(), p + ".failure_percentage_threshold"),
        percent(o.hasEnforcingFailurePercentage(), o.getEnforcingFailurePercentage(),
            d.enforcingFailurePercentage(), p + ".enforcing_failure_percentage"),
        percent(o.hasEnforcingFailurePercentageLocalOrigin(), o.getEnforcingFailurePercentageLocalOrigin(),
            d.enforcingFailurePercentageLocalOrigin(), p + ".enforcing_failure_percentage_local_origin"),
        count(o.hasFailurePercentageMinimumHosts(), o.getFailurePercentageMinimumHosts(),
            d.failurePercentageMinimumHosts()),
        count(o.hasFailurePercentageRequestVolume(), o.getFailurePercentageRequestVolume(),
            d.failurePercentageRequestVolume()),
        !o.hasSuccessfulActiveHealthCheckUnejectHost() || o.getSuccessfulActiveHealthCheckUnejectHost().getValue());
  }

  private static int count(boolean set, UInt32Value v, int dflt) {
    return set ? (int) Math.min(Integer.MAX_VALUE, Integer.toUnsignedLong(v.getValue())) : dflt;
  }

  private int percent(boolean set, UInt32Value v, int dflt, String path) {
    if (!set) {
      return dflt;
    }
    long value = Integer.toUnsignedLong(v.getValue());
    if (value > 100) {
      error(path, value + " (expected: 0 to 100)");
      return dflt;
    }
    return (int) value;
  }

  private Duration positive(boolean set, com.google.protobuf.Duration v, Duration dflt, String path) {
    if (!set) {
      return dflt;
    }
    Duration d = ConfigTranslator.duration(v);
    if (d.isZero() || d.isNegative()) {
      error(path, d + " (expected: > 0)");
      return dflt;
    }
    return d;
  }

  // ---- active health checks

  HealthCheckConfig healthCheck(Cluster c, String path) {
    if (c.getHealthChecksCount() == 0) {
      return null;
    }
    if (c.getHealthChecksCount() > 1) {
      error(path + ".health_checks", c.getHealthChecksCount() + " health checks (expected: at most 1, as Envoy)");
    }
    HealthCheck h = c.getHealthChecks(0);
    String p = path + ".health_checks[0]";
    Duration timeout = required(h.hasTimeout(), h.getTimeout(), p + ".timeout");
    Duration interval = required(h.hasInterval(), h.getInterval(), p + ".interval");
    Duration noTraffic = positive(h.hasNoTrafficInterval(), h.getNoTrafficInterval(), DEFAULT_NO_TRAFFIC_INTERVAL,
        p + ".no_traffic_interval");
    Duration intervalJitter = nonNegative(h.hasIntervalJitter(), h.getIntervalJitter(), p + ".interval_jitter");
    Duration initialJitter = nonNegative(h.hasInitialJitter(), h.getInitialJitter(), p + ".initial_jitter");
    int unhealthy = threshold(h.hasUnhealthyThreshold(), h.getUnhealthyThreshold(), p + ".unhealthy_threshold");
    int healthy = threshold(h.hasHealthyThreshold(), h.getHealthyThreshold(), p + ".healthy_threshold");
    HealthCheckConfig.Check check = switch (h.getHealthCheckerCase()) {
      case HTTP_HEALTH_CHECK -> http(h.getHttpHealthCheck(), c.getName(), p + ".http_health_check");
      case TCP_HEALTH_CHECK -> tcp(h.getTcpHealthCheck(), p + ".tcp_health_check");
      case HEALTHCHECKER_NOT_SET -> {
        error(p, "http_health_check or tcp_health_check is required");
        yield null;
      }
      default -> {
        error(p, h.getHealthCheckerCase().name().toLowerCase(java.util.Locale.ROOT)
            + " is not supported (expected: http_health_check or tcp_health_check)");
        yield null;
      }
    };
    if (check == null) {
      return null;
    }
    return new HealthCheckConfig(timeout, interval, intervalJitter, initialJitter, noTraffic, unhealthy, healthy,
        check);
  }

  private HealthCheckConfig.Check http(HealthCheck.HttpHealthCheck http, String clusterName, String p) {
    if (http.getCodecClientType() != CodecClientType.HTTP1) {
      error(p + ".codec_client_type", http.getCodecClientType() + " (expected: HTTP1)");
    }
    String path = http.getPath();
    if (path.isEmpty() || path.charAt(0) != '/' || path.chars().anyMatch(ch -> ch <= ' ' || ch == 0x7f)) {
      error(p + ".path", "'" + path + "' (expected: an absolute path starting with '/')");
    }
    String host = http.getHost().isEmpty() ? clusterName : http.getHost();
    List<HealthCheckConfig.StatusRange> ranges = new ArrayList<>();
    for (int i = 0; i < http.getExpectedStatusesCount(); i++) {
      Int64Range r = http.getExpectedStatuses(i);
      if (r.getStart() < 100 || r.getStart() >= 600 || r.getEnd() <= r.getStart() || r.getEnd() > 600) {
        error(p + ".expected_statuses[" + i + "]", "[" + r.getStart() + ", " + r.getEnd()
            + ") (expected: start in [100, 600), start < end <= 600)");
        continue;
      }
      ranges.add(new HealthCheckConfig.StatusRange((int) r.getStart(), (int) r.getEnd()));
    }
    if (http.getExpectedStatusesCount() == 0) {
      ranges.add(new HealthCheckConfig.StatusRange(200, 201));
    }
    return new HealthCheckConfig.Http(path, host, ranges);
  }

  private HealthCheckConfig.Check tcp(HealthCheck.TcpHealthCheck tcp, String p) {
    byte[] send = tcp.hasSend() ? payload(tcp.getSend(), p + ".send") : new byte[0];
    List<byte[]> receive = new ArrayList<>();
    for (int i = 0; i < tcp.getReceiveCount(); i++) {
      receive.add(payload(tcp.getReceive(i), p + ".receive[" + i + "]"));
    }
    return new HealthCheckConfig.Tcp(send, receive);
  }

  private byte[] payload(HealthCheck.Payload payload, String p) {
    return switch (payload.getPayloadCase()) {
      case TEXT -> {
        try {
          yield HexFormat.of().parseHex(payload.getText());
        } catch (IllegalArgumentException e) {
          error(p + ".text", "'" + payload.getText() + "' (expected: hex digits, two per byte)");
          yield new byte[0];
        }
      }
      case BINARY -> payload.getBinary().toByteArray();
      default -> {
        error(p, "text or binary is required");
        yield new byte[0];
      }
    };
  }

  private Duration required(boolean set, com.google.protobuf.Duration v, String path) {
    if (!set) {
      error(path, "is required");
      return Duration.ofSeconds(1);
    }
    return positive(true, v, Duration.ofSeconds(1), path);
  }

  private Duration nonNegative(boolean set, com.google.protobuf.Duration v, String path) {
    Duration d = set ? ConfigTranslator.duration(v) : Duration.ZERO;
    if (d.isNegative()) {
      error(path, d + " (expected: >= 0)");
      return Duration.ZERO;
    }
    return d;
  }

  private int threshold(boolean set, UInt32Value v, String path) {
    if (!set) {
      error(path, "is required");
      return 1;
    }
    if (v.getValue() == 0) {
      // Envoy accepts 0 but behaves as 1; say so rather than guess.
      error(path, "0 (expected: >= 1)");
      return 1;
    }
    return count(true, v, 1);
  }
}

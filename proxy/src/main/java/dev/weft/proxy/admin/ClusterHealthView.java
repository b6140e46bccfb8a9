package dev.weft.proxy.admin;

import dev.weft.proxy.config.CircuitBreakers;
import dev.weft.proxy.upstream.ClusterRuntime;
import dev.weft.proxy.upstream.EndpointState;
import dev.weft.proxy.upstream.health.OutlierDetector;

/**
 * The circuit-breaker, outlier and health parts of {@code /clusters}, in Envoy's shapes: text
 * lines {@code cluster::default_priority::max_connections::1024},
 * {@code cluster::outlier::success_rate_ejection_threshold::-1}, and per host
 * {@code cluster::ip:port::health_flags::/failed_active_hc/failed_outlier_check} (or
 * {@code healthy}); in JSON, {@code circuit_breakers.thresholds} per cluster and
 * {@code health_status.failed_active_health_check} / {@code failed_outlier_check} per host.
 */
final class ClusterHealthView {
  private ClusterHealthView() {}

  static void clusterText(ClusterRuntime c, StringBuilder sb) {
    CircuitBreakers cb = c.config().circuitBreakers();
    thresholdsText(c.name() + "::default_priority::", cb.defaults(), sb);
    thresholdsText(c.name() + "::high_priority::", cb.high(), sb);
    OutlierDetector od = c.outlierDetector();
    sb.append(c.name()).append("::outlier::success_rate_average::").append(od == null ? -1 : od.successRateAverage())
        .append('\n');
    sb.append(c.name()).append("::outlier::success_rate_ejection_threshold::")
        .append(od == null ? -1 : od.successRateEjectionThreshold()).append('\n');
  }

  private static void thresholdsText(String p, CircuitBreakers.Thresholds t, StringBuilder sb) {
    sb.append(p).append("max_connections::").append(t.maxConnections()).append('\n');
    sb.append(p).append("max_pending_requests::").append(t.maxPendingRequests()).append('\n');
    sb.append(p).append("max_requests::").append(t.maxRequests()).append('\n');
    sb.append(p).append("max_retries::").append(t.maxRetries()).append('\n');
  }

  static void hostText(ClusterRuntime c, EndpointState e, String p, StringBuilder sb) {
    sb.append(p).append("health_flags::").append(flags(c, e)).append('\n');
    sb.append(p).append("success_rate::").append(e.health.successRate()).append('\n');
    sb.append(p).append("local_origin_success_rate::").append(e.health.localOriginSuccessRate()).append('\n');
  }

  /** Envoy's health flags string: "healthy", or "/flag/flag". */
  static String flags(ClusterRuntime c, EndpointState e) {
    StringBuilder f = new StringBuilder();
    if (e.failedActiveHealthCheck) {
      f.append("/failed_active_hc");
    }
    if (e.ejected) {
      f.append("/failed_outlier_check");
    }
    if (c.healthChecker() != null && e.health.pendingFirstCheck()) {
      f.append("/pending_active_hc");
    }
    if (!e.config().edsHealthy()) {
      f.append("/failed_eds_health");
    }
    return f.isEmpty() ? "healthy" : f.toString();
  }

  static void clusterJson(ClusterRuntime c, StringBuilder sb) {
    CircuitBreakers cb = c.config().circuitBreakers();
    sb.append("\"circuit_breakers\":{\"thresholds\":[");
    thresholdsJson(null, cb.defaults(), sb);
    sb.append(',');
    thresholdsJson("HIGH", cb.high(), sb);
    sb.append("]},");
    OutlierDetector od = c.outlierDetector();
    if (od != null && od.successRateEjectionThreshold() >= 0) {
      sb.append("\"success_rate_ejection_threshold\":{\"value\":").append(od.successRateEjectionThreshold())
          .append("},");
    }
  }

  private static void thresholdsJson(String priority, CircuitBreakers.Thresholds t, StringBuilder sb) {
    sb.append('{');
    if (priority != null) {
      sb.append("\"priority\":\"").append(priority).append("\",");
    }
    sb.append("\"max_connections\":").append(t.maxConnections())
        .append(",\"max_pending_requests\":").append(t.maxPendingRequests())
        .append(",\"max_requests\":").append(t.maxRequests())
        .append(",\"max_retries\":").append(t.maxRetries()).append('}');
  }

  /** The control plane's health status of an endpoint as Envoy names it (unset shows as HEALTHY). */
  static String edsStatus(EndpointState e) {
    var status = e.config().healthStatus();
    return status == dev.weft.proxy.config.EndpointConfig.HealthStatus.UNKNOWN ? "HEALTHY" : status.name();
  }

  /** A host's {@code health_status} object (false flags omitted, as proto3 JSON does). */
  static void hostHealthJson(ClusterRuntime c, EndpointState e, StringBuilder sb) {
    sb.append('{');
    if (e.failedActiveHealthCheck) {
      sb.append("\"failed_active_health_check\":true,");
    }
    if (e.ejected) {
      sb.append("\"failed_outlier_check\":true,");
    }
    if (c.healthChecker() != null && e.health.pendingFirstCheck()) {
      sb.append("\"pending_active_hc\":true,");
    }
    sb.append("\"eds_health_status\":\"").append(edsStatus(e)).append("\"}");
    if (e.health.successRate() >= 0) {
      sb.append(",\"success_rate\":{\"value\":").append(e.health.successRate()).append('}');
    }
    if (e.health.localOriginSuccessRate() >= 0) {
      sb.append(",\"local_origin_success_rate\":{\"value\":").append(e.health.localOriginSuccessRate()).append('}');
    }
  }
}

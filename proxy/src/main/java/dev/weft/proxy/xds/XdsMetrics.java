package dev.weft.proxy.xds;

import io.micrometer.core.instrument.Counter;
import io.micrometer.core.instrument.Gauge;
import io.micrometer.core.instrument.MeterRegistry;
import java.util.Map;
import java.util.concurrent.ConcurrentHashMap;
import java.util.concurrent.atomic.AtomicInteger;

/**
 * The xDS client's meters, Envoy's {@code control_plane.connected_state} and
 * {@code <type>.update_success|update_rejected} in Weft's Prometheus naming:
 * {@code weft_control_plane_connected_state} (1 while an ADS stream is up),
 * {@code weft_control_plane_reconnects_total}, {@code weft_xds_update_success_total{type}} and
 * {@code weft_xds_update_rejected_total{type}} (type: lds, rds, cds, eds).
 */
public final class XdsMetrics {
  private final MeterRegistry registry;
  private final AtomicInteger connected = new AtomicInteger();
  private final Counter reconnects;
  private final Map<String, Counter> success = new ConcurrentHashMap<>();
  private final Map<String, Counter> rejected = new ConcurrentHashMap<>();

  public XdsMetrics(MeterRegistry registry) {
    this.registry = registry;
    Gauge.builder("weft.control_plane.connected_state", connected, AtomicInteger::get)
        .description("1 while the ADS stream to the control plane is up, else 0").register(registry);
    reconnects = Counter.builder("weft.control_plane.reconnects")
        .description("ADS streams opened again after a failure").register(registry);
  }

  void connected(boolean up) {
    connected.set(up ? 1 : 0);
  }

  public boolean connected() {
    return connected.get() == 1;
  }

  void reconnect() {
    reconnects.increment();
  }

  void accepted(String type) {
    success.computeIfAbsent(type, t -> Counter.builder("weft.xds.update.success").tag("type", t)
        .description("xDS responses accepted (ACKed), by resource type").register(registry)).increment();
  }

  void rejected(String type) {
    rejected.computeIfAbsent(type, t -> Counter.builder("weft.xds.update.rejected").tag("type", t)
        .description("xDS responses rejected (NACKed), by resource type").register(registry)).increment();
  }
}

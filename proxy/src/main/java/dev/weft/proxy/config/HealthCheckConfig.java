package dev.weft.proxy.config;

import java.time.Duration;
import java.util.List;

/**
 * Active health checking of a cluster's endpoints (Envoy's {@code health_checks}, one per
 * cluster as in Envoy).
 *
 * @param timeout            how long a check may take before it counts as failed
 * @param interval           time between checks of one endpoint
 * @param intervalJitter     up to this much random time added to each interval
 * @param initialJitter      up to this much random time before an endpoint's first check
 * @param noTrafficInterval  the interval while the cluster has not yet served a request
 *                           (Envoy's default 60 s)
 * @param unhealthyThreshold consecutive failures that make a healthy endpoint unhealthy
 * @param healthyThreshold   consecutive successes that make an unhealthy endpoint healthy (the
 *                           first check of a new endpoint needs only one, as in Envoy)
 * @param check              what a check does
 */
public record HealthCheckConfig(
    Duration timeout,
    Duration interval,
    Duration intervalJitter,
    Duration initialJitter,
    Duration noTrafficInterval,
    int unhealthyThreshold,
    int healthyThreshold,
    Check check) {

  /** What one check does. */
  public sealed interface Check permits Http, Tcp {}

  /**
   * An HTTP/1.1 GET; healthy when the status is in one of {@code expectedStatuses}.
   *
   * @param path             request path
   * @param host             Host header (Envoy uses the cluster name when unset)
   * @param expectedStatuses half-open ranges {@code [start, end)}; Envoy's default is 200 only
   */
  public record Http(String path, String host, List<StatusRange> expectedStatuses) implements Check {
    public Http {
      expectedStatuses = List.copyOf(expectedStatuses);
    }

    public boolean expected(int status) {
      for (StatusRange r : expectedStatuses) {
        if (status >= r.start() && status < r.end()) {
          return true;
        }
      }
      return false;
    }
  }

  /** Status codes {@code start} (inclusive) to {@code end} (exclusive). */
  public record StatusRange(int start, int end) {}

  /**
   * A TCP connect; with {@code send}, those bytes are written and the check passes once every
   * {@code receive} block has been read, in order (Envoy's fuzzy match). With nothing to send,
   * a successful connect passes.
   */
  public record Tcp(byte[] send, List<byte[]> receive) implements Check {
    public Tcp {
      receive = List.copyOf(receive);
    }
  }
}

package dev.weft.proxy.upstream.health;

import dev.weft.proxy.config.OutlierDetectionConfig;
import dev.weft.proxy.upstream.EndpointState;
import java.util.ArrayList;
import java.util.List;
import java.util.function.IntSupplier;
import java.util.function.LongSupplier;
import java.util.function.Supplier;

/**
 * Envoy's outlier detection for one cluster: passive health checking from the outcomes the
 * router reports. Consecutive 5xx, gateway failures (502/503/504) and local-origin failures
 * (connect failures, resets, timeouts) eject a host as soon as their threshold is reached;
 * success-rate and failure-percentage ejection run on each {@link #evaluate() interval}, over
 * the requests of the last interval. An ejected host comes back at the first interval after
 * {@code base_ejection_time × ejections in a row} (capped by {@code max_ejection_time}, plus
 * jitter); the multiplier shrinks by one for each interval the host stays in. At most
 * {@code max_ejection_percent} of the hosts are ejected at once, counting the host about to be.
 *
 * <p>Without {@code split_external_local_origin_errors}, local-origin failures count as 503
 * in the same counters as upstream responses; with it, they feed their own consecutive counter
 * and success rate, and any response from the host counts as a local-origin success.
 *
 * <p>Reporting ({@code on*}) is lock-free (atomics per host) and safe from any event loop;
 * ejection decisions take this detector's lock, which the data path only reaches when a
 * threshold is crossed. Time and randomness are injected so the logic can be tested with a
 * fake clock.
 */
public final class OutlierDetector {
  private volatile OutlierDetectionConfig config;
  private final Supplier<List<EndpointState>> hosts;
  private final ClusterHealthStats stats;
  private final LongSupplier nanoClock;
  private final IntSupplier percentRoll;
  private final Runnable healthChanged;
  private volatile double successRateThreshold = -1;
  private volatile double successRateAverage = -1;

  /**
   * @param hosts         the cluster's current endpoints
   * @param nanoClock     monotonic time in nanoseconds
   * @param percentRoll   a random integer in [0, 100), rolled against {@code enforcing_*}
   * @param healthChanged run after a host was ejected or brought back (outside the lock)
   */
  public OutlierDetector(OutlierDetectionConfig config, Supplier<List<EndpointState>> hosts,
      ClusterHealthStats stats, LongSupplier nanoClock, IntSupplier percentRoll, Runnable healthChanged) {
    this.config = config;
    this.hosts = hosts;
    this.stats = stats;
    this.nanoClock = nanoClock;
    this.percentRoll = percentRoll;
    this.healthChanged = healthChanged;
  }

  public OutlierDetectionConfig config() {
    return config;
  }

  public void update(OutlierDetectionConfig config) {
    this.config = config;
  }

  /** The success-rate ejection threshold of the last interval (percent), or -1. */
  public double successRateEjectionThreshold() {
    return successRateThreshold;
  }

  /** The mean success rate of the last interval's qualifying hosts (percent), or -1. */
  public double successRateAverage() {
    return successRateAverage;
  }

  // ------------------------------------------------------------------ outcomes (any loop)

  /** An upstream answered {@code status} (a response from the host itself). */
  public void onResponse(EndpointState host, int status) {
    HostHealth h = host.health;
    OutlierDetectionConfig c = config;
    if (c.splitExternalLocalOriginErrors()) {
      // The host answered, so the connection worked: a local-origin success.
      h.localTotal.increment();
      h.localSuccess.increment();
      reset(h.consecutiveLocalOriginFailure);
    }
    httpCode(host, h, c, status);
  }

  /**
   * An attempt on the host failed locally: a connect error, a reset before the response, or a
   * timeout. Unlike Envoy, a connection that opens does not end a run of local-origin failures
   * (only a response does), so a host that accepts connections and resets them is ejected too.
   */
  public void onLocalFailure(EndpointState host) {
    HostHealth h = host.health;
    OutlierDetectionConfig c = config;
    if (!c.splitExternalLocalOriginErrors()) {
      httpCode(host, h, c, 503);
      return;
    }
    h.localTotal.increment();
    if (h.consecutiveLocalOriginFailure.incrementAndGet() >= c.consecutiveLocalOriginFailure()) {
      consecutiveThreshold(host, h.consecutiveLocalOriginFailure, EjectionType.CONSECUTIVE_LOCAL_ORIGIN_FAILURE,
          c.enforcingConsecutiveLocalOriginFailure());
    }
  }

  private void httpCode(EndpointState host, HostHealth h, OutlierDetectionConfig c, int status) {
    h.externalTotal.increment();
    if (status < 500 || status > 599) {
      h.externalSuccess.increment();
      reset(h.consecutive5xx);
      reset(h.consecutiveGatewayFailure);
      return;
    }
    if (status >= 502 && status <= 504) {
      if (h.consecutiveGatewayFailure.incrementAndGet() >= c.consecutiveGatewayFailure()) {
        consecutiveThreshold(host, h.consecutiveGatewayFailure, EjectionType.CONSECUTIVE_GATEWAY_FAILURE,
            c.enforcingConsecutiveGatewayFailure());
      }
    } else {
      reset(h.consecutiveGatewayFailure);
    }
    if (h.consecutive5xx.incrementAndGet() >= c.consecutive5xx()) {
      consecutiveThreshold(host, h.consecutive5xx, EjectionType.CONSECUTIVE_5XX, c.enforcingConsecutive5xx());
    }
  }

  private static void reset(java.util.concurrent.atomic.AtomicInteger counter) {
    if (counter.get() != 0) {
      counter.set(0);
    }
  }

  private void consecutiveThreshold(EndpointState host, java.util.concurrent.atomic.AtomicInteger counter,
      EjectionType type, int enforcing) {
    boolean changed;
    synchronized (this) {
      if (host.ejected || !hosts.get().contains(host)) {
        return;
      }
      // Start counting afresh, so the next ejection needs a full run of failures again.
      counter.set(0);
      stats.ejectionsDetected(type).increment();
      changed = eject(host, type, enforcing, nanoClock.getAsLong());
    }
    if (changed) {
      healthChanged.run();
    }
  }

  /** Ejects {@code host} if enforcement and max_ejection_percent allow; caller holds the lock. */
  private boolean eject(EndpointState host, EjectionType type, int enforcing, long now) {
    if (host.ejected) {
      return false;
    }
    OutlierDetectionConfig c = config;
    List<EndpointState> all = hosts.get();
    int active = 0;
    for (EndpointState e : all) {
      if (e.ejected) {
        active++;
      }
    }
    if (100.0 * (active + 1) / all.size() > c.maxEjectionPercent()) {
      stats.ejectionsOverflow.increment();
      return false;
    }
    if (enforcing < 100 && percentRoll.getAsInt() >= enforcing) {
      return false;
    }
    HostHealth h = host.health;
    long base = c.baseEjectionTime().toNanos();
    long max = c.maxEjectionTime().toNanos();
    // Grow the multiplier only while it still matters (Envoy's cap on the backoff).
    if ((long) h.ejectTimeBackoff * base < max + base) {
      h.ejectTimeBackoff++;
    }
    long jitter = c.maxEjectionTimeJitter().toNanos();
    h.ejectionJitterNanos = jitter <= 0 ? 0 : (long) (jitter * (percentRoll.getAsInt() / 100.0));
    h.lastEjectionNanos = now;
    h.ejections++;
    host.ejected = true;
    stats.ejectionsActive.incrementAndGet();
    stats.ejectionsEnforced(type).increment();
    return true;
  }

  // ------------------------------------------------------------------ interval

  /**
   * One interval: brings back hosts whose ejection time has passed, then ejects by success
   * rate and failure percentage over the requests of the interval that just ended.
   */
  public void evaluate() {
    boolean changed = false;
    synchronized (this) {
      OutlierDetectionConfig c = config;
      long now = nanoClock.getAsLong();
      List<EndpointState> all = hosts.get();
      List<double[]> external = new ArrayList<>(all.size());
      List<double[]> local = new ArrayList<>(all.size());
      for (EndpointState host : all) {
        HostHealth h = host.health;
        if (host.ejected) {
          long period = Math.min((long) h.ejectTimeBackoff * c.baseEjectionTime().toNanos(),
              c.maxEjectionTime().toNanos()) + h.ejectionJitterNanos;
          if (now - h.lastEjectionNanos >= period) {
            uneject(host);
            changed = true;
          }
        } else if (h.ejectTimeBackoff > 0) {
          h.ejectTimeBackoff--;
        }
        long extTotal = h.externalTotal.sumThenReset();
        long extOk = h.externalSuccess.sumThenReset();
        long locTotal = h.localTotal.sumThenReset();
        long locOk = h.localSuccess.sumThenReset();
        h.successRate = extTotal >= c.successRateRequestVolume() ? 100.0 * extOk / extTotal : -1;
        h.localOriginSuccessRate = c.splitExternalLocalOriginErrors() && locTotal >= c.successRateRequestVolume()
            ? 100.0 * locOk / locTotal : -1;
        external.add(new double[] {extTotal, extOk});
        local.add(new double[] {locTotal, locOk});
      }
      changed |= rateEjections(c, all, external, false, now);
      if (c.splitExternalLocalOriginErrors()) {
        changed |= rateEjections(c, all, local, true, now);
      }
    }
    if (changed) {
      healthChanged.run();
    }
  }

  private void uneject(EndpointState host) {
    HostHealth h = host.health;
    host.ejected = false;
    stats.ejectionsActive.decrementAndGet();
    h.consecutive5xx.set(0);
    h.consecutiveGatewayFailure.set(0);
    h.consecutiveLocalOriginFailure.set(0);
  }

  /**
   * Brings an ejected host back at once (an active health check passed and
   * {@code successful_active_health_check_uneject_host} is on).
   */
  public void unejectAfterHealthCheck(EndpointState host) {
    if (!config.successfulActiveHealthCheckUnejectHost()) {
      return;
    }
    synchronized (this) {
      if (!host.ejected) {
        return;
      }
      uneject(host);
    }
    healthChanged.run();
  }

  /** Success-rate and failure-percentage ejection over one kind of outcome. */
  private boolean rateEjections(OutlierDetectionConfig c, List<EndpointState> all, List<double[]> counts,
      boolean localOrigin, long now) {
    int n = all.size();
    if (!localOrigin) {
      successRateThreshold = -1;
      successRateAverage = -1;
    }
    if (n < c.successRateMinimumHosts() && n < c.failurePercentageMinimumHosts()) {
      return false;
    }
    List<Integer> srHosts = new ArrayList<>();
    List<Integer> fpHosts = new ArrayList<>();
    double sum = 0;
    double[] rates = new double[n];
    for (int i = 0; i < n; i++) {
      if (all.get(i).ejected) {
        continue;
      }
      double total = counts.get(i)[0];
      if (total == 0) {
        continue;
      }
      rates[i] = 100.0 * counts.get(i)[1] / total;
      if (total >= c.successRateRequestVolume()) {
        srHosts.add(i);
        sum += rates[i];
      }
      if (total >= c.failurePercentageRequestVolume()) {
        fpHosts.add(i);
      }
    }
    boolean changed = false;
    if (!srHosts.isEmpty() && srHosts.size() >= c.successRateMinimumHosts()) {
      double mean = sum / srHosts.size();
      double variance = 0;
      for (int i : srHosts) {
        variance += (rates[i] - mean) * (rates[i] - mean);
      }
      double stdev = Math.sqrt(variance / srHosts.size());
      double threshold = mean - (c.successRateStdevFactor() / 1000.0) * stdev;
      if (!localOrigin) {
        successRateAverage = mean;
        successRateThreshold = threshold;
      }
      EjectionType type = localOrigin ? EjectionType.SUCCESS_RATE_LOCAL_ORIGIN : EjectionType.SUCCESS_RATE;
      int enforcing = localOrigin ? c.enforcingLocalOriginSuccessRate() : c.enforcingSuccessRate();
      for (int i : srHosts) {
        if (rates[i] < threshold) {
          stats.ejectionsDetected(type).increment();
          changed |= eject(all.get(i), type, enforcing, now);
        }
      }
    }
    if (!fpHosts.isEmpty() && fpHosts.size() >= c.failurePercentageMinimumHosts()) {
      EjectionType type = localOrigin ? EjectionType.FAILURE_PERCENTAGE_LOCAL_ORIGIN : EjectionType.FAILURE_PERCENTAGE;
      int enforcing = localOrigin ? c.enforcingFailurePercentageLocalOrigin() : c.enforcingFailurePercentage();
      for (int i : fpHosts) {
        if (100.0 - rates[i] >= c.failurePercentageThreshold()) {
          stats.ejectionsDetected(type).increment();
          changed |= eject(all.get(i), type, enforcing, now);
        }
      }
    }
    return changed;
  }

  /** Forgets a host that left the cluster (its ejection no longer counts). */
  public synchronized void removed(EndpointState host) {
    if (host.ejected) {
      host.ejected = false;
      stats.ejectionsActive.decrementAndGet();
    }
  }
}

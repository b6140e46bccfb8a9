package dev.weft.proxy.upstream;

import dev.weft.proxy.config.ClusterConfig;
import dev.weft.proxy.metrics.ProxyMetrics;
import dev.weft.proxy.tls.TlsContexts;
import io.netty.channel.Channel;
import java.util.ArrayList;
import java.util.Collection;
import java.util.List;
import java.util.Map;
import java.util.concurrent.ConcurrentHashMap;

/** All clusters at run time, keyed by name; a cluster's runtime outlives config updates that keep it. */
public final class ClusterManager {
  private final UpstreamConnector connector;
  private final EventLoopIndex loops;
  private final ProxyMetrics metrics;
  private final ConcurrentHashMap<String, ClusterRuntime> clusters = new ConcurrentHashMap<>();

  private final TlsContexts tls;

  public ClusterManager(UpstreamConnector connector, EventLoopIndex loops, ProxyMetrics metrics, TlsContexts tls) {
    this.connector = connector;
    this.loops = loops;
    this.metrics = metrics;
    this.tls = tls;
  }

  /** The cluster named {@code name}, or null. */
  public ClusterRuntime get(String name) {
    return clusters.get(name);
  }

  public Collection<ClusterRuntime> all() {
    return clusters.values();
  }

  /**
   * Makes the set of clusters equal to {@code configs}: adds, updates in place, removes.
   *
   * @throws TlsContexts.TlsSetupException when a cluster's TLS material cannot be loaded
   */
  public void apply(Map<String, ClusterConfig> configs) throws TlsContexts.TlsSetupException {
    for (var e : configs.entrySet()) {
      ClusterRuntime existing = clusters.get(e.getKey());
      if (existing == null) {
        clusters.put(e.getKey(), new ClusterRuntime(e.getValue(), connector, loops, metrics, tls));
      } else {
        existing.update(e.getValue());
      }
    }
    List<Channel> toClose = new ArrayList<>();
    clusters.entrySet().removeIf(e -> {
      if (configs.containsKey(e.getKey())) {
        return false;
      }
      e.getValue().closeIdle(toClose);
      e.getValue().stop();
      return true;
    });
    toClose.forEach(ch -> ch.eventLoop().execute(ch::close));
  }

  /** Closes idle pooled connections of every cluster (at shutdown). */
  public void closeIdle() {
    List<Channel> toClose = new ArrayList<>();
    clusters.values().forEach(c -> c.closeIdle(toClose));
    toClose.forEach(ch -> ch.eventLoop().execute(ch::close));
  }
}

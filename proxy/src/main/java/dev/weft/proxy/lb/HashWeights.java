package dev.weft.proxy.lb;

import dev.weft.proxy.config.EndpointConfig;
import dev.weft.proxy.upstream.EndpointState;
import java.util.HashMap;
import java.util.Map;

/**
 * Normalized host weights for the hash-based balancers, as Envoy computes them: each host's
 * weight over the sum of weights, or with locality weighting, over the sum in its locality times
 * its locality's share of the locality weights (a locality of weight 0 gets nothing). Also the key
 * each host is hashed by: its address as {@code ip:port}.
 */
final class HashWeights {
  private HashWeights() {}

  static double[] normalize(EndpointState[] hosts, boolean localityWeighted) {
    double[] w = new double[hosts.length];
    if (!localityWeighted) {
      double sum = 0;
      for (EndpointState h : hosts) {
        sum += Math.max(1, h.config().weight());
      }
      for (int i = 0; i < hosts.length; i++) {
        w[i] = Math.max(1, hosts[i].config().weight()) / sum;
      }
      return w;
    }
    Map<EndpointConfig.Locality, Double> hostSums = new HashMap<>();
    Map<EndpointConfig.Locality, Integer> localityWeights = new HashMap<>();
    for (EndpointState h : hosts) {
      hostSums.merge(h.config().locality(), (double) Math.max(1, h.config().weight()), Double::sum);
      localityWeights.put(h.config().locality(), h.config().localityWeight());
    }
    double localitySum = 0;
    for (int lw : localityWeights.values()) {
      localitySum += lw;
    }
    for (int i = 0; i < hosts.length; i++) {
      EndpointConfig c = hosts[i].config();
      w[i] = localitySum == 0 ? 0
          : Math.max(1, c.weight()) / hostSums.get(c.locality()) * (c.localityWeight() / localitySum);
    }
    return w;
  }

  /** {@code ip:port} ({@code [ip]:port} for IPv6), as Envoy's address string. */
  static String key(EndpointState host) {
    String ip = host.config().address().host();
    int port = host.config().address().port();
    return ip.indexOf(':') >= 0 ? "[" + ip + "]:" + port : ip + ":" + port;
  }
}

package dev.weft.proxy.lb;

import dev.weft.proxy.config.EndpointConfig;
import dev.weft.proxy.config.SocketAddressConfig;
import dev.weft.proxy.upstream.EndpointState;
import dev.weft.proxy.upstream.TestEndpoints;
import java.util.ArrayList;
import java.util.HashMap;
import java.util.List;
import java.util.Map;

/** Endpoints for balancer unit tests: 127.0.0.1 ports 1000, 1001, ... */
final class Hosts {
  private Hosts() {}

  static EndpointState[] weighted(int... weights) {
    List<EndpointConfig> configs = new ArrayList<>();
    for (int i = 0; i < weights.length; i++) {
      configs.add(new EndpointConfig(new SocketAddressConfig("127.0.0.1", 1000 + i), weights[i]));
    }
    return TestEndpoints.of(configs).toArray(EndpointState[]::new);
  }

  static EndpointState[] equal(int n) {
    int[] w = new int[n];
    java.util.Arrays.fill(w, 1);
    return weighted(w);
  }

  static EndpointState of(EndpointConfig config) {
    return TestEndpoints.of(List.of(config)).getFirst();
  }

  static EndpointConfig config(int port, int weight, int priority, String zone, int localityWeight,
      EndpointConfig.HealthStatus health) {
    return new EndpointConfig(new SocketAddressConfig("127.0.0.1", port), weight, priority,
        new EndpointConfig.Locality("r", zone, ""), localityWeight, health);
  }

  /** How many of {@code picks} picks went to each port. */
  static Map<Integer, Integer> count(int picks, java.util.function.Supplier<EndpointState> pick) {
    Map<Integer, Integer> counts = new HashMap<>();
    for (int i = 0; i < picks; i++) {
      counts.merge(pick.get().config().address().port(), 1, Integer::sum);
    }
    return counts;
  }
}

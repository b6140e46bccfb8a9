package dev.weft.proxy.lb;

import static org.assertj.core.api.Assertions.assertThat;

import dev.weft.proxy.config.EndpointConfig;
import dev.weft.proxy.config.SocketAddressConfig;
import dev.weft.proxy.upstream.EndpointState;
import dev.weft.proxy.upstream.TestEndpoints;
import java.util.ArrayList;
import java.util.HashMap;
import java.util.List;
import java.util.Map;
import org.junit.jupiter.api.Test;

class RoundRobinBalancerTest {

  private static List<EndpointState> endpoints(int... weights) {
    List<EndpointConfig> configs = new ArrayList<>();
    for (int i = 0; i < weights.length; i++) {
      configs.add(new EndpointConfig(new SocketAddressConfig("127.0.0.1", 1000 + i), weights[i]));
    }
    return TestEndpoints.of(configs);
  }

  @Test
  void rotatesThroughEqualEndpoints() {
    RoundRobinBalancer b = new RoundRobinBalancer(endpoints(1, 1, 1));
    Map<Integer, Integer> counts = new HashMap<>();
    for (int i = 0; i < 300; i++) {
      counts.merge(b.pick().config().address().port(), 1, Integer::sum);
    }
    assertThat(counts).containsOnly(Map.entry(1000, 100), Map.entry(1001, 100), Map.entry(1002, 100));
  }

  @Test
  void spreadsByWeightAndInterleaves() {
    RoundRobinBalancer b = new RoundRobinBalancer(endpoints(5, 1, 1));
    List<Integer> picks = new ArrayList<>();
    for (int i = 0; i < 7; i++) {
      picks.add(b.pick().config().address().port());
    }
    assertThat(picks).filteredOn(p -> p == 1000).hasSize(5);
    assertThat(picks).filteredOn(p -> p == 1001).hasSize(1);
    // Smooth: the heavy endpoint never takes all of the first five picks in a row.
    assertThat(picks.subList(0, 5)).contains(1001);
  }

  @Test
  void noEndpointsGivesNull() {
    assertThat(new RoundRobinBalancer(List.of()).pick()).isNull();
  }
}

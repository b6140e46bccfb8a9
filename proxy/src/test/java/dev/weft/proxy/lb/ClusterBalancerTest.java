package dev.weft.proxy.lb;

import static dev.weft.proxy.config.EndpointConfig.HealthStatus.HEALTHY;
import static dev.weft.proxy.config.EndpointConfig.HealthStatus.UNHEALTHY;
import static dev.weft.proxy.config.EndpointConfig.HealthStatus.UNKNOWN;
import static org.assertj.core.api.Assertions.assertThat;

import dev.weft.proxy.config.LbConfig;
import dev.weft.proxy.upstream.EndpointState;
import java.util.List;
import java.util.Map;
import java.util.SplittableRandom;
import org.junit.jupiter.api.Test;

class ClusterBalancerTest {
  private static final LoadBalancerRegistry REGISTRY = LoadBalancerRegistry.getDefault();
  private static final LbConfig LOCALITY_WEIGHTED = new LbConfig(2, 1, 1024, 8 << 20, 65537, 50, true, 140);

  private final ClusterLbState state = new ClusterLbState();
  private final ClusterBalancer balancer = new ClusterBalancer(state, new SplittableRandom(42));

  private static ClusterLbState.Inputs inputs(String policy, LbConfig config, List<EndpointState> hosts) {
    return new ClusterLbState.Inputs(REGISTRY.provider(policy), config, hosts);
  }

  private static LbContext hash(long h) {
    return new LbContext() {
      @Override
      public boolean hasHash() {
        return true;
      }

      @Override
      public long hash() {
        return h;
      }
    };
  }

  /** Two hosts at priority 0 (ports 1000, 1001), one at priority 1 (port 1100). */
  private static List<EndpointState> twoLevels() {
    return List.of(
        Hosts.of(Hosts.config(1000, 1, 0, "a", 0, UNKNOWN)),
        Hosts.of(Hosts.config(1001, 1, 0, "a", 0, UNKNOWN)),
        Hosts.of(Hosts.config(1100, 1, 1, "a", 0, UNKNOWN)));
  }

  @Test
  void registryKnowsEnvoysPolicies() {
    assertThat(REGISTRY.policies()).containsExactly("LEAST_REQUEST", "MAGLEV", "RANDOM", "RING_HASH", "ROUND_ROBIN");
  }

  @Test
  void trafficFailsOverToTheNextPriorityAndComesBack() {
    List<EndpointState> hosts = twoLevels();
    var in = inputs("ROUND_ROBIN", LbConfig.DEFAULT, hosts);
    assertThat(Hosts.count(100, () -> balancer.pick(in, LbContext.NONE))).containsOnlyKeys(1000, 1001);

    hosts.get(0).ejected = true;
    hosts.get(1).failedActiveHealthCheck = true;
    state.healthChanged();
    assertThat(Hosts.count(100, () -> balancer.pick(in, LbContext.NONE))).containsOnlyKeys(1100);

    // One of two healthy: priority 0's health is 1.4 * 50 % = 70 %, the rest spills over.
    hosts.get(0).ejected = false;
    state.healthChanged();
    Map<Integer, Integer> split = Hosts.count(10_000, () -> balancer.pick(in, LbContext.NONE));
    assertThat(split).containsOnlyKeys(1000, 1100);
    assertThat(split.get(1100)).isBetween(2700, 3300); // 30 % expected, sd 46

    hosts.get(1).failedActiveHealthCheck = false;
    state.healthChanged();
    assertThat(Hosts.count(100, () -> balancer.pick(in, LbContext.NONE))).containsOnlyKeys(1000, 1001);
  }

  @Test
  void edsHealthStatusMovesTrafficToo() {
    List<EndpointState> hosts = List.of(
        Hosts.of(Hosts.config(1000, 1, 0, "a", 0, UNHEALTHY)),
        Hosts.of(Hosts.config(1100, 1, 1, "a", 0, HEALTHY)));
    var in = inputs("LEAST_REQUEST", LbConfig.DEFAULT, hosts);
    assertThat(Hosts.count(50, () -> balancer.pick(in, LbContext.NONE))).containsOnlyKeys(1100);
  }

  @Test
  void inPanicEveryHostOfTheLevelIsUsed() {
    List<EndpointState> hosts = List.of(
        Hosts.of(Hosts.config(1000, 1, 0, "a", 0, UNHEALTHY)),
        Hosts.of(Hosts.config(1001, 1, 0, "a", 0, UNHEALTHY)),
        Hosts.of(Hosts.config(1002, 1, 0, "a", 0, HEALTHY)));
    var in = inputs("ROUND_ROBIN", LbConfig.DEFAULT, hosts);
    assertThat(Hosts.count(300, () -> balancer.pick(in, LbContext.NONE))).containsOnlyKeys(1000, 1001, 1002);
    LbConfig noPanic = new LbConfig(2, 1, 1024, 8 << 20, 65537, 0, false, 140);
    var strict = inputs("ROUND_ROBIN", noPanic, hosts);
    assertThat(Hosts.count(300, () -> balancer.pick(strict, LbContext.NONE))).containsOnlyKeys(1002);
  }

  @Test
  void localityWeightsTimesHealthChooseTheLocality() {
    List<EndpointState> hosts = List.of(
        Hosts.of(Hosts.config(1000, 1, 0, "a", 3, UNKNOWN)),
        Hosts.of(Hosts.config(1001, 1, 0, "a", 3, UNKNOWN)),
        Hosts.of(Hosts.config(1002, 1, 0, "b", 1, UNKNOWN)));
    var in = inputs("ROUND_ROBIN", LOCALITY_WEIGHTED, hosts);
    // Smooth weighted round robin over localities is exact: 3 of every 4 picks go to zone a.
    Map<Integer, Integer> counts = Hosts.count(4000, () -> balancer.pick(in, LbContext.NONE));
    assertThat(counts.get(1000) + counts.get(1001)).isEqualTo(3000);
    assertThat(counts.get(1002)).isEqualTo(1000);

    // Zone a at half health: weight 3 * min(1, 1.4 * 0.5) = 2.1 against 1.
    hosts.get(0).ejected = true;
    state.healthChanged();
    Map<Integer, Integer> degraded = Hosts.count(3100, () -> balancer.pick(in, LbContext.NONE));
    assertThat(degraded.get(1001)).isBetween(2099, 2101);
    assertThat(degraded).doesNotContainKey(1000);
  }

  @Test
  void withoutLocalityWeightingLocalitiesAreIgnored() {
    List<EndpointState> hosts = List.of(
        Hosts.of(Hosts.config(1000, 1, 0, "a", 9, UNKNOWN)),
        Hosts.of(Hosts.config(1001, 1, 0, "b", 1, UNKNOWN)));
    var in = inputs("ROUND_ROBIN", LbConfig.DEFAULT, hosts);
    assertThat(Hosts.count(1000, () -> balancer.pick(in, LbContext.NONE))).containsEntry(1000, 500);
  }

  @Test
  void avoidsHostsTheContextRejects() {
    List<EndpointState> hosts = twoLevels();
    for (String policy : REGISTRY.policies()) {
      var in = inputs(policy, LbConfig.DEFAULT, hosts);
      for (int i = 0; i < 200; i++) {
        long h = i * 0x9E3779B97F4A7C15L;
        EndpointState first = balancer.pick(in, hash(h));
        LbContext avoidFirst = new LbContext() {
          @Override
          public boolean hasHash() {
            return true;
          }

          @Override
          public long hash() {
            return h;
          }

          @Override
          public boolean shouldAvoid(EndpointState e) {
            return e == first;
          }
        };
        assertThat(balancer.pick(in, avoidFirst)).as(policy).isNotSameAs(first);
      }
    }
  }

  @Test
  void hashBasedPoliciesKeepAKeyOnItsHostAndFallBackToRandomWithoutHash() {
    List<EndpointState> hosts = List.of(
        Hosts.of(Hosts.config(1000, 1, 0, "a", 0, UNKNOWN)),
        Hosts.of(Hosts.config(1001, 1, 0, "a", 0, UNKNOWN)),
        Hosts.of(Hosts.config(1002, 1, 0, "a", 0, UNKNOWN)));
    for (String policy : List.of("RING_HASH", "MAGLEV")) {
      var in = inputs(policy, LbConfig.DEFAULT, hosts);
      ClusterBalancer otherLoop = new ClusterBalancer(state, new SplittableRandom(7));
      for (int k = 0; k < 100; k++) {
        long h = XxHash64.hash("key-" + k);
        EndpointState e = balancer.pick(in, hash(h));
        assertThat(balancer.pick(in, hash(h))).isSameAs(e);
        assertThat(otherLoop.pick(in, hash(h))).isSameAs(e);
      }
      assertThat(Hosts.count(300, () -> balancer.pick(in, LbContext.NONE))).as(policy).hasSize(3);
    }
  }

  @Test
  void stateIsKeptForTheSameInputsAndRebuiltOnHealthChange() {
    List<EndpointState> hosts = twoLevels();
    var in = inputs("ROUND_ROBIN", LbConfig.DEFAULT, hosts);
    PrioritySet first = state.prioritySet(in);
    EndpointState a = balancer.pick(in, LbContext.NONE);
    EndpointState b = balancer.pick(in, LbContext.NONE);
    assertThat(b).isNotSameAs(a);
    assertThat(balancer.pick(in, LbContext.NONE)).isSameAs(a); // rotation continues
    assertThat(state.prioritySet(in)).isSameAs(first);
    state.healthChanged(); // a notice without a change keeps the state
    assertThat(state.prioritySet(in)).isSameAs(first);
    assertThat(balancer.pick(in, LbContext.NONE)).isSameAs(b);
    hosts.get(2).ejected = true;
    state.healthChanged();
    assertThat(state.prioritySet(in)).isNotSameAs(first);
  }

  @Test
  void anEmptyClusterHasNoHost() {
    var in = inputs("MAGLEV", LbConfig.DEFAULT, List.of());
    assertThat(balancer.pick(in, LbContext.NONE)).isNull();
  }
}

package dev.weft.proxy.lb;

import static dev.weft.proxy.config.EndpointConfig.HealthStatus.HEALTHY;
import static dev.weft.proxy.config.EndpointConfig.HealthStatus.UNHEALTHY;
import static org.assertj.core.api.Assertions.assertThat;

import dev.weft.proxy.config.LbConfig;
import dev.weft.proxy.upstream.EndpointState;
import java.util.ArrayList;
import java.util.List;
import org.junit.jupiter.api.Test;

/** Envoy's priority load examples (docs: "Priority levels"), overprovisioning factor 1.4. */
class PrioritySetTest {

  /** {@code healthy} of {@code total} hosts at priority 0, and {@code p1} healthy hosts at priority 1. */
  private static List<EndpointState> hosts(int healthy, int total, int p1) {
    List<EndpointState> hosts = new ArrayList<>();
    for (int i = 0; i < total; i++) {
      hosts.add(Hosts.of(Hosts.config(2000 + i, 1, 0, "a", 0, i < healthy ? HEALTHY : UNHEALTHY)));
    }
    for (int i = 0; i < p1; i++) {
      hosts.add(Hosts.of(Hosts.config(3000 + i, 1, 1, "a", 0, HEALTHY)));
    }
    return hosts;
  }

  private static int[] load(int healthy, int total, int p1) {
    return PrioritySet.build(hosts(healthy, total, p1), LbConfig.DEFAULT).load();
  }

  @Test
  void loadSpillsToTheNextPriorityAsHealthFalls() {
    assertThat(load(100, 100, 10)).containsExactly(100, 0);
    assertThat(load(72, 100, 10)).containsExactly(100, 0);
    assertThat(load(71, 100, 10)).containsExactly(99, 1);
    assertThat(load(50, 100, 10)).containsExactly(70, 30);
    assertThat(load(25, 100, 10)).containsExactly(35, 65);
    assertThat(load(0, 100, 10)).containsExactly(0, 100);
  }

  @Test
  void theOverprovisioningFactorScalesHealth() {
    LbConfig exact = LbConfig.DEFAULT.withOverprovisioningFactor(100);
    assertThat(PrioritySet.build(hosts(80, 100, 10), exact).load()).containsExactly(80, 20);
  }

  @Test
  void aLevelBelowThePanicThresholdIsInPanic() {
    PrioritySet s = PrioritySet.build(hosts(25, 100, 0), LbConfig.DEFAULT);
    assertThat(s.panic()).containsExactly(true);
    assertThat(s.load()).containsExactly(100);
    assertThat(PrioritySet.build(hosts(50, 100, 0), LbConfig.DEFAULT).panic()).containsExactly(false);
    // With enough health at lower levels to take all the load, nothing panics.
    assertThat(PrioritySet.build(hosts(25, 100, 10), LbConfig.DEFAULT).panic()).containsExactly(false, false);
  }

  @Test
  void whenEveryLevelIsInPanicLoadFollowsHostCounts() {
    List<EndpointState> hosts = hosts(0, 3, 0);
    hosts.add(Hosts.of(Hosts.config(3000, 1, 1, "a", 0, UNHEALTHY)));
    PrioritySet s = PrioritySet.build(hosts, LbConfig.DEFAULT);
    assertThat(s.panic()).containsExactly(true, true);
    assertThat(s.load()).containsExactly(75, 25);
  }

  @Test
  void withoutPanicAndWithoutHealthyHostsAllLoadStaysOnTheFirstLevel() {
    LbConfig noPanic = new LbConfig(2, 1, 1024, 1024, 65537, 0, false, 140);
    PrioritySet s = PrioritySet.build(hosts(0, 2, 0), noPanic);
    assertThat(s.load()).containsExactly(100);
    assertThat(s.panic()).containsExactly(false);
  }

  @Test
  void healthFlagsCountLikeEdsHealth() {
    List<EndpointState> hosts = hosts(4, 4, 1);
    hosts.get(0).ejected = true;
    hosts.get(1).failedActiveHealthCheck = true;
    assertThat(PrioritySet.build(hosts, LbConfig.DEFAULT).load()).containsExactly(70, 30);
  }

  @Test
  void prioritiesNeedNotBeContiguous() {
    List<EndpointState> hosts = new ArrayList<>(hosts(0, 2, 0));
    hosts.add(Hosts.of(Hosts.config(4000, 1, 5, "a", 0, HEALTHY)));
    PrioritySet s = PrioritySet.build(hosts, LbConfig.DEFAULT);
    assertThat(s.priorities()).containsExactly(0, 5);
    assertThat(s.load()).containsExactly(0, 100);
  }
}

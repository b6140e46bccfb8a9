package dev.weft.proxy.lb;

import static org.assertj.core.api.Assertions.assertThat;

import dev.weft.proxy.upstream.EndpointState;
import java.util.Map;
import java.util.SplittableRandom;
import org.junit.jupiter.api.Test;

class LeastRequestBalancerTest {

  @Test
  void twoChoicesAvoidTheBusyHostUnlessBothSamplesAreIt() {
    EndpointState[] hosts = Hosts.equal(3);
    hosts[0].activeRequests.set(10);
    var lb = new LeastRequestBalancer(hosts, 2, 1.0, new SplittableRandom(1));
    // The busy host wins only when both samples are it: p = 1/9, so 1000 of 9000 expected
    // (sd 30); the bounds are more than 6 sd away.
    Map<Integer, Integer> counts = Hosts.count(9000, () -> lb.pick(0, 0));
    assertThat(counts.get(1000)).isBetween(800, 1200);
    assertThat(counts.get(1001)).isBetween(3700, 4300);
    assertThat(counts.get(1002)).isBetween(3700, 4300);
  }

  @Test
  void moreChoicesAvoidTheBusyHostMore() {
    EndpointState[] hosts = Hosts.equal(3);
    hosts[0].activeRequests.set(10);
    var lb = new LeastRequestBalancer(hosts, 3, 1.0, new SplittableRandom(2));
    // p = 1/27: 333 of 9000 expected (sd 18).
    assertThat(Hosts.count(9000, () -> lb.pick(0, 0)).get(1000)).isBetween(230, 440);
  }

  @Test
  void idleHostsShareLoadEqually() {
    var lb = new LeastRequestBalancer(Hosts.equal(4), 2, 1.0, new SplittableRandom(3));
    // 2500 each expected (sd 43); +-300 is 7 sd.
    assertThat(Hosts.count(10_000, () -> lb.pick(0, 0)).values()).allSatisfy(c -> assertThat(c).isBetween(2200, 2800));
  }

  @Test
  void weightsDivideByActiveRequestsPlusOne() {
    EndpointState[] hosts = Hosts.weighted(3, 1);
    var idle = new LeastRequestBalancer(hosts, 2, 1.0, new SplittableRandom(4));
    // Earliest-deadline-first is exact: 3:1 with no requests in flight.
    assertThat(Hosts.count(4000, () -> idle.pick(0, 0))).containsEntry(1000, 3000).containsEntry(1001, 1000);

    hosts[0].activeRequests.set(2); // effective weight 3 / (2 + 1) = 1, as host 1's 1 / (0 + 1)
    var busy = new LeastRequestBalancer(hosts, 2, 1.0, new SplittableRandom(4));
    Map<Integer, Integer> counts = Hosts.count(4000, () -> busy.pick(0, 0));
    assertThat(counts.get(1000)).isBetween(1999, 2001);

    var noBias = new LeastRequestBalancer(hosts, 2, 0.0, new SplittableRandom(4));
    assertThat(Hosts.count(4000, () -> noBias.pick(0, 0))).containsEntry(1000, 3000);
  }

  @Test
  void emptyAndSingleHost() {
    assertThat(new LeastRequestBalancer(new EndpointState[0], 2, 1, new SplittableRandom()).pick(0, 0)).isNull();
    EndpointState[] one = Hosts.equal(1);
    assertThat(new LeastRequestBalancer(one, 2, 1, new SplittableRandom()).pick(0, 0)).isSameAs(one[0]);
  }
}

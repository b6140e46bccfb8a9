package dev.weft.proxy.lb;

import static org.assertj.core.api.Assertions.assertThat;

import dev.weft.proxy.upstream.EndpointState;
import java.util.Arrays;
import java.util.Collections;
import java.util.List;
import java.util.Map;
import java.util.SplittableRandom;
import org.junit.jupiter.api.Test;

class RingHashBalancerTest {
  private static final long MAX = 8 * 1024 * 1024;

  @Test
  void ringSizeGivesTheLightestHostMinimumRingSizeTimesItsWeight() {
    // Envoy: scale = ceil(min_weight * min_ring_size) / min_weight = ceil(1024 / 3) * 3.
    assertThat(new RingHashBalancer(Hosts.equal(3), 1024, MAX, false).size()).isEqualTo(1026);
    assertThat(new RingHashBalancer(Hosts.equal(3), 1024, 512, false).size()).isEqualTo(512);
  }

  @Test
  void aKeyStaysOnItsHostWhateverTheHostOrder() {
    EndpointState[] hosts = Hosts.equal(5);
    List<EndpointState> shuffled = Arrays.asList(hosts.clone());
    Collections.shuffle(shuffled, new java.util.Random(1));
    var a = new RingHashBalancer(hosts, 1024, MAX, false);
    var b = new RingHashBalancer(shuffled.toArray(EndpointState[]::new), 1024, MAX, false);
    SplittableRandom keys = new SplittableRandom(9);
    for (int i = 0; i < 1000; i++) {
      long h = XxHash64.hash("user-" + keys.nextInt());
      assertThat(a.pick(h, 0)).isSameAs(a.pick(h, 0)).isSameAs(b.pick(h, 0));
    }
  }

  @Test
  void spreadsKeysByWeight() {
    var equal = new RingHashBalancer(Hosts.equal(3), 1024, MAX, false);
    SplittableRandom keys = new SplittableRandom(10);
    // A 1026-point ring is not perfectly even: each host's share is within 1/3 +- 0.06.
    Map<Integer, Integer> counts = Hosts.count(30_000, () -> equal.pick(keys.nextLong(), 0));
    assertThat(counts.values()).allSatisfy(c -> assertThat(c).isBetween(8200, 11_800));

    var weighted = new RingHashBalancer(Hosts.weighted(3, 1), 1024, MAX, false);
    Map<Integer, Integer> w = Hosts.count(40_000, () -> weighted.pick(keys.nextLong(), 0));
    assertThat(w.get(1000)).isBetween(28_000, 32_000); // 75 % +- 5 %
  }

  @Test
  void addingAHostMovesAboutOneNthOfTheKeys() {
    EndpointState[] five = Hosts.equal(5);
    var before = new RingHashBalancer(Arrays.copyOf(five, 4), 1024, MAX, false);
    var after = new RingHashBalancer(five, 1024, MAX, false);
    SplittableRandom keys = new SplittableRandom(11);
    int moved = 0;
    int movedToNew = 0;
    int n = 20_000;
    for (int i = 0; i < n; i++) {
      long h = keys.nextLong();
      EndpointState b = before.pick(h, 0);
      EndpointState a = after.pick(h, 0);
      if (a != b) {
        moved++;
        movedToNew += a == five[4] ? 1 : 0;
      }
    }
    // The new host takes about its 1/5 share (4000 +- 600). As in Envoy the ring keeps about
    // minimum_ring_size points, so each old host drops from 256 to 205 points and roughly another
    // tenth of the keys moves between old hosts.
    assertThat(movedToNew).isBetween(3400, 4600);
    assertThat(moved).isBetween(3400, 7000);
  }

  @Test
  void aRetryAttemptMovesToAnotherPointOfTheRing() {
    var ring = new RingHashBalancer(Hosts.equal(3), 1024, MAX, false);
    SplittableRandom keys = new SplittableRandom(12);
    int different = 0;
    for (int i = 0; i < 1000; i++) {
      long h = keys.nextLong();
      different += ring.pick(h, 0) != ring.pick(h, 1) ? 1 : 0;
    }
    assertThat(different).isGreaterThan(500);
  }

  @Test
  void firstPointIsEnvoysHashOfTheHostKey() {
    // Envoy hashes "ip:port_i" with xxHash64; the host owning hash 0xf673a43b9624fa24 is port 8080's.
    EndpointState[] hosts = Hosts.weighted(1);
    var ring = new RingHashBalancer(hosts, 1, MAX, false);
    assertThat(ring.size()).isEqualTo(1);
    assertThat(XxHash64.hash(HashWeights.key(hosts[0]) + "_0")).isEqualTo(XxHash64.hash("127.0.0.1:1000_0"));
  }
}

package dev.weft.proxy.lb;

import static org.assertj.core.api.Assertions.assertThat;

import dev.weft.proxy.upstream.EndpointState;
import java.util.Arrays;
import java.util.Map;
import java.util.SplittableRandom;
import org.junit.jupiter.api.Test;

class MaglevBalancerTest {

  @Test
  void slotsFollowWeights() {
    var m = new MaglevBalancer(Hosts.weighted(3, 1), 65537, false);
    // Count table slots through picks of every slot index.
    Map<Integer, Integer> counts = new java.util.HashMap<>();
    for (long slot = 0; slot < 65537; slot++) {
      counts.merge(m.pick(slot, 0).config().address().port(), 1, Integer::sum);
    }
    assertThat(counts.get(1000)).isBetween(49_000, 49_300); // 3/4 of 65537 = 49153
    var equal = new MaglevBalancer(Hosts.equal(3), 65537, false);
    Map<Integer, Integer> e = new java.util.HashMap<>();
    for (long slot = 0; slot < 65537; slot++) {
      e.merge(equal.pick(slot, 0).config().address().port(), 1, Integer::sum);
    }
    assertThat(e.values()).allSatisfy(c -> assertThat(c).isBetween(21_800, 21_900)); // 21845 each
  }

  @Test
  void aKeyStaysOnItsHostWhateverTheHostOrder() {
    EndpointState[] hosts = Hosts.equal(4);
    EndpointState[] reversed = new EndpointState[] {hosts[3], hosts[2], hosts[1], hosts[0]};
    var a = new MaglevBalancer(hosts, 65537, false);
    var b = new MaglevBalancer(reversed, 65537, false);
    SplittableRandom keys = new SplittableRandom(5);
    for (int i = 0; i < 1000; i++) {
      long h = XxHash64.hash("session-" + keys.nextInt());
      assertThat(a.pick(h, 0)).isSameAs(b.pick(h, 0)).isSameAs(a.pick(h, 0));
    }
  }

  @Test
  void addingAHostMovesAboutOneNthOfTheKeys() {
    EndpointState[] five = Hosts.equal(5);
    var before = new MaglevBalancer(Arrays.copyOf(five, 4), 65537, false);
    var after = new MaglevBalancer(five, 65537, false);
    SplittableRandom keys = new SplittableRandom(6);
    int n = 20_000;
    int moved = 0;
    int movedToNew = 0;
    for (int i = 0; i < n; i++) {
      long h = keys.nextLong();
      EndpointState b = before.pick(h, 0);
      EndpointState a = after.pick(h, 0);
      if (a != b) {
        moved++;
        movedToNew += a == five[4] ? 1 : 0;
      }
    }
    // Ideal: 1/5 (4000), all to the new host; Maglev disturbs a few percent more.
    assertThat(moved).isBetween(3600, 5000);
    assertThat(movedToNew).isGreaterThan(moved * 3 / 4);
  }

  @Test
  void aRetryAttemptMovesTheKeyElsewhere() {
    var m = new MaglevBalancer(Hosts.equal(3), 65537, false);
    SplittableRandom keys = new SplittableRandom(8);
    int moved = 0;
    for (int i = 0; i < 1000; i++) {
      long h = keys.nextLong();
      EndpointState first = m.pick(h, 0);
      moved += m.pick(h, 1) != first || m.pick(h, 2) != first || m.pick(h, 3) != first ? 1 : 0;
    }
    // Each attempt flips the hash to another slot; within three attempts nearly every key moves.
    assertThat(moved).isGreaterThan(900);
  }

  @Test
  void aSmallPrimeTableWorks() {
    var m = new MaglevBalancer(Hosts.equal(3), 7, false);
    assertThat(m.tableSize()).isEqualTo(7);
    assertThat(m.pick(123, 0)).isNotNull();
    assertThat(new MaglevBalancer(new EndpointState[0], 7, false).pick(1, 0)).isNull();
  }
}

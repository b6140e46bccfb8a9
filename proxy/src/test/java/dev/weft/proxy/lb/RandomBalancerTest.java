package dev.weft.proxy.lb;

import static org.assertj.core.api.Assertions.assertThat;

import dev.weft.proxy.upstream.EndpointState;
import java.util.SplittableRandom;
import org.junit.jupiter.api.Test;

class RandomBalancerTest {

  @Test
  void picksUniformly() {
    var lb = new RandomBalancer(Hosts.weighted(1, 5, 1), new SplittableRandom(7));
    // Weights are ignored, as in Envoy: 10000 each expected (sd 82); +-500 is 6 sd.
    assertThat(Hosts.count(30_000, () -> lb.pick(0, 0)).values()).hasSize(3)
        .allSatisfy(c -> assertThat(c).isBetween(9500, 10_500));
  }

  @Test
  void noHosts() {
    assertThat(new RandomBalancer(new EndpointState[0], new SplittableRandom()).pick(0, 0)).isNull();
  }
}

package dev.weft.proxy.retry;

import static org.assertj.core.api.Assertions.assertThat;

import dev.weft.proxy.upstream.EndpointState;
import java.lang.reflect.Constructor;
import org.junit.jupiter.api.Test;

class RetryLbContextTest {

  private static EndpointState endpoint(int port) throws Exception {
    Constructor<EndpointState> c = EndpointState.class.getDeclaredConstructor(dev.weft.proxy.config.EndpointConfig.class);
    c.setAccessible(true);
    return c.newInstance(new dev.weft.proxy.config.EndpointConfig(
        new dev.weft.proxy.config.SocketAddressConfig("127.0.0.1", port), 1));
  }

  @Test
  void avoidsTriedHostsUpToTheSelectionAttemptsPerAttempt() throws Exception {
    EndpointState a = endpoint(1);
    EndpointState b = endpoint(2);
    RetryLbContext ctx = new RetryLbContext();
    ctx.reset(true, 2);
    assertThat(ctx.shouldAvoid(a)).as("nothing tried yet").isFalse();
    ctx.tried(a);
    ctx.newAttempt();
    assertThat(ctx.shouldAvoid(b)).isFalse();
    assertThat(ctx.shouldAvoid(a)).isTrue();
    assertThat(ctx.shouldAvoid(a)).isTrue();
    assertThat(ctx.shouldAvoid(a)).as("after 2 redone picks the pick stands").isFalse();
    ctx.newAttempt();
    assertThat(ctx.shouldAvoid(a)).as("a new attempt may redo picks again").isTrue();
  }

  @Test
  void withoutThePredicateNothingIsAvoidedAndResetForgetsHosts() throws Exception {
    EndpointState a = endpoint(1);
    RetryLbContext ctx = new RetryLbContext();
    ctx.reset(false, 1);
    ctx.tried(a);
    assertThat(ctx.shouldAvoid(a)).isFalse();
    ctx.reset(true, 1);
    assertThat(ctx.shouldAvoid(a)).isFalse();
    assertThat(ctx.hasHash()).isFalse();
    ctx.hash(7);
    assertThat(ctx.hasHash()).isTrue();
    assertThat(ctx.hash()).isEqualTo(7);
  }
}

package dev.weft.proxy.retry;

import static org.assertj.core.api.Assertions.assertThat;

import dev.weft.proxy.config.RetryPolicy;
import dev.weft.proxy.config.RetryPolicy.Condition;
import dev.weft.proxy.retry.RetryConditions.Failure;
import java.time.Duration;
import java.util.Set;
import org.junit.jupiter.api.Test;

class RetryConditionsTest {

  private static RetryPolicy policy(Set<Integer> codes, Condition... conditions) {
    int bits = 0;
    for (Condition c : conditions) {
      bits |= c.bit();
    }
    return new RetryPolicy(bits, codes, 1, Duration.ZERO, Duration.ofMillis(25), Duration.ofMillis(250), false, 1,
        1024);
  }

  @Test
  void fiveXxRetriesEveryServerErrorAndEveryFailure() {
    RetryPolicy p = policy(Set.of(), Condition.FIVE_XX);
    assertThat(RetryConditions.retriableStatus(p, 500)).isTrue();
    assertThat(RetryConditions.retriableStatus(p, 503)).isTrue();
    assertThat(RetryConditions.retriableStatus(p, 599)).isTrue();
    assertThat(RetryConditions.retriableStatus(p, 499)).isFalse();
    assertThat(RetryConditions.retriableStatus(p, 409)).isFalse();
    for (Failure f : Failure.values()) {
      assertThat(RetryConditions.retriableFailure(p, f)).as(f.name()).isTrue();
    }
  }

  @Test
  void gatewayErrorRetriesOnly502To504() {
    RetryPolicy p = policy(Set.of(), Condition.GATEWAY_ERROR);
    assertThat(RetryConditions.retriableStatus(p, 500)).isFalse();
    assertThat(RetryConditions.retriableStatus(p, 501)).isFalse();
    assertThat(RetryConditions.retriableStatus(p, 502)).isTrue();
    assertThat(RetryConditions.retriableStatus(p, 503)).isTrue();
    assertThat(RetryConditions.retriableStatus(p, 504)).isTrue();
    assertThat(RetryConditions.retriableFailure(p, Failure.PER_TRY_TIMEOUT)).isTrue();
  }

  @Test
  void connectFailureAndRefusedStreamRetryOnlyTheirOwnFailure() {
    RetryPolicy connect = policy(Set.of(), Condition.CONNECT_FAILURE);
    assertThat(RetryConditions.retriableFailure(connect, Failure.CONNECT_FAILURE)).isTrue();
    assertThat(RetryConditions.retriableFailure(connect, Failure.RESET)).isFalse();
    assertThat(RetryConditions.retriableFailure(connect, Failure.PER_TRY_TIMEOUT)).isFalse();
    assertThat(RetryConditions.retriableStatus(connect, 503)).isFalse();

    RetryPolicy refused = policy(Set.of(), Condition.REFUSED_STREAM);
    assertThat(RetryConditions.retriableFailure(refused, Failure.REFUSED_STREAM)).isTrue();
    assertThat(RetryConditions.retriableFailure(refused, Failure.RESET)).isFalse();
    assertThat(RetryConditions.retriableFailure(refused, Failure.CONNECT_FAILURE)).isFalse();
  }

  @Test
  void resetCoversEveryFailureButNoStatus() {
    RetryPolicy p = policy(Set.of(), Condition.RESET);
    for (Failure f : Failure.values()) {
      assertThat(RetryConditions.retriableFailure(p, f)).as(f.name()).isTrue();
    }
    assertThat(RetryConditions.retriableStatus(p, 503)).isFalse();
  }

  @Test
  void retriable4xxIsOnly409AndStatusCodesAreTheListedOnes() {
    assertThat(RetryConditions.retriableStatus(policy(Set.of(), Condition.RETRIABLE_4XX), 409)).isTrue();
    assertThat(RetryConditions.retriableStatus(policy(Set.of(), Condition.RETRIABLE_4XX), 429)).isFalse();
    RetryPolicy codes = policy(Set.of(429, 418), Condition.RETRIABLE_STATUS_CODES);
    assertThat(RetryConditions.retriableStatus(codes, 429)).isTrue();
    assertThat(RetryConditions.retriableStatus(codes, 418)).isTrue();
    assertThat(RetryConditions.retriableStatus(codes, 503)).isFalse();
    assertThat(RetryConditions.retriableStatus(policy(Set.of(429), Condition.FIVE_XX), 429))
        .as("codes listed without retriable-status-codes in retry_on").isFalse();
  }

  @Test
  void grpcConditionsMatchTheirStatusCodes() {
    RetryPolicy p = policy(Set.of(), Condition.GRPC_CANCELLED, Condition.GRPC_DEADLINE_EXCEEDED,
        Condition.GRPC_INTERNAL, Condition.GRPC_RESOURCE_EXHAUSTED, Condition.GRPC_UNAVAILABLE);
    for (int code : new int[] {1, 4, 8, 13, 14}) {
      assertThat(RetryConditions.retriableGrpc(p, code)).as("grpc-status " + code).isTrue();
    }
    for (int code : new int[] {0, 2, 3, 5, 7, 12, 16}) {
      assertThat(RetryConditions.retriableGrpc(p, code)).as("grpc-status " + code).isFalse();
    }
    assertThat(RetryConditions.retriableGrpc(policy(Set.of(), Condition.GRPC_UNAVAILABLE), 13)).isFalse();
    assertThat(RetryConditions.retriableGrpc(policy(Set.of(), Condition.FIVE_XX), 14)).isFalse();
  }

  @Test
  void grpcStatusParsesOnlyDigits() {
    assertThat(RetryConditions.grpcStatus("14")).isEqualTo(14);
    assertThat(RetryConditions.grpcStatus("0")).isZero();
    assertThat(RetryConditions.grpcStatus(null)).isEqualTo(-1);
    assertThat(RetryConditions.grpcStatus("")).isEqualTo(-1);
    assertThat(RetryConditions.grpcStatus("1x")).isEqualTo(-1);
    assertThat(RetryConditions.grpcStatus("140")).isEqualTo(-1);
  }

  @Test
  void conditionNamesAreEnvoys() {
    assertThat(Condition.of(" 5xx")).isEqualTo(Condition.FIVE_XX);
    assertThat(Condition.of("Gateway-Error")).isEqualTo(Condition.GATEWAY_ERROR);
    assertThat(Condition.of("resource-exhausted")).isEqualTo(Condition.GRPC_RESOURCE_EXHAUSTED);
    assertThat(Condition.of("envoy-ratelimited")).isNull();
  }
}

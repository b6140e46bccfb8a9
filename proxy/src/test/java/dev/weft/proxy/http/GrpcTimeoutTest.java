package dev.weft.proxy.http;

import static org.assertj.core.api.Assertions.assertThat;

import org.junit.jupiter.api.Test;

class GrpcTimeoutTest {
  @Test
  void parsesEveryUnit() {
    assertThat(GrpcTimeout.parse("1H")).isEqualTo(3_600_000_000_000L);
    assertThat(GrpcTimeout.parse("2M")).isEqualTo(120_000_000_000L);
    assertThat(GrpcTimeout.parse("3S")).isEqualTo(3_000_000_000L);
    assertThat(GrpcTimeout.parse("250m")).isEqualTo(250_000_000L);
    assertThat(GrpcTimeout.parse("7u")).isEqualTo(7_000L);
    assertThat(GrpcTimeout.parse("99999999n")).isEqualTo(99_999_999L);
  }

  @Test
  void absentIsZeroAndMalformedIsNegative() {
    assertThat(GrpcTimeout.parse(null)).isZero();
    assertThat(GrpcTimeout.parse("S")).isNegative();
    assertThat(GrpcTimeout.parse("123456789S")).as("more than 8 digits").isNegative();
    assertThat(GrpcTimeout.parse("1x")).isNegative();
    assertThat(GrpcTimeout.parse("-1S")).isNegative();
  }
}

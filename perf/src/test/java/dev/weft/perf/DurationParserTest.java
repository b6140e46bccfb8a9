package dev.weft.perf;

import static org.assertj.core.api.Assertions.assertThat;
import static org.assertj.core.api.Assertions.assertThatThrownBy;

import java.time.Duration;
import org.junit.jupiter.api.Test;

class DurationParserTest {
  @Test
  void parsesUnitsBareSecondsAndIso() {
    assertThat(DurationParser.parse("500ms")).isEqualTo(Duration.ofMillis(500));
    assertThat(DurationParser.parse("10s")).isEqualTo(Duration.ofSeconds(10));
    assertThat(DurationParser.parse("1.5s")).isEqualTo(Duration.ofMillis(1500));
    assertThat(DurationParser.parse("2m")).isEqualTo(Duration.ofMinutes(2));
    assertThat(DurationParser.parse("1h")).isEqualTo(Duration.ofHours(1));
    assertThat(DurationParser.parse("3")).isEqualTo(Duration.ofSeconds(3));
    assertThat(DurationParser.parse("PT10S")).isEqualTo(Duration.ofSeconds(10));
  }

  @Test
  void rejectsNonsenseNamingTheValue() {
    assertThatThrownBy(() -> DurationParser.parse("ten seconds"))
        .isInstanceOf(IllegalArgumentException.class)
        .hasMessageContaining("'ten seconds'");
    assertThatThrownBy(() -> DurationParser.parse("-1s")).isInstanceOf(IllegalArgumentException.class);
  }
}

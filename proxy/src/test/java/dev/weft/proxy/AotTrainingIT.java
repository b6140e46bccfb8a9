package dev.weft.proxy;

import static org.assertj.core.api.Assertions.assertThatCode;

import org.junit.jupiter.api.Test;

/**
 * The AOT cache's training run (what the launcher runs once per build) drives a real sidecar
 * and fails on any answer other than 200, so a change that breaks a trained path breaks here.
 */
class AotTrainingIT {
  @Test
  void theTrainingRunCompletesAgainstARealSidecar() {
    assertThatCode(() -> AotTraining.main(new String[] {"5"})).doesNotThrowAnyException();
  }
}

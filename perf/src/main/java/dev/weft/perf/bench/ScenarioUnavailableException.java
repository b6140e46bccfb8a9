package dev.weft.perf.bench;

/** A scenario cannot run here (a proxy is not installed, or refused its configuration); the run reports it as skipped. */
final class ScenarioUnavailableException extends Exception {
  private static final long serialVersionUID = 1L;

  ScenarioUnavailableException(String reason) {
    super(reason);
  }

  ScenarioUnavailableException(String reason, Throwable cause) {
    super(reason, cause);
  }
}

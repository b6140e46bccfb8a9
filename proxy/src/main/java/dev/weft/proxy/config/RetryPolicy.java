package dev.weft.proxy.config;

import java.time.Duration;
import java.util.Locale;
import java.util.Set;

/**
 * A route's retry policy (Envoy's {@code RetryPolicy}), set on the route or inherited from its
 * virtual host.
 *
 * @param retryOn                 the {@link Condition}s that allow a retry, as a bit set
 * @param retriableStatusCodes    statuses retried under {@code retriable-status-codes}
 * @param numRetries              retries after the first attempt (Envoy's default: 1)
 * @param perTryTimeout           timeout of each attempt, from when its request is sent; ZERO:
 *                                only the route timeout applies
 * @param baseInterval            back-off base interval (default 25 ms)
 * @param maxInterval             back-off cap (default 10 x base)
 * @param avoidPreviousHosts      the {@code envoy.retry_host_predicates.previous_hosts} predicate
 * @param hostSelectionRetryMaxAttempts how many times a pick of an already tried host is redone
 *                                (Envoy's default: 1)
 * @param bufferLimitBytes        how much request body is kept for replay; a larger body is not
 *                                retried (Envoy's {@code per_request_buffer_limit_bytes})
 */
public record RetryPolicy(
    int retryOn,
    Set<Integer> retriableStatusCodes,
    int numRetries,
    Duration perTryTimeout,
    Duration baseInterval,
    Duration maxInterval,
    boolean avoidPreviousHosts,
    int hostSelectionRetryMaxAttempts,
    int bufferLimitBytes) {

  public static final Duration DEFAULT_BASE_INTERVAL = Duration.ofMillis(25);

  /** No retries; only the route's own timeouts. */
  public static final RetryPolicy NONE = new RetryPolicy(0, Set.of(), 0, Duration.ZERO, DEFAULT_BASE_INTERVAL,
      DEFAULT_BASE_INTERVAL.multipliedBy(10), false, 1, 0);

  public RetryPolicy {
    retriableStatusCodes = Set.copyOf(retriableStatusCodes);
  }

  /** Whether {@code condition} is in {@code retry_on}. */
  public boolean on(Condition condition) {
    return (retryOn & condition.bit) != 0;
  }

  /** Whether any attempt after the first may happen. */
  public boolean retries() {
    return numRetries > 0 && retryOn != 0;
  }

  /** Envoy's {@code retry_on} vocabulary (HTTP and gRPC conditions). */
  public enum Condition {
    FIVE_XX("5xx"),
    GATEWAY_ERROR("gateway-error"),
    RESET("reset"),
    CONNECT_FAILURE("connect-failure"),
    REFUSED_STREAM("refused-stream"),
    RETRIABLE_4XX("retriable-4xx"),
    RETRIABLE_STATUS_CODES("retriable-status-codes"),
    GRPC_CANCELLED("cancelled"),
    GRPC_DEADLINE_EXCEEDED("deadline-exceeded"),
    GRPC_INTERNAL("internal"),
    GRPC_RESOURCE_EXHAUSTED("resource-exhausted"),
    GRPC_UNAVAILABLE("unavailable");

    private final String envoyName;
    private final int bit;

    Condition(String envoyName) {
      this.envoyName = envoyName;
      this.bit = 1 << ordinal();
    }

    public String envoyName() {
      return envoyName;
    }

    public int bit() {
      return bit;
    }

    /** The condition named {@code name} in Envoy's {@code retry_on}, or null. */
    public static Condition of(String name) {
      String n = name.trim().toLowerCase(Locale.ROOT);
      for (Condition c : values()) {
        if (c.envoyName.equals(n)) {
          return c;
        }
      }
      return null;
    }
  }
}

package dev.weft.proxy.config;

import java.time.Duration;
import java.util.List;

/**
 * Envoy's HTTP fault filter ({@code envoy.extensions.filters.http.fault.v3.HTTPFault}): delay
 * and/or abort a share of the requests, optionally only those whose headers match.
 *
 * @param filterName      the filter's name (the key of per-route overrides)
 * @param delay           fixed delay, or null for none
 * @param delayPercent    share of requests delayed
 * @param abortHttpStatus status answered to aborted requests, or 0
 * @param abortGrpcStatus gRPC status answered to aborted requests, or -1
 * @param abortPercent    share of requests aborted (after any delay)
 * @param headers         all must match for the fault to apply
 * @param maxActiveFaults requests with an injected fault at once (across event loops), or
 *                        {@code Integer.MAX_VALUE} for no limit (Envoy's default)
 */
public record FaultConfig(
    String filterName,
    Duration delay,
    FractionalPercent delayPercent,
    int abortHttpStatus,
    int abortGrpcStatus,
    FractionalPercent abortPercent,
    List<HeaderMatcher> headers,
    int maxActiveFaults) {

  public FaultConfig {
    headers = List.copyOf(headers);
  }

  public boolean hasDelay() {
    return delay != null;
  }

  public boolean hasAbort() {
    return abortHttpStatus > 0 || abortGrpcStatus >= 0;
  }
}

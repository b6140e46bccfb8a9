package dev.weft.controlplane.policy;

import java.time.Duration;
import java.util.List;
import java.util.Map;

/**
 * {@code kind: TrafficRoute}: how calls to a service are routed (Istio's VirtualService, Linkerd's
 * HTTPRoute, simplified). Routes are tried in order; the first whose match fits is used; a request
 * no route matches goes to the service as a whole.
 *
 * @param meta    identity and source
 * @param service the service (in the policy's namespace) these routes apply to
 * @param timeout default timeout of every route, or null for the proxy's default
 * @param retries default retries of every route (and the service's retry budget), or null
 * @param routes  the routes, in order
 */
public record TrafficRoute(PolicyMeta meta, String service, Duration timeout, RetryPolicy retries,
    List<HttpRoute> routes) {

  public TrafficRoute {
    routes = List.copyOf(routes);
  }

  /**
   * One route.
   *
   * @param name            optional name (Envoy's route name)
   * @param matches         alternatives (any one matches); empty matches every request
   * @param backends        where matching requests go, with weights adding up to 100
   * @param timeout         whole-request timeout including retries, or null
   * @param retries         retries, or null for the spec's (or the mesh's) default
   * @param fault           fault injection, or null
   * @param requestHeaders  changes to request headers
   * @param responseHeaders changes to response headers
   * @param rewrite         path prefix / authority rewrite, or null
   */
  public record HttpRoute(String name, List<Match> matches, List<Backend> backends, Duration timeout,
      RetryPolicy retries, Fault fault, HeaderChanges requestHeaders, HeaderChanges responseHeaders, Rewrite rewrite) {
    public HttpRoute {
      matches = List.copyOf(matches);
      backends = List.copyOf(backends);
    }
  }

  /** One alternative of a route's match: all given conditions must hold. */
  public record Match(StringMatch path, List<HeaderMatch> headers, String method) {
    public Match {
      headers = List.copyOf(headers);
    }
  }

  /** A string condition: exact, prefix or RE2 regex. */
  public record StringMatch(Kind kind, String value) {
    public enum Kind { EXACT, PREFIX, REGEX }
  }

  /** A header condition; {@code match} null means "present". */
  public record HeaderMatch(String name, StringMatch match) {}

  /**
   * A backend of a route.
   *
   * @param service the service (in the policy's namespace)
   * @param subset  a subset defined in that service's DestinationPolicy, or null for all endpoints
   * @param port    the service port, or 0 for the port the request came to
   * @param weight  share of the route's requests, in percent
   */
  public record Backend(String service, String subset, int port, int weight) {}

  /** Fault injection (Envoy's HTTP fault filter). */
  public record Fault(Delay delay, Abort abort) {
    /** Delay {@code percent} of requests by {@code fixedDelay}. */
    public record Delay(Duration fixedDelay, double percent) {}

    /** Abort {@code percent} of requests with an HTTP status or a gRPC status (one of them is 0). */
    public record Abort(int httpStatus, int grpcStatus, double percent) {}
  }

  /** Header changes: set (replace), add (append) and remove. */
  public record HeaderChanges(Map<String, String> set, Map<String, String> add, List<String> remove) {
    public static final HeaderChanges NONE = new HeaderChanges(Map.of(), Map.of(), List.of());

    public HeaderChanges {
      set = java.util.Collections.unmodifiableMap(new java.util.LinkedHashMap<>(set));
      add = java.util.Collections.unmodifiableMap(new java.util.LinkedHashMap<>(add));
      remove = List.copyOf(remove);
    }

    public boolean isEmpty() {
      return set.isEmpty() && add.isEmpty() && remove.isEmpty();
    }
  }

  /** Rewrites before forwarding: the path prefix that matched, and the authority (Host). */
  public record Rewrite(String prefix, String authority) {}
}

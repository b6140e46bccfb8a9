package dev.weft.proxy.config;

/**
 * One route: a match and what to do with matching requests.
 *
 * @param requestHeaders  header changes for requests taking this route
 * @param responseHeaders header changes for their responses
 * @param faults          fault filter configs replacing the listener's for this route, by filter
 *                        name ({@code typed_per_filter_config})
 */
public record Route(
    String name,
    RouteMatch match,
    RouteAction action,
    HeaderMutation requestHeaders,
    HeaderMutation responseHeaders,
    java.util.Map<String, FaultConfig> faults) {

  public Route {
    faults = java.util.Map.copyOf(faults);
  }

  public Route(String name, RouteMatch match, RouteAction action, HeaderMutation requestHeaders,
      HeaderMutation responseHeaders) {
    this(name, match, action, requestHeaders, responseHeaders, java.util.Map.of());
  }
}

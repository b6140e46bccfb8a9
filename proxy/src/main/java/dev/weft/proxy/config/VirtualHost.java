package dev.weft.proxy.config;

import java.util.List;

/**
 * A virtual host: the domains it serves and its routes, tried in order.
 *
 * @param faults fault filter configs replacing the listener's for this host's routes, by filter
 *               name ({@code typed_per_filter_config}); a route's own override wins
 */
public record VirtualHost(
    String name,
    List<String> domains,
    List<Route> routes,
    HeaderMutation requestHeaders,
    HeaderMutation responseHeaders,
    java.util.Map<String, FaultConfig> faults) {

  public VirtualHost {
    domains = List.copyOf(domains);
    routes = List.copyOf(routes);
    faults = java.util.Map.copyOf(faults);
  }

  public VirtualHost(String name, List<String> domains, List<Route> routes, HeaderMutation requestHeaders,
      HeaderMutation responseHeaders) {
    this(name, domains, routes, requestHeaders, responseHeaders, java.util.Map.of());
  }
}

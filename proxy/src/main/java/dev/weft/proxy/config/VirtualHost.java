package dev.weft.proxy.config;

import java.util.List;

/** A virtual host: the domains it serves and its routes, tried in order. */
public record VirtualHost(
    String name,
    List<String> domains,
    List<Route> routes,
    HeaderMutation requestHeaders,
    HeaderMutation responseHeaders) {

  public VirtualHost {
    domains = List.copyOf(domains);
    routes = List.copyOf(routes);
  }
}

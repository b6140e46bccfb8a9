package dev.weft.proxy.config;

import java.util.List;
import java.util.Map;

/**
 * A route configuration: virtual hosts selected by Host/:authority, each with ordered routes.
 * Lookup structures are built once here so matching a request allocates nothing.
 *
 * @param name                     route configuration name
 * @param virtualHosts             virtual hosts in configuration order
 * @param requestHeaders           header changes applied to every routed request
 * @param responseHeaders          header changes applied to every response
 * @param ignorePortInHostMatching match virtual hosts on the host without its port
 */
public record RouteTable(
    String name,
    List<VirtualHost> virtualHosts,
    HeaderMutation requestHeaders,
    HeaderMutation responseHeaders,
    boolean ignorePortInHostMatching,
    DomainIndex index) {

  public RouteTable(String name, List<VirtualHost> virtualHosts, HeaderMutation requestHeaders,
      HeaderMutation responseHeaders, boolean ignorePortInHostMatching) {
    this(name, List.copyOf(virtualHosts), requestHeaders, responseHeaders, ignorePortInHostMatching,
        DomainIndex.of(virtualHosts));
  }

  /** A table with no virtual hosts (every request gets 404): an RDS name before its routes arrive. */
  public static RouteTable empty(String name) {
    return new RouteTable(name, List.of(), HeaderMutation.NONE, HeaderMutation.NONE, false);
  }

  /**
   * The virtual host for a Host/:authority value, following Envoy's order: exact domain, then
   * the longest suffix wildcard ({@code *.example.com}), then the longest prefix wildcard
   * ({@code example.*}), then {@code *}. Domain matching is case-insensitive.
   */
  public VirtualHost findVirtualHost(String host, boolean stripPort) {
    if (host == null) {
      host = "";
    }
    if (stripPort || ignorePortInHostMatching) {
      host = stripPort(host);
    }
    return index.find(host);
  }

  /** {@code host} without a trailing {@code :port} (IPv6 literals keep their brackets). */
  public static String stripPort(String host) {
    int colon = host.lastIndexOf(':');
    if (colon < 0) {
      return host;
    }
    if (host.startsWith("[")) {
      int close = host.indexOf(']');
      return close >= 0 && colon > close ? host.substring(0, colon) : host;
    }
    return host.indexOf(':') == colon ? host.substring(0, colon) : host;
  }

  /** Domain lookup tables for a list of virtual hosts. */
  public record DomainIndex(
      Map<String, VirtualHost> exact,
      List<Map.Entry<String, VirtualHost>> suffixes,
      List<Map.Entry<String, VirtualHost>> prefixes,
      VirtualHost fallback) {

    static DomainIndex of(List<VirtualHost> hosts) {
      var exact = new java.util.HashMap<String, VirtualHost>();
      var suffixes = new java.util.ArrayList<Map.Entry<String, VirtualHost>>();
      var prefixes = new java.util.ArrayList<Map.Entry<String, VirtualHost>>();
      VirtualHost fallback = null;
      for (VirtualHost vh : hosts) {
        for (String raw : vh.domains()) {
          String d = raw.toLowerCase(java.util.Locale.ROOT);
          if (d.equals("*")) {
            if (fallback == null) {
              fallback = vh;
            }
          } else if (d.startsWith("*")) {
            suffixes.add(Map.entry(d.substring(1), vh));
          } else if (d.endsWith("*")) {
            prefixes.add(Map.entry(d.substring(0, d.length() - 1), vh));
          } else {
            exact.putIfAbsent(d, vh);
          }
        }
      }
      // Longest wildcard first: Envoy picks the most specific one.
      java.util.Comparator<Map.Entry<String, VirtualHost>> longestFirst =
          (a, b) -> Integer.compare(b.getKey().length(), a.getKey().length());
      suffixes.sort(longestFirst);
      prefixes.sort(longestFirst);
      return new DomainIndex(Map.copyOf(exact), List.copyOf(suffixes), List.copyOf(prefixes), fallback);
    }

    VirtualHost find(String host) {
      String h = host.toLowerCase(java.util.Locale.ROOT);
      VirtualHost vh = exact.get(h);
      if (vh != null) {
        return vh;
      }
      for (var e : suffixes) {
        // A wildcard must match at least one character: "*.foo.com" does not match ".foo.com".
        if (h.length() > e.getKey().length() && h.endsWith(e.getKey())) {
          return e.getValue();
        }
      }
      for (var e : prefixes) {
        if (h.length() > e.getKey().length() && h.startsWith(e.getKey())) {
          return e.getValue();
        }
      }
      return fallback;
    }
  }
}

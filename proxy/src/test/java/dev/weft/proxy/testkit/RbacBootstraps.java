package dev.weft.proxy.testkit;

/**
 * Bootstrap YAML snippets for authorization tests: HTTP listeners with RBAC HTTP filters before
 * the router, and TCP listeners with network RBAC filters before {@code tcp_proxy}.
 */
public final class RbacBootstraps {
  private RbacBootstraps() {}

  /**
   * An HTTP listener like {@link Bootstraps#httpListener} whose {@code http_filters} are
   * {@code filters} (YAML list items) followed by the router.
   */
  public static String httpListener(String name, String virtualHosts, String extraHcm, String filters) {
    String listener = Bootstraps.httpListener(name, virtualHosts, extraHcm);
    String marker = "http_filters:\n";
    int at = listener.indexOf(marker) + marker.length();
    int indent = listener.indexOf('-', at) - at;
    return listener.substring(0, at) + Bootstraps.indent(filters, indent) + "\n" + listener.substring(at);
  }

  /** An {@code envoy.filters.http.rbac} filter with {@code rules} (the YAML of an envoy.config.rbac.v3.RBAC). */
  public static String httpRbac(String rules) {
    return """
        - name: envoy.filters.http.rbac
          typed_config:
            "@type": type.googleapis.com/envoy.extensions.filters.http.rbac.v3.RBAC
            rules:
        %s
        """.formatted(Bootstraps.indent(rules, 6));
  }

  /** A TCP listener {@code name} to {@code cluster} with network RBAC {@code rules} (none when null). */
  public static String tcpListener(String name, String cluster, String rules) {
    String rbac = rules == null ? "" : """
        - name: envoy.filters.network.rbac
          typed_config:
            "@type": type.googleapis.com/envoy.extensions.filters.network.rbac.v3.RBAC
            stat_prefix: %s_rbac
            rules:
        %s
        """.formatted(name, Bootstraps.indent(rules, 6));
    return """
        - name: %s
          address: { socket_address: { address: 127.0.0.1, port_value: 0 } }
          filter_chains:
          - filters:
        %s
            - name: envoy.filters.network.tcp_proxy
              typed_config:
                "@type": type.googleapis.com/envoy.extensions.filters.network.tcp_proxy.v3.TcpProxy
                stat_prefix: %s
                cluster: %s
        """.formatted(name, Bootstraps.indent(rbac, 4), name, cluster);
  }
}

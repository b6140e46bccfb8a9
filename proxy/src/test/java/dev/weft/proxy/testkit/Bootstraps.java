package dev.weft.proxy.testkit;

/**
 * Bootstrap YAML snippets for tests. Listeners bind 127.0.0.1 port 0; admin too.
 */
public final class Bootstraps {
  private Bootstraps() {}

  /** A bootstrap with an admin server and the given listeners and clusters (YAML list items, indented 2). */
  public static String bootstrap(String listeners, String clusters) {
    return """
        node: { id: test, cluster: test }
        admin:
          address: { socket_address: { address: 127.0.0.1, port_value: 0 } }
        static_resources:
          listeners:
        %s
          clusters:
        %s
        """.formatted(indent(listeners, 2), indent(clusters, 2));
  }

  /** An HTTP listener named {@code name} (codec AUTO) with the given route_config virtual hosts. */
  public static String httpListener(String name, String virtualHosts, String extraHcm) {
    return """
        - name: %s
          address: { socket_address: { address: 127.0.0.1, port_value: 0 } }
          filter_chains:
          - filters:
            - name: envoy.filters.network.http_connection_manager
              typed_config:
                "@type": type.googleapis.com/envoy.extensions.filters.network.http_connection_manager.v3.HttpConnectionManager
                stat_prefix: %s
        %s
                route_config:
                  name: routes
                  virtual_hosts:
        %s
                http_filters:
                - name: envoy.filters.http.router
                  typed_config: { "@type": type.googleapis.com/envoy.extensions.filters.http.router.v3.Router }
        """.formatted(name, name, indent(extraHcm, 8), indent(virtualHosts, 10));
  }

  /** One catch-all virtual host routing every path to {@code cluster}. */
  public static String routeAllTo(String cluster) {
    return """
        - name: all
          domains: ["*"]
          routes:
          - match: { prefix: "/" }
            route: { cluster: %s }
        """.formatted(cluster);
  }

  /** A STATIC cluster on 127.0.0.1 ports; {@code http2} makes it speak h2c upstream. */
  public static String cluster(String name, boolean http2, int... ports) {
    StringBuilder eps = new StringBuilder();
    for (int p : ports) {
      eps.append("      - endpoint: { address: { socket_address: { address: 127.0.0.1, port_value: ")
          .append(p).append(" } } }\n");
    }
    String h2 = http2 ? """
          typed_extension_protocol_options:
            envoy.extensions.upstreams.http.v3.HttpProtocolOptions:
              "@type": type.googleapis.com/envoy.extensions.upstreams.http.v3.HttpProtocolOptions
              explicit_http_config: { http2_protocol_options: {} }
        """ : "";
    return """
        - name: %s
          type: STATIC
          connect_timeout: 1s
        %s  load_assignment:
            cluster_name: %s
            endpoints:
            - lb_endpoints:
        %s""".formatted(name, h2, name, eps);
  }

  /**
   * {@link #cluster} with extra Cluster fields ({@code extra}: YAML at the cluster's top level,
   * unindented), e.g. {@code circuit_breakers}, {@code outlier_detection}, {@code health_checks}.
   */
  public static String clusterWith(String name, boolean http2, String extra, int... ports) {
    return cluster(name, http2, ports).replace("  connect_timeout: 1s\n",
        "  connect_timeout: 1s\n" + indent(extra, 2) + "\n");
  }

  /** A complete bootstrap: listener "http" routing everything to cluster "app" on {@code ports}. */
  public static String simple(boolean upstreamHttp2, int... ports) {
    return bootstrap(httpListener("http", routeAllTo("app"), ""), cluster("app", upstreamHttp2, ports));
  }

  /**
   * Inserts HTTP filters (YAML list items, unindented) before the router of the first HTTP
   * listener in {@code yaml}, for example an {@code envoy.filters.http.fault}.
   */
  public static String withHttpFilters(String yaml, String filters) {
    String key = "http_filters:\n";
    int at = yaml.indexOf(key) + key.length();
    int column = 0;
    while (yaml.charAt(at + column) == ' ') {
      column++;
    }
    return yaml.substring(0, at) + indent(filters, column) + "\n" + yaml.substring(at);
  }

  static String indent(String s, int n) {
    if (s.isBlank()) {
      return "";
    }
    String pad = " ".repeat(n);
    StringBuilder sb = new StringBuilder();
    for (String line : s.stripTrailing().split("\n", -1)) {
      sb.append(line.isEmpty() ? "" : pad + line).append('\n');
    }
    return sb.toString().stripTrailing();
  }
}

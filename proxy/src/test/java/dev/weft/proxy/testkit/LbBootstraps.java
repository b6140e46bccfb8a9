package dev.weft.proxy.testkit;

/** Bootstrap YAML for load-balancing tests: clusters with priorities, localities and LB settings. */
public final class LbBootstraps {
  private LbBootstraps() {}

  /**
   * One {@code LocalityLbEndpoints} item: 127.0.0.1 ports at {@code priority} in zone {@code zone}
   * (locality weight {@code localityWeight}, 0 for unset), each with {@code healthStatus} (null for unset).
   */
  public static String locality(int priority, String zone, int localityWeight, String healthStatus, int... ports) {
    StringBuilder sb = new StringBuilder();
    sb.append("- priority: ").append(priority).append('\n');
    sb.append("  locality: { region: test, zone: ").append(zone).append(" }\n");
    if (localityWeight > 0) {
      sb.append("  load_balancing_weight: ").append(localityWeight).append('\n');
    }
    sb.append("  lb_endpoints:\n");
    for (int p : ports) {
      sb.append("  - endpoint: { address: { socket_address: { address: 127.0.0.1, port_value: ")
          .append(p).append(" } } }\n");
      if (healthStatus != null) {
        sb.append("    health_status: ").append(healthStatus).append('\n');
      }
    }
    return sb.toString();
  }

  /** Endpoints with weights: ports[i] gets weights[i], all priority 0. */
  public static String weighted(int[] ports, int[] weights) {
    StringBuilder sb = new StringBuilder("- lb_endpoints:\n");
    for (int i = 0; i < ports.length; i++) {
      sb.append("  - endpoint: { address: { socket_address: { address: 127.0.0.1, port_value: ")
          .append(ports[i]).append(" } } }\n");
      sb.append("    load_balancing_weight: ").append(weights[i]).append('\n');
    }
    return sb.toString();
  }

  /**
   * A STATIC cluster with {@code lb_policy} and extra Cluster fields (YAML at the cluster's
   * indentation, may be empty) over the given {@code LocalityLbEndpoints} items.
   */
  public static String cluster(String name, String lbPolicy, String extra, String localities) {
    return """
        - name: %s
          type: STATIC
          connect_timeout: 1s
          lb_policy: %s
        %s
          load_assignment:
            cluster_name: %s
            endpoints:
        %s
        """.formatted(name, lbPolicy, Bootstraps.indent(extra, 2), name, Bootstraps.indent(localities, 4));
  }

  /** A catch-all virtual host to {@code cluster} with route-level YAML (e.g. a hash_policy list). */
  public static String routeAllTo(String cluster, String routeExtra) {
    return """
        - name: all
          domains: ["*"]
          routes:
          - match: { prefix: "/" }
            route:
              cluster: %s
        %s
        """.formatted(cluster, Bootstraps.indent(routeExtra, 6));
  }

  /** Listener "http" routing everything to {@code clusterYaml}'s cluster "app", with route extras. */
  public static String http(String routeExtra, String clusterYaml) {
    return Bootstraps.bootstrap(Bootstraps.httpListener("http", routeAllTo("app", routeExtra), ""), clusterYaml);
  }
}

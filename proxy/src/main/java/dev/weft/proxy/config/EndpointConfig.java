package dev.weft.proxy.config;

/**
 * One upstream endpoint as the cluster's {@code ClusterLoadAssignment} describes it.
 *
 * @param address        its address
 * @param weight         load-balancing weight within its locality (1 when unset)
 * @param priority       the priority level of its {@code LocalityLbEndpoints} (0 is the highest)
 * @param locality       its locality ({@link Locality#NONE} when unset)
 * @param localityWeight the {@code load_balancing_weight} of its locality (0 when unset; used only
 *                       with {@code locality_weighted_lb_config})
 * @param healthStatus   the health status the control plane reported ({@code health_status})
 */
public record EndpointConfig(SocketAddressConfig address, int weight, int priority, Locality locality,
    int localityWeight, HealthStatus healthStatus) {

  /** An endpoint of priority 0 with no locality and no reported health. */
  public EndpointConfig(SocketAddressConfig address, int weight) {
    this(address, weight, 0, Locality.NONE, 0, HealthStatus.UNKNOWN);
  }

  /** Whether the control plane's status lets the endpoint take traffic outside panic mode. */
  public boolean edsHealthy() {
    return healthStatus.takesTraffic();
  }

  /** Envoy's {@code Locality}. */
  public record Locality(String region, String zone, String subZone) {
    public static final Locality NONE = new Locality("", "", "");

    @Override
    public String toString() {
      return region + "/" + zone + "/" + subZone;
    }
  }

  /**
   * Envoy's {@code HealthStatus} of an endpoint. UNHEALTHY, DRAINING and TIMEOUT hosts count in
   * their priority's size but take no traffic unless the priority is in panic; DEGRADED hosts are
   * treated as healthy.
   */
  public enum HealthStatus {
    UNKNOWN, HEALTHY, UNHEALTHY, DRAINING, TIMEOUT, DEGRADED;

    public boolean takesTraffic() {
      return this != UNHEALTHY && this != DRAINING && this != TIMEOUT;
    }
  }
}

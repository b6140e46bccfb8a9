package dev.weft.proxy.config;

import java.util.List;

/**
 * A translated {@code ClusterLoadAssignment}: the endpoints (with priority, locality and health
 * status) and the assignment's {@code policy.overprovisioning_factor}.
 */
public record LoadAssignment(List<EndpointConfig> endpoints, int overprovisioningFactor) {
  public LoadAssignment {
    endpoints = List.copyOf(endpoints);
  }
}

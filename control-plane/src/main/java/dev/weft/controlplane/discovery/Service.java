package dev.weft.controlplane.discovery;

import java.util.List;

/**
 * A service: a stable name in front of a set of endpoints.
 *
 * @param namespace its namespace
 * @param name      its name
 * @param ports     the ports it exposes
 * @param endpoints the endpoints behind it (from EndpointSlices, or the registry file)
 */
public record Service(String namespace, String name, List<ServicePort> ports, List<Endpoint> endpoints) {

  public Service {
    ports = List.copyOf(ports);
    endpoints = List.copyOf(endpoints);
  }

  /** The cluster-local DNS name, {@code name.namespace.svc.cluster.local}. */
  public String hostname() {
    return name + "." + namespace + ".svc.cluster.local";
  }
}

package dev.weft.controlplane.discovery;

import java.util.List;
import java.util.Optional;

/**
 * One immutable view of the mesh's services and workloads, produced alike by the local registry
 * file and by the Kubernetes informers. The translator reads only this.
 *
 * @param services  every service, with its ports and endpoints
 * @param workloads every workload (pod) that may run a sidecar
 */
public record RegistrySnapshot(List<Service> services, List<Workload> workloads) {

  public static final RegistrySnapshot EMPTY = new RegistrySnapshot(List.of(), List.of());

  public RegistrySnapshot {
    services = List.copyOf(services);
    workloads = List.copyOf(workloads);
  }

  /** The service {@code name} in {@code namespace}. */
  public Optional<Service> service(String namespace, String name) {
    return services.stream().filter(s -> s.namespace().equals(namespace) && s.name().equals(name)).findFirst();
  }

  /** The workload named {@code name} in {@code namespace}. */
  public Optional<Workload> workload(String namespace, String name) {
    return workloads.stream().filter(w -> w.namespace().equals(namespace) && w.name().equals(name)).findFirst();
  }
}

package dev.weft.controlplane.discovery;

import java.util.Map;

/**
 * One endpoint of a service (an address of a pod that backs it).
 *
 * @param address        IP literal
 * @param workload       the workload (pod) name behind it, or empty when unknown
 * @param labels         the workload's labels (subsets select on these)
 * @param locality       where it runs
 * @param serviceAccount the workload's service account (its SPIFFE identity is derived from it)
 * @param ready          EndpointSlice condition {@code ready}
 * @param serving        EndpointSlice condition {@code serving}
 * @param terminating    EndpointSlice condition {@code terminating}
 */
public record Endpoint(
    String address,
    String workload,
    Map<String, String> labels,
    Locality locality,
    String serviceAccount,
    boolean ready,
    boolean serving,
    boolean terminating) {

  public Endpoint {
    labels = Map.copyOf(labels);
  }
}

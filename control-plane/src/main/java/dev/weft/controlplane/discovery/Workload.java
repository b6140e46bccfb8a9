package dev.weft.controlplane.discovery;

import java.util.Map;

/**
 * A workload (pod) that may run a sidecar.
 *
 * @param namespace      its namespace
 * @param name           its name (the sidecar's node id is {@code name.namespace})
 * @param serviceAccount its service account
 * @param address        its IP literal
 * @param labels         its labels
 * @param locality       where it runs
 */
public record Workload(
    String namespace,
    String name,
    String serviceAccount,
    String address,
    Map<String, String> labels,
    Locality locality) {

  public Workload {
    labels = Map.copyOf(labels);
  }
}

package dev.weft.controlplane.policy;

import java.util.Map;

/**
 * {@code kind: MTLSPolicy}: the mutual TLS mode of the workloads it selects (Istio's
 * PeerAuthentication). Without a selector it applies to the whole namespace; a workload-level
 * policy wins over the namespace's, which wins over the mesh default.
 *
 * @param meta     identity and source
 * @param selector pod labels that select workloads; empty for the whole namespace
 * @param mode     STRICT, PERMISSIVE or DISABLE
 */
public record MtlsPolicy(PolicyMeta meta, Map<String, String> selector, Mode mode) {
  public MtlsPolicy {
    selector = Map.copyOf(selector);
  }
}

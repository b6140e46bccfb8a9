package dev.weft.controlplane.translate;

/**
 * The sidecar asking for config, as identified by the xDS {@code node} of its first request
 * (node id {@code <workload>.<namespace>}; see the translator for the metadata it reads).
 *
 * @param id        the Envoy node id
 * @param namespace the workload's namespace
 * @param workload  the workload's name
 */
public record ProxyNode(String id, String namespace, String workload) {}

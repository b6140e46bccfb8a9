package dev.weft.controlplane.policy;

/**
 * {@code kind: MeshConfig}: mesh-wide defaults (at most one per mesh).
 *
 * @param meta           identity and source (null for the built-in default)
 * @param trustDomain    the SPIFFE trust domain, or null to keep the control plane's
 * @param mtlsMode       the default mTLS mode of every workload
 * @param defaultRetries retries of every route that sets none, or null
 */
public record MeshConfig(PolicyMeta meta, String trustDomain, Mode mtlsMode, RetryPolicy defaultRetries) {
  /** No MeshConfig document: PERMISSIVE, no default retries, the control plane's trust domain. */
  public static final MeshConfig DEFAULT = new MeshConfig(null, null, Mode.PERMISSIVE, null);
}

package dev.weft.controlplane.policy;

/** Mutual TLS mode of a workload's inbound side, as Istio's PeerAuthentication. */
public enum Mode {
  /** Only mTLS from mesh peers is accepted; a client certificate is required. */
  STRICT,
  /** mTLS and plaintext are both accepted (the default, for migrating). */
  PERMISSIVE,
  /** Plaintext only; callers do not use TLS to reach this workload. */
  DISABLE
}

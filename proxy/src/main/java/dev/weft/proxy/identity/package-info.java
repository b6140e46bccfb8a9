/**
 * The sidecar's own workload identity: {@link dev.weft.proxy.identity.CaClient} gets CSRs signed
 * by the control plane's CA service over a small HTTP/2 gRPC client, for a {@link
 * dev.weft.certs.WorkloadIdentity} that keeps the sidecar's certificate fresh.
 */
package dev.weft.proxy.identity;

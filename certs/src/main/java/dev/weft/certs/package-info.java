/**
 * Workload identity for Weft: a BouncyCastle certificate authority, SPIFFE IDs, PEM I/O, trust
 * bundles and a self-renewing workload certificate.
 *
 * <p>Every workload is identified by exactly one SPIFFE ID of the form {@code
 * spiffe://<trust-domain>/ns/<namespace>/sa/<service-account>}, carried as the only URI SAN of an
 * X.509 leaf certificate. The control plane's CA ({@link dev.weft.certs.CertificateAuthority})
 * signs workload CSRs for the identity it authenticated; sidecars hold their key and chain in a
 * {@link dev.weft.certs.WorkloadIdentity} and check peers against a {@link
 * dev.weft.certs.TrustBundle}.
 */
package dev.weft.certs;

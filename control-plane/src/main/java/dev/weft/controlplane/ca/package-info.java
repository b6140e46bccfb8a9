/**
 * The control plane's certificate authority service: authenticates workloads by their Kubernetes
 * service-account token (or a local bootstrap token), signs their CSRs for the SPIFFE ID that
 * authentication yields, and serves {@code weft.ca.v1.CertificateService} over TLS. {@link
 * dev.weft.controlplane.ca.CaCommand} is the {@code weft ca} command line.
 */
package dev.weft.controlplane.ca;

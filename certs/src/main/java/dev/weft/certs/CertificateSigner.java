package dev.weft.certs;

import java.time.Duration;
import java.util.concurrent.CompletableFuture;

import org.bouncycastle.pkcs.PKCS10CertificationRequest;

/**
 * Gets a workload CSR signed. The signer decides the identity to certify from how the caller is
 * authenticated (for the control plane's CA service, the workload's Kubernetes service account);
 * the CSR only proposes the key.
 *
 * <p>{@link LocalCertificateSigner} signs in-process with a {@link CertificateAuthority}; the CA
 * service client in the proxy implements the same interface over gRPC.
 */
@FunctionalInterface
public interface CertificateSigner {

  /**
   * Requests a certificate for the CSR's key.
   *
   * @param csr the PKCS#10 request, signed by the key to certify
   * @param requestedTtl the lifetime asked for; the CA may shorten it
   * @return a future of the issued chain, leaf first; completes exceptionally if the request is
   *     refused or the CA cannot be reached
   */
  CompletableFuture<CertificateChain> sign(PKCS10CertificationRequest csr, Duration requestedTtl);
}

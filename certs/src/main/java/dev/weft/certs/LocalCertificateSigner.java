package dev.weft.certs;

import java.time.Duration;
import java.util.Objects;
import java.util.concurrent.CompletableFuture;
import java.util.concurrent.Executor;

import org.bouncycastle.pkcs.PKCS10CertificationRequest;

/**
 * A {@link CertificateSigner} backed by an in-process {@link CertificateAuthority}, for a caller
 * whose identity is known without a network handshake: the control plane's own certificate, tests,
 * and single-process deployments.
 *
 * <p>Signing runs on the given executor so callers on an event loop are not blocked by the CA's
 * public-key operations.
 */
public final class LocalCertificateSigner implements CertificateSigner {

  private final CertificateAuthority authority;
  private final SpiffeId identity;
  private final Executor executor;

  /**
   * Creates the signer.
   *
   * @param authority the CA that signs
   * @param identity the identity every certificate from this signer certifies
   * @param executor where signing runs
   */
  public LocalCertificateSigner(CertificateAuthority authority, SpiffeId identity, Executor executor) {
    this.authority = Objects.requireNonNull(authority, "authority");
    this.identity = Objects.requireNonNull(identity, "identity");
    this.executor = Objects.requireNonNull(executor, "executor");
  }

  @Override
  public CompletableFuture<CertificateChain> sign(PKCS10CertificationRequest csr, Duration requestedTtl) {
    Objects.requireNonNull(csr, "csr");
    Objects.requireNonNull(requestedTtl, "requestedTtl");
    return CompletableFuture.supplyAsync(() -> authority.sign(csr, identity, requestedTtl), executor);
  }

  @Override
  public String toString() {
    return "LocalCertificateSigner[identity=" + identity + ", trustDomain=" + authority.trustDomain() + "]";
  }
}

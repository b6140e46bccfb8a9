package dev.weft.controlplane.ca;

import dev.weft.certs.CertificateAuthority;
import dev.weft.certs.CertificateChain;
import dev.weft.certs.CsrRejectedException;
import dev.weft.certs.Pem;
import dev.weft.certs.PemException;
import dev.weft.certs.SpiffeId;
import dev.weft.certs.ca.v1.CertificateServiceGrpc;
import dev.weft.certs.ca.v1.CreateCertificateRequest;
import dev.weft.certs.ca.v1.CreateCertificateResponse;
import io.grpc.Context;
import io.grpc.Contexts;
import io.grpc.Metadata;
import io.grpc.ServerCall;
import io.grpc.ServerCallHandler;
import io.grpc.ServerInterceptor;
import io.grpc.Status;
import io.grpc.StatusException;
import io.grpc.stub.StreamObserver;
import java.security.cert.X509Certificate;
import java.time.Duration;
import java.util.ArrayList;
import java.util.List;
import java.util.Optional;
import java.util.concurrent.CompletableFuture;
import java.util.concurrent.ExecutionException;
import java.util.concurrent.ExecutorService;
import java.util.concurrent.RejectedExecutionException;
import org.bouncycastle.asn1.x509.Extension;
import org.bouncycastle.asn1.x509.Extensions;
import org.bouncycastle.asn1.x509.GeneralName;
import org.bouncycastle.asn1.x509.GeneralNames;
import org.bouncycastle.pkcs.PKCS10CertificationRequest;
import org.slf4j.Logger;
import org.slf4j.LoggerFactory;

/**
 * The {@code weft.ca.v1.CertificateService} implementation. Each call runs, in order:
 * authenticate the bearer token → rate-limit the authenticated identity → read the CSR → refuse a
 * CSR that asks for another identity → sign on the bounded signing executor. Every failure maps to
 * one gRPC status in {@link #createCertificate}; messages name the values involved and never
 * contain the token.
 *
 * <p>Handlers run on the server's executor (virtual threads), never on a Netty event loop, so the
 * blocking TokenReview and the wait for the signing pool are harmless.
 */
final class CertificateServiceImpl extends CertificateServiceGrpc.CertificateServiceImplBase {

  private static final Logger log = LoggerFactory.getLogger(CertificateServiceImpl.class);

  static final Metadata.Key<String> AUTHORIZATION = Metadata.Key.of("authorization", Metadata.ASCII_STRING_MARSHALLER);
  private static final Context.Key<String> AUTHORIZATION_VALUE = Context.key("weft-ca-authorization");

  private final CertificateAuthority ca;
  private final List<String> trustBundlePem;
  private final Authenticator authenticator;
  private final RateLimiter rateLimiter;
  private final ExecutorService signingExecutor;

  CertificateServiceImpl(CertificateAuthority ca, List<X509Certificate> roots, Authenticator authenticator,
      RateLimiter rateLimiter, ExecutorService signingExecutor) {
    this.ca = ca;
    this.trustBundlePem = roots.stream().map(Pem::writeCertificate).toList();
    this.authenticator = authenticator;
    this.rateLimiter = rateLimiter;
    this.signingExecutor = signingExecutor;
  }

  /** Copies the {@code authorization} metadata into the call's context for the handler. */
  static ServerInterceptor authorizationInterceptor() {
    return new ServerInterceptor() {
      @Override
      public <Q, R> ServerCall.Listener<Q> interceptCall(ServerCall<Q, R> call, Metadata headers,
          ServerCallHandler<Q, R> next) {
        String value = headers.get(AUTHORIZATION);
        return Contexts.interceptCall(Context.current().withValue(AUTHORIZATION_VALUE, value), call, headers, next);
      }
    };
  }

  @Override
  public void createCertificate(CreateCertificateRequest request, StreamObserver<CreateCertificateResponse> response) {
    try {
      response.onNext(handle(request, AUTHORIZATION_VALUE.get()));
      response.onCompleted();
    } catch (StatusException e) {
      log.info("CreateCertificate refused: {} {}", e.getStatus().getCode(), e.getStatus().getDescription());
      response.onError(e);
    } catch (RuntimeException e) {
      log.error("CreateCertificate failed unexpectedly", e);
      response.onError(Status.INTERNAL.withDescription("CA failed to sign: " + e).asException());
    }
  }

  private CreateCertificateResponse handle(CreateCertificateRequest request, String authorization) throws StatusException {
    SpiffeId caller = authenticate(authorization);
    Optional<Duration> wait = rateLimiter.tryAcquire(caller);
    if (wait.isPresent()) {
      RateLimiter.Limits limits = rateLimiter.limits();
      throw Status.RESOURCE_EXHAUSTED.withDescription("rate limit for " + caller + " exceeded (burst "
          + limits.burst() + ", " + limits.perSecond() + "/s); retry in " + wait.get().toMillis() + "ms").asException();
    }
    PKCS10CertificationRequest csr;
    try {
      csr = Pem.readCsr(request.getCsr());
    } catch (PemException e) {
      throw Status.INVALID_ARGUMENT.withDescription("csr: " + e.getMessage()).asException();
    }
    for (String requested : requestedUris(csr)) {
      if (!requested.equals(caller.toString())) {
        throw Status.PERMISSION_DENIED.withDescription("CSR asks for " + requested + " but the token authenticates "
            + caller).asException();
      }
    }
    Duration ttl = ca.leafTtl();
    if (request.hasValidity()) {
      ttl = Duration.ofSeconds(request.getValidity().getSeconds(), request.getValidity().getNanos());
      if (ttl.isNegative() || ttl.isZero()) {
        throw Status.INVALID_ARGUMENT.withDescription("validity: " + ttl + " (expected: > 0, or unset for the CA's default "
            + ca.leafTtl() + ")").asException();
      }
    }
    CertificateChain chain = sign(csr, caller, ttl);
    log.info("issued certificate for {}: serial {}, notAfter {}", caller,
        chain.leaf().getSerialNumber().toString(16), chain.notAfter());
    return CreateCertificateResponse.newBuilder()
        .addAllCertChain(chain.certificates().stream().map(Pem::writeCertificate).toList())
        .addAllTrustBundle(trustBundlePem)
        .build();
  }

  private SpiffeId authenticate(String authorization) throws StatusException {
    if (authorization == null || authorization.isBlank()) {
      throw Status.UNAUTHENTICATED.withDescription("missing authorization metadata (expected: authorization: Bearer <token>)")
          .asException();
    }
    if (!authorization.regionMatches(true, 0, "Bearer ", 0, 7) || authorization.substring(7).isBlank()) {
      throw Status.UNAUTHENTICATED.withDescription("authorization metadata is not a bearer token (expected: Bearer <token>)")
          .asException();
    }
    try {
      return authenticator.authenticate(authorization.substring(7).strip());
    } catch (AuthenticationException e) {
      throw Status.UNAUTHENTICATED.withDescription(e.getMessage()).asException();
    } catch (AuthenticatorUnavailableException e) {
      log.warn("cannot authenticate caller: {}", e.getMessage());
      throw Status.UNAVAILABLE.withDescription("cannot authenticate the token right now: " + e.getMessage()).asException();
    }
  }

  private CertificateChain sign(PKCS10CertificationRequest csr, SpiffeId caller, Duration ttl) throws StatusException {
    CompletableFuture<CertificateChain> signed;
    try {
      signed = CompletableFuture.supplyAsync(() -> ca.sign(csr, caller, ttl), signingExecutor);
    } catch (RejectedExecutionException e) {
      throw Status.RESOURCE_EXHAUSTED.withDescription("CA signing queue is full; retry later").asException();
    }
    try {
      return signed.get();
    } catch (InterruptedException e) {
      Thread.currentThread().interrupt();
      throw Status.CANCELLED.withDescription("interrupted while signing").asException();
    } catch (ExecutionException e) {
      Throwable cause = e.getCause();
      if (cause instanceof CsrRejectedException rejected) {
        throw Status.INVALID_ARGUMENT.withDescription(rejected.getMessage()).asException();
      }
      if (cause instanceof IllegalStateException broken) {
        throw Status.FAILED_PRECONDITION.withDescription(broken.getMessage()).asException();
      }
      if (cause instanceof IllegalArgumentException invalid) {
        throw Status.INVALID_ARGUMENT.withDescription(invalid.getMessage()).asException();
      }
      throw Status.INTERNAL.withDescription("CA failed to sign: " + cause).withCause(cause).asException();
    }
  }

  /** Returns the URI SANs the CSR requests, in order; empty if it requests none. */
  static List<String> requestedUris(PKCS10CertificationRequest csr) throws StatusException {
    List<String> uris = new ArrayList<>();
    try {
      Extensions extensions = csr.getRequestedExtensions();
      if (extensions == null) {
        return uris;
      }
      GeneralNames names = GeneralNames.fromExtensions(extensions, Extension.subjectAlternativeName);
      if (names == null) {
        return uris;
      }
      for (GeneralName name : names.getNames()) {
        if (name.getTagNo() == GeneralName.uniformResourceIdentifier) {
          uris.add(name.getName().toString());
        }
      }
    } catch (RuntimeException e) {
      throw Status.INVALID_ARGUMENT.withDescription("csr: requested extensions cannot be read: " + e.getMessage())
          .asException();
    }
    return uris;
  }
}

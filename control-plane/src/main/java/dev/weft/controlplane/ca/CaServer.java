package dev.weft.controlplane.ca;

import dev.weft.certs.CertificateAuthority;
import dev.weft.certs.CertifiedKey;
import dev.weft.certs.SpiffeId;
import dev.weft.certs.TrustDomain;
import dev.weft.certs.WorkloadIdentity;
import io.grpc.Server;
import io.grpc.ServerInterceptors;
import io.grpc.TlsServerCredentials;
import io.grpc.netty.shaded.io.grpc.netty.NettyServerBuilder;
import io.grpc.netty.shaded.io.netty.channel.ChannelOption;
import java.io.IOException;
import java.net.InetAddress;
import java.net.InetSocketAddress;
import java.security.cert.X509Certificate;
import java.time.Clock;
import java.time.Duration;
import java.util.List;
import java.util.Objects;
import java.util.concurrent.ArrayBlockingQueue;
import java.util.concurrent.ExecutionException;
import java.util.concurrent.ExecutorService;
import java.util.concurrent.Executors;
import java.util.concurrent.ScheduledExecutorService;
import java.util.concurrent.ThreadPoolExecutor;
import java.util.concurrent.TimeUnit;
import java.util.concurrent.TimeoutException;
import org.slf4j.Logger;
import org.slf4j.LoggerFactory;

/**
 * The control plane's CA service: a gRPC server for {@code weft.ca.v1.CertificateService} over TLS.
 *
 * <p>Its serving certificate is issued by the CA it serves, for {@code
 * spiffe://<td>/ns/weft-system/sa/weft-control-plane} plus DNS {@code localhost} and IP {@code
 * 127.0.0.1} by default, held in a {@link WorkloadIdentity} and rotated like any workload's. TLS
 * client certificates are not asked for: callers have none yet, and authenticate with a bearer
 * token instead (see {@link Authenticator}).
 *
 * <pre>{@code
 * try (CaServer server = CaServer.builder(CaMaterial.load(dir), authenticator)
 *     .address(new InetSocketAddress("127.0.0.1", 15012))
 *     .start()) {
 *   server.awaitTermination();
 * }
 * }</pre>
 *
 * <p>Request handlers run on virtual threads; signing runs on a bounded pool ({@code
 * signingThreads} threads, {@code signingQueue} waiting requests; beyond that callers get
 * RESOURCE_EXHAUSTED), and each caller identity is rate-limited by a {@link RateLimiter}.
 */
public final class CaServer implements AutoCloseable {

  private static final Logger log = LoggerFactory.getLogger(CaServer.class);

  /** Namespace of the control plane's own identity. */
  public static final String CONTROL_PLANE_NAMESPACE = "weft-system";
  /** Service account of the control plane's own identity. */
  public static final String CONTROL_PLANE_SERVICE_ACCOUNT = "weft-control-plane";

  private final Server server;
  private final CertificateAuthority authority;
  private final CaMaterial material;
  private final WorkloadIdentity servingIdentity;
  private final ScheduledExecutorService scheduler;
  private final ExecutorService signingExecutor;
  private final ExecutorService handlerExecutor;

  private CaServer(Server server, CertificateAuthority authority, CaMaterial material, WorkloadIdentity servingIdentity,
      ScheduledExecutorService scheduler, ExecutorService signingExecutor, ExecutorService handlerExecutor) {
    this.server = server;
    this.authority = authority;
    this.material = material;
    this.servingIdentity = servingIdentity;
    this.scheduler = scheduler;
    this.signingExecutor = signingExecutor;
    this.handlerExecutor = handlerExecutor;
  }

  /**
   * Starts configuring a CA server.
   *
   * @param material the CA key and certificates to sign with
   * @param authenticator decides callers' identities from their tokens
   */
  public static Builder builder(CaMaterial material, Authenticator authenticator) {
    return new Builder(material, authenticator);
  }

  /** Returns the control plane's SPIFFE ID in {@code trustDomain}, the serving certificate's identity. */
  public static SpiffeId controlPlaneIdentity(TrustDomain trustDomain) {
    return SpiffeId.forWorkload(trustDomain, CONTROL_PLANE_NAMESPACE, CONTROL_PLANE_SERVICE_ACCOUNT);
  }

  /** Returns the bound address; the port is the real one when 0 was asked for. */
  public InetSocketAddress address() {
    return (InetSocketAddress) server.getListenSockets().getFirst();
  }

  /** Returns the CA that signs workload certificates. */
  public CertificateAuthority authority() {
    return authority;
  }

  /** Returns the roots handed to workloads as their trust bundle. */
  public List<X509Certificate> trustBundle() {
    return material.roots();
  }

  /** Returns the serving certificate presented to new connections. */
  public CertifiedKey servingCertificate() {
    return servingIdentity.current();
  }

  /** Blocks until the server has shut down. */
  public void awaitTermination() throws InterruptedException {
    server.awaitTermination();
  }

  /** Stops accepting calls, gives running calls up to 5 seconds, and stops rotation. */
  @Override
  public void close() {
    server.shutdown();
    try {
      if (!server.awaitTermination(5, TimeUnit.SECONDS)) {
        server.shutdownNow().awaitTermination(5, TimeUnit.SECONDS);
      }
    } catch (InterruptedException e) {
      server.shutdownNow();
      Thread.currentThread().interrupt();
    }
    servingIdentity.close();
    scheduler.shutdownNow();
    signingExecutor.shutdownNow();
    handlerExecutor.shutdownNow();
  }

  @Override
  public String toString() {
    return "CaServer[address=" + address() + ", trustDomain=" + authority.trustDomain() + "]";
  }

  /** Configures a {@link CaServer}; every setting has a documented default. */
  public static final class Builder {

    private final CaMaterial material;
    private final Authenticator authenticator;
    private InetSocketAddress address = new InetSocketAddress(InetAddress.getLoopbackAddress(), 15012);
    private TrustDomain trustDomain;
    private Duration leafTtl = CertificateAuthority.DEFAULT_LEAF_TTL;
    private Duration maxLeafTtl = CertificateAuthority.DEFAULT_MAX_LEAF_TTL;
    private Duration servingTtl = CertificateAuthority.DEFAULT_LEAF_TTL;
    private RateLimiter.Limits rateLimits = RateLimiter.Limits.DEFAULT;
    private List<String> dnsNames = List.of("localhost");
    private List<InetAddress> ipAddresses = List.of(InetAddress.getLoopbackAddress());
    private int signingThreads = Math.max(1, Runtime.getRuntime().availableProcessors());
    private int signingQueue = 256;
    private Clock clock = Clock.systemUTC();
    private final List<io.grpc.BindableService> extraServices = new java.util.ArrayList<>();

    private Builder(CaMaterial material, Authenticator authenticator) {
      this.material = Objects.requireNonNull(material, "material");
      this.authenticator = Objects.requireNonNull(authenticator, "authenticator");
    }

    /** Sets the listening address (default 127.0.0.1:15012; port 0 picks a free port). */
    public Builder address(InetSocketAddress address) {
      this.address = Objects.requireNonNull(address, "address");
      return this;
    }

    /**
     * Sets the trust domain (default: the one in the CA certificate's SPIFFE ID, else {@code
     * cluster.local}). A CA certificate naming another trust domain is an error.
     */
    public Builder trustDomain(TrustDomain trustDomain) {
      this.trustDomain = Objects.requireNonNull(trustDomain, "trustDomain");
      return this;
    }

    /** Sets the lifetime of workload certificates when the caller asks for none (default 24 h). */
    public Builder leafTtl(Duration ttl) {
      this.leafTtl = Objects.requireNonNull(ttl, "ttl");
      return this;
    }

    /** Sets the longest workload certificate lifetime; longer requests are cut to it (default 7 days). */
    public Builder maxLeafTtl(Duration ttl) {
      this.maxLeafTtl = Objects.requireNonNull(ttl, "ttl");
      return this;
    }

    /** Sets the lifetime of the server's own certificate, renewed at about half of it (default 24 h). */
    public Builder servingTtl(Duration ttl) {
      this.servingTtl = Objects.requireNonNull(ttl, "ttl");
      return this;
    }

    /** Sets the per-caller rate limit (default burst 10, 1 per second). */
    public Builder rateLimits(RateLimiter.Limits limits) {
      this.rateLimits = Objects.requireNonNull(limits, "limits");
      return this;
    }

    /** Sets the DNS names of the serving certificate (default {@code localhost}). */
    public Builder dnsNames(List<String> names) {
      this.dnsNames = List.copyOf(names);
      return this;
    }

    /** Sets the IP addresses of the serving certificate (default the loopback address). */
    public Builder ipAddresses(List<InetAddress> addresses) {
      this.ipAddresses = List.copyOf(addresses);
      return this;
    }

    /** Sets the number of signing threads (default one per core) and waiting requests (default 256). */
    public Builder signingPool(int threads, int queue) {
      if (threads < 1 || queue < 1) {
        throw new IllegalArgumentException("signing pool: threads " + threads + ", queue " + queue + " (expected: >= 1 each)");
      }
      this.signingThreads = threads;
      this.signingQueue = queue;
      return this;
    }

    /** Serves another gRPC service on the same TLS port (the control plane adds its ADS service). */
    public Builder addService(io.grpc.BindableService service) {
      extraServices.add(Objects.requireNonNull(service, "service"));
      return this;
    }

    /** Sets the clock that dates certificates (default the system UTC clock). */
    public Builder clock(Clock clock) {
      this.clock = Objects.requireNonNull(clock, "clock");
      return this;
    }

    /**
     * Issues the serving certificate, binds and starts serving.
     *
     * @throws IOException if the address cannot be bound
     * @throws IllegalArgumentException if the CA material or settings are invalid
     */
    public CaServer start() throws IOException {
      TrustDomain domain = material.trustDomain(java.util.Optional.ofNullable(trustDomain), TrustDomain.of("cluster.local"));
      CertificateAuthority authority = material.authority(CertificateAuthority.builder(domain)
          .leafTtl(leafTtl.compareTo(maxLeafTtl) > 0 ? maxLeafTtl : leafTtl)
          .maxLeafTtl(maxLeafTtl)
          .clock(clock));
      ScheduledExecutorService scheduler = Executors.newSingleThreadScheduledExecutor(
          Thread.ofPlatform().name("weft-ca-rotation").daemon().factory());
      ExecutorService signing = new ThreadPoolExecutor(signingThreads, signingThreads, 0, TimeUnit.MILLISECONDS,
          new ArrayBlockingQueue<>(signingQueue), Thread.ofPlatform().name("weft-ca-signer-", 0).daemon().factory(),
          new ThreadPoolExecutor.AbortPolicy());
      ExecutorService handlers = Executors.newThreadPerTaskExecutor(Thread.ofVirtual().name("weft-ca-call-", 0).factory());
      WorkloadIdentity serving = null;
      try {
        SpiffeId servingId = controlPlaneIdentity(domain);
        serving = WorkloadIdentity.builder(servingId,
                new ServingCertificateSigner(material, servingId, dnsNames, ipAddresses, servingTtl, clock, signing),
                scheduler)
            .requestedTtl(servingTtl)
            .clock(clock)
            .build();
        serving.start().get(30, TimeUnit.SECONDS);
        io.grpc.ServerCredentials credentials = TlsServerCredentials.newBuilder()
            .keyManager(new RotatingKeyManager(serving))
            .build();
        CertificateServiceImpl service = new CertificateServiceImpl(authority, material.roots(), authenticator,
            new RateLimiter(rateLimits, System::nanoTime), signing);
        NettyServerBuilder serverBuilder = NettyServerBuilder.forAddress(address, credentials)
            .withOption(ChannelOption.SO_REUSEADDR, true)
            .executor(handlers)
            .maxInboundMessageSize(extraServices.isEmpty() ? 64 * 1024 : 4 * 1024 * 1024)
            .maxInboundMetadataSize(16 * 1024)
            .addService(ServerInterceptors.intercept(service, CertificateServiceImpl.authorizationInterceptor()));
        extraServices.forEach(serverBuilder::addService);
        Server server = serverBuilder.build().start();
        CaServer started = new CaServer(server, authority, material, serving, scheduler, signing, handlers);
        log.info("CA service for trust domain {} listening on {} as {}", domain, started.address(), servingId);
        return started;
      } catch (IOException | RuntimeException e) {
        stop(serving, scheduler, signing, handlers);
        throw e;
      } catch (InterruptedException e) {
        stop(serving, scheduler, signing, handlers);
        Thread.currentThread().interrupt();
        throw new IOException("interrupted while issuing the serving certificate", e);
      } catch (ExecutionException | TimeoutException e) {
        stop(serving, scheduler, signing, handlers);
        throw new IllegalStateException("cannot issue the CA server's own certificate: " + e.getMessage(), e);
      }
    }

    private static void stop(WorkloadIdentity serving, ExecutorService... executors) {
      if (serving != null) {
        serving.close();
      }
      for (ExecutorService executor : executors) {
        executor.shutdownNow();
      }
    }
  }
}

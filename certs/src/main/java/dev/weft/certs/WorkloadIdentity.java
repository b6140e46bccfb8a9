package dev.weft.certs;

import java.security.KeyPair;
import java.security.SecureRandom;
import java.time.Clock;
import java.time.Duration;
import java.time.Instant;
import java.util.List;
import java.util.Objects;
import java.util.Optional;
import java.util.concurrent.CompletableFuture;
import java.util.concurrent.CompletionException;
import java.util.concurrent.CopyOnWriteArrayList;
import java.util.concurrent.ExecutionException;
import java.util.concurrent.RejectedExecutionException;
import java.util.concurrent.ScheduledExecutorService;
import java.util.concurrent.ScheduledFuture;
import java.util.concurrent.TimeUnit;
import java.util.concurrent.TimeoutException;
import java.util.concurrent.atomic.AtomicBoolean;
import java.util.concurrent.atomic.AtomicReference;
import java.util.random.RandomGenerator;

import org.bouncycastle.pkcs.PKCS10CertificationRequest;
import org.slf4j.Logger;
import org.slf4j.LoggerFactory;

/**
 * A workload's own certificate, kept fresh: the key pair is generated locally and never leaves the
 * process; a CSR for it is signed through a {@link CertificateSigner}; the certificate is renewed
 * with a new key at about half its lifetime.
 *
 * <pre>{@code
 * WorkloadIdentity identity = WorkloadIdentity.builder(id, signer, scheduler).build();
 * identity.addListener(key -> sslContexts.rebuild(key));
 * identity.start().join();                // first certificate
 * CertifiedKey key = identity.current();  // key + chain, always a matching pair
 * }</pre>
 *
 * <p><b>Timing.</b> A renewal is scheduled at {@code renewFraction ± renewJitter} (default 50% ±
 * 10%) of the time from receipt (or notBefore, if later) to notAfter, so a fleet of sidecars
 * issued together does not renew together. A failed attempt (the signer fails or times out, or
 * returns a certificate for the wrong key or identity) is retried after an exponential backoff
 * from {@code initialBackoff} doubling up to {@code maxBackoff} (default 1 s to 60 s), each delay
 * varied by ± {@code backoffJitter} (default 20%). The current certificate keeps being served
 * while retries go on, until a renewal succeeds.
 *
 * <p><b>Threads.</b> Key generation and scheduling run on the {@link ScheduledExecutorService}
 * passed in, which the caller owns and shuts down; never pass a Netty event loop, since key
 * generation blocks. Listeners run on the thread that completes the signer's future. At most one
 * attempt is in flight at a time. {@link #current()} is a single volatile read and safe from any
 * thread.
 *
 * <p>{@link #toString()} never reveals the key.
 */
public final class WorkloadIdentity implements AutoCloseable {

  private static final Logger log = LoggerFactory.getLogger(WorkloadIdentity.class);

  /** Notified when the identity's certificate changes or a renewal attempt fails. */
  public interface Listener {

    /**
     * Called after a new key and certificate became current.
     *
     * @param current the new key and chain, also returned by {@link WorkloadIdentity#current()} from now on
     */
    void onRotated(CertifiedKey current);

    /**
     * Called after a renewal attempt failed; the previous certificate, if any, stays current.
     *
     * @param cause why the attempt failed
     * @param consecutiveFailures failed attempts since the last success, starting at 1
     * @param retryIn when the next attempt runs
     */
    default void onRenewalFailed(Throwable cause, int consecutiveFailures, Duration retryIn) {}
  }

  private final SpiffeId identity;
  private final CertificateSigner signer;
  private final ScheduledExecutorService scheduler;
  private final Clock clock;
  private final KeyType keyType;
  private final Duration requestedTtl;
  private final double renewFraction;
  private final double renewJitter;
  private final Duration initialBackoff;
  private final Duration maxBackoff;
  private final double backoffJitter;
  private final Duration signTimeout;
  private final RandomGenerator jitterRandom;
  private final SecureRandom keyRandom;

  private final AtomicReference<CertifiedKey> current = new AtomicReference<>();
  private final List<Listener> listeners = new CopyOnWriteArrayList<>();
  private final CompletableFuture<CertifiedKey> firstIssued = new CompletableFuture<>();
  private final AtomicBoolean started = new AtomicBoolean();
  private volatile boolean closed;
  private volatile ScheduledFuture<?> pending;
  // Only touched by the single in-flight attempt; volatile for the hand-off between threads.
  private volatile int consecutiveFailures;

  private WorkloadIdentity(Builder builder) {
    this.identity = builder.identity;
    this.signer = builder.signer;
    this.scheduler = builder.scheduler;
    this.clock = builder.clock;
    this.keyType = builder.keyType;
    this.requestedTtl = builder.requestedTtl;
    this.renewFraction = builder.renewFraction;
    this.renewJitter = builder.renewJitter;
    this.initialBackoff = builder.initialBackoff;
    this.maxBackoff = builder.maxBackoff;
    this.backoffJitter = builder.backoffJitter;
    this.signTimeout = builder.signTimeout;
    this.jitterRandom = builder.jitterRandom;
    this.keyRandom = builder.keyRandom;
  }

  /**
   * Starts configuring a workload identity.
   *
   * @param identity the SPIFFE ID the workload expects; certificates for any other ID are refused
   * @param signer gets CSRs signed
   * @param scheduler runs key generation, renewals and retries; owned by the caller
   * @return a builder with default timing
   */
  public static Builder builder(SpiffeId identity, CertificateSigner signer, ScheduledExecutorService scheduler) {
    return new Builder(identity, signer, scheduler);
  }

  /**
   * Requests the first certificate and keeps renewing until {@link #close()}.
   *
   * @return a future completed with the first certificate; it keeps waiting through failed
   *     attempts, and fails only if the identity is closed first
   * @throws IllegalStateException if already started
   */
  public CompletableFuture<CertifiedKey> start() {
    if (!started.compareAndSet(false, true)) {
      throw new IllegalStateException("workload identity " + identity + " is already started");
    }
    schedule(Duration.ZERO);
    return firstIssued;
  }

  /** Returns a future completed with the first certificate, as returned by {@link #start()}. */
  public CompletableFuture<CertifiedKey> firstIssued() {
    return firstIssued;
  }

  /**
   * Returns the current key and chain.
   *
   * @throws IllegalStateException if no certificate has been issued yet
   */
  public CertifiedKey current() {
    CertifiedKey key = current.get();
    if (key == null) {
      throw new IllegalStateException("workload identity " + identity + " has no certificate yet"
          + (started.get() ? " (" + consecutiveFailures + " failed attempts so far)" : " (start() not called)"));
    }
    return key;
  }

  /** Returns the current key and chain, or empty if none has been issued yet. */
  public Optional<CertifiedKey> currentIfIssued() {
    return Optional.ofNullable(current.get());
  }

  /** Returns the SPIFFE ID this holder requests. */
  public SpiffeId identity() {
    return identity;
  }

  /** Returns the number of failed attempts since the last success (0 when healthy). */
  public int consecutiveFailures() {
    return consecutiveFailures;
  }

  /**
   * Adds a listener for later rotations and failures. It is not called for a certificate that is
   * already current; read {@link #current()} after adding.
   */
  public void addListener(Listener listener) {
    listeners.add(Objects.requireNonNull(listener, "listener"));
  }

  /** Removes a listener added with {@link #addListener(Listener)}. */
  public void removeListener(Listener listener) {
    listeners.remove(listener);
  }

  /**
   * Stops renewing. The current certificate stays readable. The scheduler is not shut down, since
   * the caller owns it.
   */
  @Override
  public void close() {
    closed = true;
    ScheduledFuture<?> task = pending;
    if (task != null) {
      task.cancel(false);
    }
    firstIssued.completeExceptionally(
        new IllegalStateException("workload identity " + identity + " was closed before a certificate was issued"));
  }

  @Override
  public String toString() {
    CertifiedKey key = current.get();
    return "WorkloadIdentity[identity=" + identity + ", current=" + (key == null ? "none" : key)
        + ", consecutiveFailures=" + consecutiveFailures + ", closed=" + closed + "]";
  }

  private void schedule(Duration delay) {
    if (closed) {
      return;
    }
    try {
      pending = scheduler.schedule(this::attempt, delay.toNanos(), TimeUnit.NANOSECONDS);
    } catch (RejectedExecutionException e) {
      log.error("cannot schedule certificate renewal for {}: scheduler rejected the task", identity, e);
      firstIssued.completeExceptionally(e);
    }
  }

  private void attempt() {
    if (closed) {
      return;
    }
    KeyPair keyPair;
    CompletableFuture<CertificateChain> response;
    try {
      keyPair = keyType.generate(keyRandom);
      PKCS10CertificationRequest csr = CertificateRequests.create(keyPair, identity);
      response = Objects.requireNonNull(signer.sign(csr, requestedTtl), "signer returned a null future");
    } catch (RuntimeException e) {
      onFailure(e);
      return;
    }
    // Bound the wait on the scheduler rather than orTimeout(), so tests with a manual scheduler
    // control this timer too.
    CompletableFuture<CertificateChain> bounded = new CompletableFuture<>();
    ScheduledFuture<?> timeout;
    try {
      Runnable expire = () -> bounded.completeExceptionally(
          new TimeoutException("certificate signer did not answer within " + signTimeout));
      timeout = scheduler.schedule(expire, signTimeout.toNanos(), TimeUnit.NANOSECONDS);
    } catch (RejectedExecutionException e) {
      log.error("cannot schedule certificate signing timeout for {}: scheduler rejected the task", identity, e);
      return;
    }
    response.whenComplete((chain, error) -> {
      if (error != null) {
        bounded.completeExceptionally(error);
      } else {
        bounded.complete(chain);
      }
    });
    bounded.whenComplete((chain, error) -> {
      timeout.cancel(false);
      if (error != null) {
        onFailure(unwrap(error));
        return;
      }
      CertifiedKey issued;
      try {
        issued = accept(keyPair, chain);
      } catch (RuntimeException e) {
        onFailure(e);
        return;
      }
      onSuccess(issued);
    });
  }

  /** Checks the signer returned a usable certificate for our key and identity. */
  private CertifiedKey accept(KeyPair keyPair, CertificateChain chain) {
    if (chain == null) {
      throw new IllegalStateException("certificate signer returned no chain");
    }
    if (!Certificates.sameKey(chain.leaf().getPublicKey(), keyPair.getPublic())) {
      throw new IllegalStateException("issued leaf " + Certificates.describe(chain.leaf())
          + " certifies a different public key (expected: the key of the CSR just sent)");
    }
    SpiffeId issuedId = chain.spiffeId();
    if (!issuedId.equals(identity)) {
      throw new IllegalStateException("issued leaf certifies " + issuedId + " (expected: " + identity + ")");
    }
    Instant now = clock.instant();
    Instant notAfter = chain.notAfter();
    if (!now.isBefore(notAfter)) {
      throw new IllegalStateException("issued leaf for " + identity + " expired at " + notAfter + " (now " + now + ")");
    }
    // The leaf's key was compared with the pair's above: no signature needed to pair them.
    return CertifiedKey.of(keyPair, chain);
  }

  private void onSuccess(CertifiedKey issued) {
    if (closed) {
      return;
    }
    consecutiveFailures = 0;
    current.set(issued);
    Duration renewIn = renewalDelay(issued, clock.instant());
    schedule(renewIn);
    log.info("certificate for {} rotated: serial {}, notAfter {}, next renewal in {}",
        identity, issued.leaf().getSerialNumber().toString(16), issued.notAfter(), renewIn);
    firstIssued.complete(issued);
    for (Listener listener : listeners) {
      try {
        listener.onRotated(issued);
      } catch (RuntimeException e) {
        log.warn("rotation listener {} failed for {}", listener, identity, e);
      }
    }
  }

  private void onFailure(Throwable cause) {
    if (closed) {
      return;
    }
    int failures = ++consecutiveFailures;
    Duration retryIn = backoff(failures);
    schedule(retryIn);
    CertifiedKey key = current.get();
    log.warn("certificate renewal for {} failed (attempt {}), retrying in {}; {}: {}", identity, failures, retryIn,
        key == null ? "no certificate yet" : "keeping current certificate until " + key.notAfter(), cause.toString());
    for (Listener listener : listeners) {
      try {
        listener.onRenewalFailed(cause, failures, retryIn);
      } catch (RuntimeException e) {
        log.warn("renewal-failure listener {} failed for {}", listener, identity, e);
      }
    }
  }

  /** Time from now until the renewal: a jittered fraction of the remaining lifetime. */
  Duration renewalDelay(CertifiedKey key, Instant now) {
    Instant start = key.notBefore().isAfter(now) ? key.notBefore() : now;
    Duration lifetime = Duration.between(start, key.notAfter());
    double fraction = renewFraction + renewJitter * (2 * jitterRandom.nextDouble() - 1);
    long nanos = (long) (lifetime.toNanos() * fraction);
    return Duration.between(now, start).plusNanos(Math.max(0, nanos));
  }

  /** Delay before retry number {@code failures} (1-based): exponential, capped, jittered. */
  Duration backoff(int failures) {
    int doublings = Math.min(failures - 1, 30);
    double base = Math.min((double) initialBackoff.toNanos() * (1L << doublings), maxBackoff.toNanos());
    double jittered = base * (1 + backoffJitter * (2 * jitterRandom.nextDouble() - 1));
    return Duration.ofNanos((long) Math.min(jittered, maxBackoff.toNanos()));
  }

  private static Throwable unwrap(Throwable error) {
    Throwable t = error;
    while ((t instanceof CompletionException || t instanceof ExecutionException) && t.getCause() != null) {
      t = t.getCause();
    }
    return t;
  }

  /** Configures a {@link WorkloadIdentity}; every setting has a documented default. */
  public static final class Builder {

    private final SpiffeId identity;
    private final CertificateSigner signer;
    private final ScheduledExecutorService scheduler;
    private Clock clock = Clock.systemUTC();
    private KeyType keyType = KeyType.EC_P256;
    private Duration requestedTtl = CertificateAuthority.DEFAULT_LEAF_TTL;
    private double renewFraction = 0.5;
    private double renewJitter = 0.1;
    private Duration initialBackoff = Duration.ofSeconds(1);
    private Duration maxBackoff = Duration.ofSeconds(60);
    private double backoffJitter = 0.2;
    private Duration signTimeout = Duration.ofSeconds(30);
    private RandomGenerator jitterRandom = RandomGenerator.getDefault();
    private SecureRandom keyRandom = new SecureRandom();

    private Builder(SpiffeId identity, CertificateSigner signer, ScheduledExecutorService scheduler) {
      this.identity = Objects.requireNonNull(identity, "identity");
      this.signer = Objects.requireNonNull(signer, "signer");
      this.scheduler = Objects.requireNonNull(scheduler, "scheduler");
    }

    /** Sets the clock used to time renewals (default the system UTC clock). */
    public Builder clock(Clock clock) {
      this.clock = Objects.requireNonNull(clock, "clock");
      return this;
    }

    /** Sets the type of key generated for each certificate (default {@link KeyType#EC_P256}). */
    public Builder keyType(KeyType keyType) {
      this.keyType = Objects.requireNonNull(keyType, "keyType");
      return this;
    }

    /** Sets the lifetime asked of the signer (default 24 h); the CA may issue a shorter one. */
    public Builder requestedTtl(Duration ttl) {
      this.requestedTtl = positive("requestedTtl", ttl);
      return this;
    }

    /**
     * Sets when to renew as a fraction of the lifetime and the ± jitter around it (default 0.5 ±
     * 0.1).
     */
    public Builder renewAt(double fraction, double jitter) {
      if (!(fraction > 0 && fraction < 1)) {
        throw new IllegalArgumentException("renew fraction: " + fraction + " (expected: > 0 and < 1)");
      }
      if (!(jitter >= 0 && jitter < fraction && fraction + jitter < 1)) {
        throw new IllegalArgumentException("renew jitter: " + jitter + " (expected: >= 0 and keeping fraction ± jitter"
            + " within (0, 1), fraction is " + fraction + ")");
      }
      this.renewFraction = fraction;
      this.renewJitter = jitter;
      return this;
    }

    /**
     * Sets the retry backoff after a failed attempt: {@code initial}, doubling up to {@code max},
     * each delay varied by ± {@code jitter} (default 1 s, 60 s, 0.2).
     */
    public Builder backoff(Duration initial, Duration max, double jitter) {
      positive("initial backoff", initial);
      positive("max backoff", max);
      if (max.compareTo(initial) < 0) {
        throw new IllegalArgumentException("max backoff: " + max + " (expected: >= initial backoff " + initial + ")");
      }
      if (!(jitter >= 0 && jitter < 1)) {
        throw new IllegalArgumentException("backoff jitter: " + jitter + " (expected: >= 0 and < 1)");
      }
      this.initialBackoff = initial;
      this.maxBackoff = max;
      this.backoffJitter = jitter;
      return this;
    }

    /** Sets how long to wait for the signer before counting the attempt as failed (default 30 s). */
    public Builder signTimeout(Duration timeout) {
      this.signTimeout = positive("signTimeout", timeout);
      return this;
    }

    /** Sets the randomness for jitter (default {@link RandomGenerator#getDefault()}). */
    public Builder jitterRandom(RandomGenerator random) {
      this.jitterRandom = Objects.requireNonNull(random, "random");
      return this;
    }

    /** Sets the randomness for key generation (default a new {@link SecureRandom}). */
    public Builder keyRandom(SecureRandom random) {
      this.keyRandom = Objects.requireNonNull(random, "random");
      return this;
    }

    /** Creates the identity; call {@link WorkloadIdentity#start()} to request the first certificate. */
    public WorkloadIdentity build() {
      return new WorkloadIdentity(this);
    }

    private static Duration positive(String name, Duration value) {
      Objects.requireNonNull(value, name);
      if (value.isNegative() || value.isZero()) {
        throw new IllegalArgumentException(name + ": " + value + " (expected: > 0)");
      }
      return value;
    }
  }
}

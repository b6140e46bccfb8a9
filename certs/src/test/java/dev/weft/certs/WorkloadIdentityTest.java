package dev.weft.certs;

import static org.assertj.core.api.Assertions.assertThat;
import static org.assertj.core.api.Assertions.assertThatThrownBy;

import java.io.IOException;
import java.time.Clock;
import java.time.Duration;
import java.time.Instant;
import java.util.ArrayList;
import java.util.List;
import java.util.concurrent.CompletableFuture;
import java.util.concurrent.CopyOnWriteArrayList;
import java.util.concurrent.CountDownLatch;
import java.util.concurrent.ExecutorService;
import java.util.concurrent.Executors;
import java.util.concurrent.ScheduledExecutorService;
import java.util.concurrent.TimeUnit;
import java.util.concurrent.TimeoutException;
import java.util.concurrent.atomic.AtomicBoolean;
import java.util.random.RandomGenerator;

import org.bouncycastle.asn1.x509.KeyPurposeId;
import org.bouncycastle.pkcs.jcajce.JcaPKCS10CertificationRequest;
import org.junit.jupiter.api.Test;

class WorkloadIdentityTest {

  private static final TrustDomain TD = TrustDomain.of("cluster.local");
  private static final SpiffeId CART = SpiffeId.forWorkload(TD, "shop", "cart");
  private static final Instant START = Instant.parse("2026-03-01T12:00:00Z");
  private static final Duration TTL = Duration.ofHours(1);

  private final MutableClock clock = new MutableClock(START);
  private final ManualScheduler scheduler = new ManualScheduler(clock);
  private final CertificateAuthority ca = CertificateAuthority.builder(TD).clock(clock).selfSigned();
  private final CertificateSigner local = new LocalCertificateSigner(ca, CART, Runnable::run);
  private final AtomicBoolean caDown = new AtomicBoolean();
  private final CertificateSigner flaky = (csr, ttl) -> caDown.get()
      ? CompletableFuture.failedFuture(new IOException("CA unavailable"))
      : local.sign(csr, ttl);
  private final Recorder recorder = new Recorder();

  @Test
  void issuesOnStartAndRotatesAtHalfTheLifetime() {
    WorkloadIdentity identity = noJitter(local);
    identity.addListener(recorder);

    CompletableFuture<CertifiedKey> first = identity.start();
    scheduler.runDue();

    assertThat(first).isCompleted();
    CertifiedKey issued = identity.current();
    assertThat(first.join()).isSameAs(issued);
    assertThat(issued.spiffeId()).isEqualTo(CART);
    assertThat(issued.notAfter()).isEqualTo(START.plus(TTL));
    assertThat(recorder.rotations).containsExactly(issued);
    // The 5-minute backdate does not count towards the lifetime: renewal is half of the hour ahead.
    assertThat(scheduler.scheduledDelays()).containsExactly(Duration.ZERO, Duration.ofSeconds(30), Duration.ofMinutes(30));

    scheduler.advance(Duration.ofMinutes(30).minusSeconds(1));
    assertThat(identity.current()).isSameAs(issued);

    scheduler.advance(Duration.ofSeconds(1));
    CertifiedKey renewed = identity.current();
    assertThat(renewed).isNotSameAs(issued);
    assertThat(renewed.privateKey()).isNotEqualTo(issued.privateKey());
    assertThat(renewed.leaf().getSerialNumber()).isNotEqualTo(issued.leaf().getSerialNumber());
    assertThat(renewed.notAfter()).isEqualTo(START.plus(Duration.ofMinutes(30)).plus(TTL));
    assertThat(recorder.rotations).containsExactly(issued, renewed);
    assertThat(recorder.failures).isEmpty();
  }

  @Test
  void pairsEachNewKeyWithItsCertificateWithoutASignature() {
    // The key pair is at hand, so CertifiedKey.of compares public keys instead of signing with the
    // JDK's fresh EC key (whose first ECDSA signature is slow).
    WorkloadIdentity identity = noJitter(local);
    long signatures = Certificates.SIGNATURE_CHECKS.get();

    identity.start();
    scheduler.runDue();
    scheduler.advance(Duration.ofMinutes(30));

    assertThat(identity.current().notAfter()).isEqualTo(START.plus(Duration.ofMinutes(30)).plus(TTL));
    assertThat(Certificates.SIGNATURE_CHECKS.get()).as("signatures made to pair key and certificate")
        .isEqualTo(signatures);
  }

  @Test
  void renewalTimeIsJitteredTenPercentAroundHalfTheLifetime() {
    CertifiedKey key = issueOnce();

    assertThat(withRandom(constant(0.0)).renewalDelay(key, START)).isEqualTo(Duration.ofMinutes(24));
    assertThat(withRandom(constant(0.5)).renewalDelay(key, START)).isEqualTo(Duration.ofMinutes(30));
    assertThat(withRandom(constant(1.0)).renewalDelay(key, START)).isEqualTo(Duration.ofMinutes(36));
    WorkloadIdentity random = withRandom(RandomGenerator.getDefault());
    List<Duration> delays = new ArrayList<>();
    for (int i = 0; i < 200; i++) {
      delays.add(random.renewalDelay(key, START));
    }
    assertThat(delays).allSatisfy(d -> assertThat(d).isBetween(Duration.ofMinutes(24), Duration.ofMinutes(36)));
    assertThat(delays.stream().distinct().count()).isGreaterThan(100);
  }

  @Test
  void backoffDoublesFromOneSecondToAMinuteWithJitter() {
    WorkloadIdentity exact = withRandom(constant(0.5));
    List<Duration> delays = new ArrayList<>();
    for (int failures = 1; failures <= 9; failures++) {
      delays.add(exact.backoff(failures));
    }
    assertThat(delays).containsExactly(Duration.ofSeconds(1), Duration.ofSeconds(2), Duration.ofSeconds(4),
        Duration.ofSeconds(8), Duration.ofSeconds(16), Duration.ofSeconds(32), Duration.ofSeconds(60),
        Duration.ofSeconds(60), Duration.ofSeconds(60));

    assertThat(withRandom(constant(0.0)).backoff(1)).isEqualTo(Duration.ofMillis(800));
    assertThat(withRandom(constant(1.0)).backoff(1)).isEqualTo(Duration.ofMillis(1200));
    assertThat(withRandom(constant(1.0)).backoff(100)).isEqualTo(Duration.ofSeconds(60));
    assertThat(withRandom(constant(0.0)).backoff(100)).isEqualTo(Duration.ofSeconds(48));
  }

  @Test
  void failedRenewalsBackOffAndKeepTheCurrentCertificate() {
    WorkloadIdentity identity = noJitter(flaky);
    identity.addListener(recorder);
    identity.start();
    scheduler.runDue();
    CertifiedKey original = identity.current();

    caDown.set(true);
    scheduler.advance(Duration.ofMinutes(30));
    assertThat(recorder.failures).containsExactly(new Failure("java.io.IOException: CA unavailable", 1, Duration.ofSeconds(1)));
    assertThat(identity.current()).isSameAs(original);

    scheduler.advance(Duration.ofSeconds(1 + 2 + 4 + 8 + 16 + 32 + 60));
    assertThat(recorder.failures).extracting(Failure::retryIn).containsExactly(Duration.ofSeconds(1),
        Duration.ofSeconds(2), Duration.ofSeconds(4), Duration.ofSeconds(8), Duration.ofSeconds(16),
        Duration.ofSeconds(32), Duration.ofSeconds(60), Duration.ofSeconds(60));
    assertThat(recorder.failures).extracting(Failure::attempt).containsExactly(1, 2, 3, 4, 5, 6, 7, 8);
    assertThat(identity.consecutiveFailures()).isEqualTo(8);
    assertThat(identity.current()).isSameAs(original);
    assertThat(recorder.rotations).containsExactly(original);

    caDown.set(false);
    scheduler.advance(Duration.ofSeconds(60));
    CertifiedKey renewed = identity.current();
    assertThat(renewed).isNotSameAs(original);
    assertThat(recorder.rotations).containsExactly(original, renewed);
    assertThat(identity.consecutiveFailures()).isZero();
    assertThat(scheduler.scheduledDelays().getLast()).isEqualTo(Duration.ofMinutes(30));
  }

  @Test
  void firstIssuanceRetriesUntilTheCaAnswers() {
    caDown.set(true);
    WorkloadIdentity identity = noJitter(flaky);
    CompletableFuture<CertifiedKey> first = identity.start();
    scheduler.advance(Duration.ofSeconds(3));

    assertThat(first).isNotDone();
    assertThat(identity.currentIfIssued()).isEmpty();
    assertThatThrownBy(identity::current)
        .isInstanceOf(IllegalStateException.class)
        .hasMessage("workload identity " + CART + " has no certificate yet (3 failed attempts so far)");

    caDown.set(false);
    scheduler.advance(Duration.ofSeconds(4));
    assertThat(first).isCompletedWithValue(identity.current());
  }

  @Test
  void refusesACertificateForAnotherIdentity() throws Exception {
    SpiffeId payments = SpiffeId.forWorkload(TD, "shop", "payments");
    // The real CA already refuses: the CSR names the identity the workload expects.
    WorkloadIdentity checkedByCa = noJitter(new LocalCertificateSigner(ca, payments, Runnable::run));
    checkedByCa.addListener(recorder);
    checkedByCa.start();
    scheduler.runDue();
    assertThat(recorder.failures).singleElement().extracting(Failure::cause).asString()
        .startsWith(CsrRejectedException.class.getName() + ": CSR requests URI SAN \"" + CART + "\"");
    checkedByCa.close();

    // A misbehaving signer that certifies the right key under another name is refused locally.
    TestPki.Issuer rogue = TestPki.selfSignedCa("rogue", true, START.minus(TTL), START.plus(TTL));
    CertificateSigner misissuing = (csr, ttl) -> {
      try {
        return CompletableFuture.completedFuture(CertificateChain.of(TestPki.leaf(rogue,
            new JcaPKCS10CertificationRequest(csr).getPublicKey(), List.of(payments.toString()),
            List.of(KeyPurposeId.id_kp_clientAuth), START, START.plus(TTL))));
      } catch (Exception e) {
        return CompletableFuture.failedFuture(e);
      }
    };
    Recorder second = new Recorder();
    WorkloadIdentity identity = noJitter(misissuing);
    identity.addListener(second);
    identity.start();
    scheduler.runDue();

    assertThat(identity.currentIfIssued()).isEmpty();
    assertThat(second.failures).singleElement().extracting(Failure::cause).isEqualTo(
        "java.lang.IllegalStateException: issued leaf certifies spiffe://cluster.local/ns/shop/sa/payments"
            + " (expected: spiffe://cluster.local/ns/shop/sa/cart)");
  }

  @Test
  void refusesACertificateForAnotherKey() {
    CertificateSigner wrongKey = (csr, ttl) -> local.sign(
        CertificateRequests.create(KeyType.EC_P256.generate(TestPki.RANDOM), CART), ttl);
    WorkloadIdentity identity = noJitter(wrongKey);
    identity.addListener(recorder);
    identity.start();
    scheduler.runDue();

    assertThat(identity.currentIfIssued()).isEmpty();
    assertThat(recorder.failures).singleElement().extracting(Failure::cause).asString()
        .contains("certifies a different public key (expected: the key of the CSR just sent)");
  }

  @Test
  void aSignerThatNeverAnswersTimesOut() {
    CertificateSigner silent = (csr, ttl) -> new CompletableFuture<>();
    WorkloadIdentity identity = WorkloadIdentity.builder(CART, silent, scheduler).clock(clock)
        .jitterRandom(constant(0.5)).signTimeout(Duration.ofSeconds(10)).build();
    identity.addListener(recorder);
    identity.start();

    scheduler.advance(Duration.ofSeconds(9));
    assertThat(recorder.failures).isEmpty();
    scheduler.advance(Duration.ofSeconds(1));
    assertThat(recorder.failures).containsExactly(new Failure(
        TimeoutException.class.getName() + ": certificate signer did not answer within PT10S", 1, Duration.ofSeconds(1)));
  }

  @Test
  void signerErrorsThrownDirectlyCountAsFailures() {
    CertificateSigner throwing = (csr, ttl) -> {
      throw new IllegalStateException("no channel");
    };
    WorkloadIdentity identity = noJitter(throwing);
    identity.addListener(recorder);
    identity.start();
    scheduler.runDue();

    assertThat(recorder.failures).containsExactly(new Failure("java.lang.IllegalStateException: no channel", 1, Duration.ofSeconds(1)));
  }

  @Test
  void closeStopsRenewalAndKeepsTheLastCertificate() {
    WorkloadIdentity identity = noJitter(local);
    identity.addListener(recorder);
    identity.start();
    scheduler.runDue();
    CertifiedKey issued = identity.current();

    identity.close();
    scheduler.advance(Duration.ofHours(2));

    assertThat(scheduler.pendingCount()).isZero();
    assertThat(recorder.rotations).containsExactly(issued);
    assertThat(identity.current()).isSameAs(issued);
    assertThat(identity.toString()).contains("closed=true", "privateKey=<EC key redacted>");
  }

  @Test
  void closingBeforeTheFirstCertificateFailsTheStartFuture() {
    caDown.set(true);
    WorkloadIdentity identity = noJitter(flaky);
    CompletableFuture<CertifiedKey> first = identity.start();
    scheduler.runDue();

    identity.close();

    assertThat(first).isCompletedExceptionally();
    assertThatThrownBy(first::join).hasMessageContaining("was closed before a certificate was issued");
    assertThatThrownBy(identity::start).hasMessage("workload identity " + CART + " is already started");
  }

  @Test
  void aThrowingListenerDoesNotStopOthersOrRenewal() {
    WorkloadIdentity identity = noJitter(local);
    identity.addListener(key -> {
      throw new IllegalStateException("listener bug");
    });
    identity.addListener(recorder);
    identity.start();
    scheduler.runDue();
    scheduler.advance(Duration.ofMinutes(30));

    assertThat(recorder.rotations).hasSize(2);
  }

  @Test
  void rotatesInRealTimeWithShortLivedCertificates() throws Exception {
    Clock system = Clock.systemUTC();
    CertificateAuthority shortLived = CertificateAuthority.builder(TD)
        .leafTtl(Duration.ofSeconds(2)).backdate(Duration.ZERO).clock(system).selfSigned();
    ScheduledExecutorService realScheduler = Executors.newSingleThreadScheduledExecutor();
    ExecutorService signing = Executors.newVirtualThreadPerTaskExecutor();
    CountDownLatch threeRotations = new CountDownLatch(3);
    List<CertifiedKey> seen = new CopyOnWriteArrayList<>();
    try (WorkloadIdentity identity = WorkloadIdentity.builder(CART, new LocalCertificateSigner(shortLived, CART, signing), realScheduler)
        .requestedTtl(Duration.ofSeconds(2)).build()) {
      identity.addListener(key -> {
        seen.add(key);
        threeRotations.countDown();
      });

      identity.start().get(5, TimeUnit.SECONDS);

      assertThat(threeRotations.await(10, TimeUnit.SECONDS)).as("three certificates within 10 s").isTrue();
      assertThat(seen).extracting(k -> k.leaf().getSerialNumber()).doesNotHaveDuplicates();
      TrustBundle bundle = TrustBundle.of(TD, shortLived.rootCertificate());
      CertifiedKey current = identity.current();
      assertThat(bundle.verify(current.chain().certificates(), PeerRole.SERVER, system)).isEqualTo(CART);
    } finally {
      realScheduler.shutdownNow();
      signing.shutdownNow();
    }
  }

  private WorkloadIdentity noJitter(CertificateSigner signer) {
    return WorkloadIdentity.builder(CART, signer, scheduler).clock(clock).requestedTtl(TTL)
        .jitterRandom(constant(0.5)).build();
  }

  private WorkloadIdentity withRandom(RandomGenerator random) {
    return WorkloadIdentity.builder(CART, local, scheduler).clock(clock).jitterRandom(random).build();
  }

  private CertifiedKey issueOnce() {
    var key = KeyType.EC_P256.generate(TestPki.RANDOM);
    return new CertifiedKey(key.getPrivate(), ca.sign(CertificateRequests.create(key, CART), CART, TTL));
  }

  /** A generator whose nextDouble() is always {@code value} (1.0 stands for "just below 1"). */
  private static RandomGenerator constant(double value) {
    return new RandomGenerator() {
      @Override
      public long nextLong() {
        return 0;
      }

      @Override
      public double nextDouble() {
        return value;
      }
    };
  }

  private record Failure(String cause, int attempt, Duration retryIn) {}

  private static final class Recorder implements WorkloadIdentity.Listener {
    final List<CertifiedKey> rotations = new CopyOnWriteArrayList<>();
    final List<Failure> failures = new CopyOnWriteArrayList<>();

    @Override
    public void onRotated(CertifiedKey current) {
      rotations.add(current);
    }

    @Override
    public void onRenewalFailed(Throwable cause, int consecutiveFailures, Duration retryIn) {
      failures.add(new Failure(cause.toString(), consecutiveFailures, retryIn));
    }
  }
}

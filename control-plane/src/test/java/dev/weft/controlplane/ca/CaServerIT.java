package dev.weft.controlplane.ca;

import static dev.weft.controlplane.ca.CaFixture.CART;
import static dev.weft.controlplane.ca.CaFixture.CART_TOKEN;
import static dev.weft.controlplane.ca.CaFixture.TD;
import static dev.weft.controlplane.ca.CaFixture.WEB;
import static dev.weft.controlplane.ca.CaFixture.WEB_TOKEN;
import static org.assertj.core.api.Assertions.assertThat;
import static org.assertj.core.api.Assertions.assertThatThrownBy;
import static org.awaitility.Awaitility.await;

import dev.weft.certs.CertificateChain;
import dev.weft.certs.CertificateRequests;
import dev.weft.certs.CertifiedKey;
import dev.weft.certs.KeyType;
import dev.weft.certs.Pem;
import dev.weft.certs.PeerRole;
import dev.weft.certs.SpiffeId;
import dev.weft.certs.WorkloadIdentity;
import dev.weft.certs.ca.v1.CertificateServiceGrpc;
import dev.weft.certs.ca.v1.CreateCertificateRequest;
import dev.weft.certs.ca.v1.CreateCertificateResponse;
import dev.weft.proxy.identity.CaClient;
import dev.weft.proxy.identity.CaClientException;
import dev.weft.proxy.identity.CaServerCheck;
import io.grpc.ChannelCredentials;
import io.grpc.Grpc;
import io.grpc.ManagedChannel;
import io.grpc.Metadata;
import io.grpc.Status;
import io.grpc.StatusRuntimeException;
import io.grpc.TlsChannelCredentials;
import io.grpc.stub.MetadataUtils;
import java.io.ByteArrayInputStream;
import java.math.BigInteger;
import java.nio.charset.StandardCharsets;
import java.nio.file.Path;
import java.security.KeyPair;
import java.security.SecureRandom;
import java.time.Clock;
import java.time.Duration;
import java.time.Instant;
import java.util.List;
import java.util.concurrent.CopyOnWriteArrayList;
import java.util.concurrent.ExecutionException;
import java.util.concurrent.Executors;
import java.util.concurrent.ScheduledExecutorService;
import java.util.concurrent.TimeUnit;
import java.util.concurrent.atomic.AtomicInteger;
import org.bouncycastle.pkcs.PKCS10CertificationRequest;
import org.junit.jupiter.api.AfterEach;
import org.junit.jupiter.api.BeforeEach;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;
import org.junit.jupiter.params.ParameterizedTest;
import org.junit.jupiter.params.provider.ValueSource;

/** The CA service end to end: CaServer on port 0, called by the sidecar's CaClient and by grpc-java. */
class CaServerIT {

  private static final SecureRandom RANDOM = new SecureRandom();

  @TempDir Path dir;
  private CaFixture fixture;
  private final List<AutoCloseable> resources = new CopyOnWriteArrayList<>();
  private ScheduledExecutorService scheduler;

  @BeforeEach
  void setUp() throws Exception {
    fixture = new CaFixture(dir);
    scheduler = Executors.newScheduledThreadPool(2);
  }

  @AfterEach
  void tearDown() throws Exception {
    for (AutoCloseable resource : resources.reversed()) {
      resource.close();
    }
    scheduler.shutdownNow();
  }

  private <T extends AutoCloseable> T track(T resource) {
    resources.add(resource);
    return resource;
  }

  private CaClient client(CaServer server, String token, boolean openSsl) throws Exception {
    return track(new CaClient(fixture.clientConfig(server.address(), fixture.tokenFile("token-" + token, token))
        .withOpenSsl(openSsl)));
  }

  private static PKCS10CertificationRequest csr(KeyPair keyPair, SpiffeId id) {
    return CertificateRequests.create(keyPair, id);
  }

  @ParameterizedTest(name = "openSsl={0}")
  @ValueSource(booleans = {true, false})
  void issuesCertificateForTheTokensIdentityThatVerifiesAgainstTheRoot(boolean openSsl) throws Exception {
    CaServer server = track(fixture.server().start());
    CaClient client = client(server, WEB_TOKEN, openSsl);
    assertThat(client.tlsProvider()).isEqualTo(openSsl ? "OPENSSL" : "JDK");
    KeyPair keyPair = KeyType.EC_P256.generate(RANDOM);

    CertificateChain chain = client.sign(csr(keyPair, WEB), Duration.ofHours(1)).get(10, TimeUnit.SECONDS);

    assertThat(chain.spiffeId()).isEqualTo(WEB);
    assertThat(chain.leaf().getPublicKey()).isEqualTo(keyPair.getPublic());
    assertThat(fixture.trustBundle().verify(chain.certificates(), PeerRole.CLIENT, Clock.systemUTC())).isEqualTo(WEB);
    assertThat(Duration.between(Instant.now(), chain.notAfter())).isBetween(Duration.ofMinutes(58), Duration.ofMinutes(61));
    assertThat(client.lastTrustBundle()).contains(fixture.material.roots());
  }

  @Test
  void reusesOneConnectionForSuccessiveCalls() throws Exception {
    CaServer server = track(fixture.server().start());
    CaClient client = client(server, WEB_TOKEN, true);
    for (int i = 0; i < 3; i++) {
      KeyPair keyPair = KeyType.EC_P256.generate(RANDOM);
      assertThat(client.sign(csr(keyPair, WEB), Duration.ofHours(1)).get(10, TimeUnit.SECONDS).spiffeId()).isEqualTo(WEB);
    }
  }

  @Test
  void clampsRequestedValidityToTheMaximum() throws Exception {
    CaServer server = track(fixture.server().maxLeafTtl(Duration.ofHours(2)).start());
    CaClient client = client(server, WEB_TOKEN, true);

    CertificateChain chain = client.sign(csr(KeyType.EC_P256.generate(RANDOM), WEB), Duration.ofDays(30))
        .get(10, TimeUnit.SECONDS);

    assertThat(Duration.between(Instant.now(), chain.notAfter())).isBetween(Duration.ofMinutes(118), Duration.ofMinutes(121));
  }

  @Test
  void refusesCsrForAnotherIdentityWithPermissionDenied() throws Exception {
    CaServer server = track(fixture.server().start());
    CaClient client = client(server, WEB_TOKEN, true);
    SpiffeId admin = SpiffeId.forWorkload(TD, "shop", "admin");

    assertThatThrownBy(() -> client.sign(csr(KeyType.EC_P256.generate(RANDOM), admin), Duration.ofHours(1))
        .get(10, TimeUnit.SECONDS))
        .cause()
        .isInstanceOfSatisfying(CaClientException.class, e -> {
          assertThat(e.statusName()).isEqualTo("PERMISSION_DENIED");
          assertThat(e.statusMessage()).isEqualTo("CSR asks for " + admin + " but the token authenticates " + WEB);
        });
  }

  @Test
  void refusesUnknownTokenWithUnauthenticated() throws Exception {
    CaServer server = track(fixture.server().start());
    CaClient client = client(server, "not-a-known-token-0123456789", true);

    assertThatThrownBy(() -> client.sign(csr(KeyType.EC_P256.generate(RANDOM), WEB), Duration.ofHours(1))
        .get(10, TimeUnit.SECONDS))
        .cause()
        .isInstanceOfSatisfying(CaClientException.class, e -> {
          assertThat(e.status()).isEqualTo(CaClientException.UNAUTHENTICATED);
          assertThat(e.statusMessage()).contains("not in tokens.yaml").doesNotContain("not-a-known-token");
        });
  }

  @Test
  void rateLimitsEachCallerSeparately() throws Exception {
    CaServer server = track(fixture.server().rateLimits(new RateLimiter.Limits(2, 0.01, 1000)).start());
    CaClient web = client(server, WEB_TOKEN, true);
    CaClient cart = client(server, CART_TOKEN, true);

    for (int i = 0; i < 2; i++) {
      web.sign(csr(KeyType.EC_P256.generate(RANDOM), WEB), Duration.ofHours(1)).get(10, TimeUnit.SECONDS);
    }
    assertThatThrownBy(() -> web.sign(csr(KeyType.EC_P256.generate(RANDOM), WEB), Duration.ofHours(1))
        .get(10, TimeUnit.SECONDS))
        .cause()
        .isInstanceOfSatisfying(CaClientException.class, e -> {
          assertThat(e.statusName()).isEqualTo("RESOURCE_EXHAUSTED");
          assertThat(e.statusMessage()).contains("rate limit for " + WEB + " exceeded (burst 2");
        });
    assertThat(cart.sign(csr(KeyType.EC_P256.generate(RANDOM), CART), Duration.ofHours(1)).get(10, TimeUnit.SECONDS)
        .spiffeId()).isEqualTo(CART);
  }

  @Test
  void clientRefusesServerWhoseIdentityIsNotTheExpectedOne() throws Exception {
    CaServer server = track(fixture.server().start());
    SpiffeId impostor = SpiffeId.forWorkload(TD, "weft-system", "someone-else");
    CaClient client = track(new CaClient(new CaClient.Config(server.address(), fixture.trustBundle(),
        CaServerCheck.spiffeId(impostor), fixture.tokenFile("t", WEB_TOKEN), Duration.ofSeconds(3), Duration.ofSeconds(5),
        CaClient.Config.DEFAULT_MAX_RESPONSE_BYTES, true)));

    assertThatThrownBy(() -> client.sign(csr(KeyType.EC_P256.generate(RANDOM), WEB), Duration.ofHours(1))
        .get(10, TimeUnit.SECONDS))
        .cause()
        .isInstanceOfSatisfying(CaClientException.class, e -> {
          assertThat(e.statusName()).isEqualTo("UNAVAILABLE");
          assertThat(e.getMessage()).contains("TLS handshake").contains(impostor.toString());
        });
  }

  @Test
  void clientAcceptsServerByIpAddressSan() throws Exception {
    CaServer server = track(fixture.server().start());
    CaClient client = track(new CaClient(new CaClient.Config(server.address(), fixture.trustBundle(),
        CaServerCheck.hostName("127.0.0.1"), fixture.tokenFile("t", WEB_TOKEN), Duration.ofSeconds(3),
        Duration.ofSeconds(5), CaClient.Config.DEFAULT_MAX_RESPONSE_BYTES, false)));

    assertThat(client.sign(csr(KeyType.EC_P256.generate(RANDOM), WEB), Duration.ofHours(1)).get(10, TimeUnit.SECONDS)
        .spiffeId()).isEqualTo(WEB);
  }

  @Test
  void grpcJavaClientGetsCertificateCheckingTheServerByHostName() throws Exception {
    CaServer server = track(fixture.server().start());
    ChannelCredentials credentials = TlsChannelCredentials.newBuilder()
        .trustManager(new ByteArrayInputStream(Pem.writeCertificates(fixture.material.roots())
            .getBytes(StandardCharsets.US_ASCII)))
        .build();
    ManagedChannel channel = Grpc.newChannelBuilderForAddress("localhost", server.address().getPort(), credentials).build();
    track(() -> channel.shutdownNow().awaitTermination(5, TimeUnit.SECONDS));
    KeyPair keyPair = KeyType.EC_P256.generate(RANDOM);
    CreateCertificateRequest request = CreateCertificateRequest.newBuilder()
        .setCsr(Pem.writeCsr(csr(keyPair, CART)))
        .setValidity(com.google.protobuf.Duration.newBuilder().setSeconds(600))
        .build();
    Metadata metadata = new Metadata();
    metadata.put(CertificateServiceImpl.AUTHORIZATION, "Bearer " + CART_TOKEN);

    CreateCertificateResponse response = CertificateServiceGrpc.newBlockingStub(channel)
        .withInterceptors(MetadataUtils.newAttachHeadersInterceptor(metadata))
        .withDeadlineAfter(10, TimeUnit.SECONDS)
        .createCertificate(request);

    CertificateChain chain = CertificateChain.fromPem(String.join("\n", response.getCertChainList()));
    assertThat(chain.spiffeId()).isEqualTo(CART);
    assertThat(Pem.readCertificates(String.join("\n", response.getTrustBundleList()))).isEqualTo(fixture.material.roots());
    assertThatThrownBy(() -> CertificateServiceGrpc.newBlockingStub(channel).withDeadlineAfter(10, TimeUnit.SECONDS)
        .createCertificate(request))
        .isInstanceOfSatisfying(StatusRuntimeException.class, e -> {
          assertThat(e.getStatus().getCode()).isEqualTo(Status.Code.UNAUTHENTICATED);
          assertThat(e.getStatus().getDescription()).contains("expected: authorization: Bearer <token>");
        });
  }

  @Test
  void workloadIdentityRotatesThroughCaClientAndNewConnectionsSeeTheServingCertificateRotate() throws Exception {
    CaServer server = track(fixture.server().maxLeafTtl(Duration.ofSeconds(2)).servingTtl(Duration.ofSeconds(2)).start());
    CaClient client = client(server, WEB_TOKEN, true);
    List<CertifiedKey> rotations = new CopyOnWriteArrayList<>();
    WorkloadIdentity identity = track(WorkloadIdentity.builder(WEB, client, scheduler)
        .requestedTtl(Duration.ofSeconds(2))
        .build());
    identity.addListener(rotations::add);
    BigInteger firstServing = server.servingCertificate().leaf().getSerialNumber();

    identity.start().get(10, TimeUnit.SECONDS);

    await().atMost(Duration.ofSeconds(15)).until(() -> rotations.size() >= 3);
    assertThat(rotations).extracting(key -> key.leaf().getSerialNumber()).doesNotHaveDuplicates();
    assertThat(rotations).allSatisfy(key -> assertThat(key.spiffeId()).isEqualTo(WEB));
    assertThat(identity.consecutiveFailures()).isZero();
    assertThat(server.servingCertificate().leaf().getSerialNumber()).isNotEqualTo(firstServing);
  }

  @Test
  void whenTheCaIsDownWorkloadIdentityKeepsItsCertificateAndRetriesWithBackoffUntilItIsBack() throws Exception {
    CaServer first = fixture.server().maxLeafTtl(Duration.ofSeconds(3)).start();
    int port = first.address().getPort();
    CaClient client = client(first, WEB_TOKEN, true);
    List<Duration> retryDelays = new CopyOnWriteArrayList<>();
    AtomicInteger rotations = new AtomicInteger();
    WorkloadIdentity identity = track(WorkloadIdentity.builder(WEB, client, scheduler)
        .requestedTtl(Duration.ofSeconds(3))
        .backoff(Duration.ofMillis(100), Duration.ofMillis(400), 0.0)
        .build());
    identity.addListener(new WorkloadIdentity.Listener() {
      @Override
      public void onRotated(CertifiedKey current) {
        rotations.incrementAndGet();
      }

      @Override
      public void onRenewalFailed(Throwable cause, int consecutiveFailures, Duration retryIn) {
        retryDelays.add(retryIn);
      }
    });
    CertifiedKey issued = identity.start().get(10, TimeUnit.SECONDS);
    // The listener hears of the first certificate asynchronously: wait for it before counting.
    await().atMost(Duration.ofSeconds(5)).until(() -> rotations.get() >= 1);
    int rotationsBefore = rotations.get();

    first.close();
    await().atMost(Duration.ofSeconds(15)).until(() -> retryDelays.size() >= 4);

    assertThat(identity.current()).isSameAs(issued);
    assertThat(rotations.get()).isEqualTo(rotationsBefore);
    assertThat(retryDelays.subList(0, 4)).containsExactly(Duration.ofMillis(100), Duration.ofMillis(200),
        Duration.ofMillis(400), Duration.ofMillis(400));

    CaServer second = track(fixture.server()
        .address(new java.net.InetSocketAddress(java.net.InetAddress.getLoopbackAddress(), port))
        .maxLeafTtl(Duration.ofSeconds(3)).start());
    await().atMost(Duration.ofSeconds(10)).until(() -> rotations.get() > rotationsBefore);
    assertThat(identity.current()).isNotSameAs(issued);
    assertThat(identity.current().spiffeId()).isEqualTo(WEB);
    assertThat(identity.consecutiveFailures()).isZero();
    assertThat(second.address().getPort()).isEqualTo(port);
  }

  @Test
  void signerFailureSurfacesAsExecutionExceptionWithStatus() throws Exception {
    CaServer server = track(fixture.server().start());
    CaClient client = track(new CaClient(fixture.clientConfig(server.address(), dir.resolve("missing-token"))));

    assertThatThrownBy(() -> client.sign(csr(KeyType.EC_P256.generate(RANDOM), WEB), Duration.ofHours(1)).get())
        .isInstanceOf(ExecutionException.class)
        .cause()
        .isInstanceOfSatisfying(CaClientException.class, e -> assertThat(e.statusMessage()).contains("missing-token"));
  }
}

package dev.weft.controlplane.ca;

import static dev.weft.controlplane.ca.CaFixture.TD;
import static org.assertj.core.api.Assertions.assertThat;
import static org.assertj.core.api.Assertions.assertThatThrownBy;

import dev.weft.certs.CertificateChain;
import dev.weft.certs.CertificateRequests;
import dev.weft.certs.KeyType;
import dev.weft.certs.SpiffeId;
import dev.weft.proxy.identity.CaClient;
import dev.weft.proxy.identity.CaClientException;
import io.fabric8.kubernetes.api.model.authentication.TokenReview;
import io.fabric8.kubernetes.api.model.authentication.TokenReviewBuilder;
import io.fabric8.kubernetes.client.KubernetesClient;
import io.fabric8.kubernetes.client.server.mock.EnableKubernetesMockClient;
import io.fabric8.kubernetes.client.server.mock.KubernetesMockServer;
import java.net.InetAddress;
import java.net.InetSocketAddress;
import java.nio.file.Path;
import java.security.SecureRandom;
import java.time.Duration;
import java.util.List;
import java.util.Map;
import java.util.concurrent.TimeUnit;
import java.util.concurrent.atomic.AtomicReference;
import org.junit.jupiter.api.BeforeEach;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

/**
 * The Kubernetes path: CaServer authenticates callers with a TokenReview against fabric8's mock
 * API server in CRUD mode.
 *
 * <p>CRUD mode stores whatever is POSTed and echoes it back, but a TokenReview is not a stored
 * object: the real API server computes its {@code status} from the token. So the test adds an
 * expectation for {@code POST /apis/authentication.k8s.io/v1/tokenreviews} that answers like the
 * API server, from a table of known tokens; expectations take precedence over CRUD handling.
 */
@EnableKubernetesMockClient(crud = true)
class KubernetesTokenReviewIT {

  private static final String AUDIENCE = "weft-ca";
  private static final Map<String, String> USERS = Map.of(
      "sa-token-web-0123456789", "system:serviceaccount:shop:web",
      "user-token-alice-0123456", "alice");

  private static final AtomicReference<List<String>> lastAudiences = new AtomicReference<>();

  static KubernetesMockServer server;
  static KubernetesClient client;

  @TempDir Path dir;
  private CaFixture fixture;

  @BeforeEach
  void setUp() throws Exception {
    fixture = new CaFixture(dir);
    server.expect().post().withPath("/apis/authentication.k8s.io/v1/tokenreviews")
        .andReply(201, request -> review(client.getKubernetesSerialization().unmarshal(request.getUtf8Body(),
            TokenReview.class)))
        .always();
  }

  /** Answers a TokenReview like the API server: authenticated for known tokens and the asked audience. */
  private static TokenReview review(TokenReview asked) {
    String user = USERS.get(asked.getSpec().getToken());
    List<String> audiences = asked.getSpec().getAudiences();
    lastAudiences.set(audiences);
    boolean ok = user != null && (audiences.isEmpty() || audiences.contains(AUDIENCE));
    return new TokenReviewBuilder(asked)
        .withNewStatus()
        .withAuthenticated(ok)
        .withAudiences(ok ? audiences : List.of())
        .withError(ok ? null : "invalid bearer token")
        .withNewUser().withUsername(ok ? user : null).endUser()
        .endStatus()
        .build();
  }

  @Test
  void serviceAccountTokenIsCertifiedAsItsSpiffeId() throws Exception {
    KubernetesTokenAuthenticator authenticator = new KubernetesTokenAuthenticator(client, TD, List.of(AUDIENCE));

    assertThat(authenticator.authenticate("sa-token-web-0123456789")).isEqualTo(SpiffeId.forWorkload(TD, "shop", "web"));
    assertThat(lastAudiences.get()).containsExactly(AUDIENCE);
  }

  @Test
  void unknownTokenAndNonServiceAccountUserAreRefused() {
    KubernetesTokenAuthenticator authenticator = new KubernetesTokenAuthenticator(client, TD, List.of(AUDIENCE));

    assertThatThrownBy(() -> authenticator.authenticate("forged-token-000000000"))
        .isInstanceOf(AuthenticationException.class)
        .hasMessage("Kubernetes TokenReview did not authenticate the token: invalid bearer token");
    assertThatThrownBy(() -> authenticator.authenticate("user-token-alice-0123456"))
        .isInstanceOf(AuthenticationException.class)
        .hasMessageContaining("user \"alice\"")
        .hasMessageContaining("expected: a service account");
  }

  @Test
  void tokenForAnotherAudienceIsRefused() {
    KubernetesTokenAuthenticator authenticator = new KubernetesTokenAuthenticator(client, TD, List.of("other-service"));

    assertThatThrownBy(() -> authenticator.authenticate("sa-token-web-0123456789"))
        .isInstanceOf(AuthenticationException.class);
  }

  @Test
  void caServerIssuesThroughTokenReview() throws Exception {
    try (CaServer ca = CaServer.builder(fixture.material, new KubernetesTokenAuthenticator(client, TD, List.of(AUDIENCE)))
            .address(new InetSocketAddress(InetAddress.getLoopbackAddress(), 0))
            .start();
        CaClient good = new CaClient(fixture.clientConfig(ca.address(), fixture.tokenFile("sa", "sa-token-web-0123456789")));
        CaClient bad = new CaClient(fixture.clientConfig(ca.address(), fixture.tokenFile("bad", "forged-token-000000000")))) {
      SpiffeId web = SpiffeId.forWorkload(TD, "shop", "web");
      var keyPair = KeyType.EC_P256.generate(new SecureRandom());

      CertificateChain chain = good.sign(CertificateRequests.create(keyPair, web), Duration.ofHours(1))
          .get(10, TimeUnit.SECONDS);

      assertThat(chain.spiffeId()).isEqualTo(web);
      assertThatThrownBy(() -> bad.sign(CertificateRequests.create(keyPair, web), Duration.ofHours(1))
          .get(10, TimeUnit.SECONDS))
          .cause()
          .isInstanceOfSatisfying(CaClientException.class, e -> assertThat(e.statusName()).isEqualTo("UNAUTHENTICATED"));
    }
  }
}

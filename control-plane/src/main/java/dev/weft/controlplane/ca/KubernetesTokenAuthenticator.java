package dev.weft.controlplane.ca;

import dev.weft.certs.InvalidSpiffeIdException;
import dev.weft.certs.SpiffeId;
import dev.weft.certs.TrustDomain;
import io.fabric8.kubernetes.api.model.authentication.TokenReview;
import io.fabric8.kubernetes.api.model.authentication.TokenReviewBuilder;
import io.fabric8.kubernetes.api.model.authentication.TokenReviewStatus;
import io.fabric8.kubernetes.client.KubernetesClient;
import io.fabric8.kubernetes.client.KubernetesClientException;
import java.util.List;
import java.util.Objects;

/**
 * Authenticates Kubernetes service-account tokens with a TokenReview, as Istio's CA does.
 *
 * <p>The API server's verdict names the user {@code system:serviceaccount:<namespace>:<name>},
 * which becomes {@code spiffe://<trust domain>/ns/<namespace>/sa/<name>}. With audiences
 * configured (for example {@code weft-ca}, matching a projected token's audience), the review asks
 * for them and the answer must confirm at least one, so a token minted for another service cannot
 * be replayed here. Tokens of users that are not service accounts are refused.
 *
 * <pre>{@code
 * Authenticator auth = new KubernetesTokenAuthenticator(client, TrustDomain.of("cluster.local"), List.of("weft-ca"));
 * }</pre>
 */
public final class KubernetesTokenAuthenticator implements Authenticator {

  private static final String SERVICE_ACCOUNT_PREFIX = "system:serviceaccount:";

  private final KubernetesClient client;
  private final TrustDomain trustDomain;
  private final List<String> audiences;

  /**
   * Creates the authenticator.
   *
   * @param client the Kubernetes client; its credentials need {@code create} on {@code tokenreviews}
   * @param trustDomain the trust domain of the identities it returns
   * @param audiences audiences a token must be valid for; empty accepts the API server's default audience
   */
  public KubernetesTokenAuthenticator(KubernetesClient client, TrustDomain trustDomain, List<String> audiences) {
    this.client = Objects.requireNonNull(client, "client");
    this.trustDomain = Objects.requireNonNull(trustDomain, "trustDomain");
    this.audiences = List.copyOf(audiences);
  }

  @Override
  public SpiffeId authenticate(String token) throws AuthenticationException {
    TokenReview review = new TokenReviewBuilder()
        .withNewSpec().withToken(token).withAudiences(audiences).endSpec()
        .build();
    TokenReview answer;
    try {
      answer = client.authentication().v1().tokenReviews().create(review);
    } catch (KubernetesClientException e) {
      throw new AuthenticatorUnavailableException("TokenReview failed (HTTP " + e.getCode() + "): " + e.getMessage(), e);
    }
    TokenReviewStatus status = answer == null ? null : answer.getStatus();
    if (status == null || !Boolean.TRUE.equals(status.getAuthenticated())) {
      String error = status == null || status.getError() == null ? "" : ": " + status.getError();
      throw new AuthenticationException("Kubernetes TokenReview did not authenticate the token" + error);
    }
    if (!audiences.isEmpty()) {
      List<String> confirmed = status.getAudiences() == null ? List.of() : status.getAudiences();
      if (confirmed.stream().noneMatch(audiences::contains)) {
        throw new AuthenticationException("token is for audiences " + confirmed + " (expected one of: " + audiences + ")");
      }
    }
    String username = status.getUser() == null ? null : status.getUser().getUsername();
    return identityOf(username, trustDomain);
  }

  /**
   * Maps a Kubernetes username {@code system:serviceaccount:<ns>:<sa>} to its SPIFFE ID.
   *
   * @throws AuthenticationException if the user is not a service account
   */
  static SpiffeId identityOf(String username, TrustDomain trustDomain) throws AuthenticationException {
    if (username == null || !username.startsWith(SERVICE_ACCOUNT_PREFIX)) {
      throw new AuthenticationException("token authenticates user \"" + username
          + "\" (expected: a service account, system:serviceaccount:<namespace>:<name>)");
    }
    String[] parts = username.substring(SERVICE_ACCOUNT_PREFIX.length()).split(":", -1);
    if (parts.length != 2 || parts[0].isEmpty() || parts[1].isEmpty()) {
      throw new AuthenticationException("token authenticates user \"" + username
          + "\" (expected: system:serviceaccount:<namespace>:<name>)");
    }
    try {
      return SpiffeId.forWorkload(trustDomain, parts[0], parts[1]);
    } catch (InvalidSpiffeIdException e) {
      throw new AuthenticationException("service account " + username + " has no valid SPIFFE ID: " + e.getMessage());
    }
  }

  @Override
  public String toString() {
    return "KubernetesTokenAuthenticator[trustDomain=" + trustDomain + ", audiences=" + audiences + "]";
  }
}

package dev.weft.controlplane.translate;

import static dev.weft.controlplane.translate.MeshFixtures.LOCAL;
import static dev.weft.controlplane.translate.MeshFixtures.PRODUCTPAGE_NODE;
import static dev.weft.controlplane.translate.MeshFixtures.REGISTRY;
import static dev.weft.controlplane.translate.MeshFixtures.policies;
import static org.assertj.core.api.Assertions.assertThat;

import dev.weft.controlplane.policy.PolicySet;
import org.junit.jupiter.api.Test;

/**
 * The resilience settings of the policies (retries and budgets, fault injection, load-balancer
 * policies and hash keys, circuit breakers, outlier detection with locality priorities, health
 * checks) translate to resources the sidecar's own translator accepts.
 */
class MeshResilienceValidateTest {

  @Test
  void everyResilienceSettingIsAcceptedByTheSidecar() {
    PolicySet p = policies("""
        apiVersion: weft.dev/v1alpha1
        kind: DestinationPolicy
        metadata: {name: reviews, namespace: shop}
        spec:
          service: reviews
          loadBalancer: {policy: RING_HASH, hashKey: {cookie: {name: session, ttl: 1h}}}
          connectionLimits: {maxConnections: 100, maxPendingRequests: 10, maxRequests: 200, maxRetries: 3,
                             connectTimeout: 250ms}
          outlierDetection: {consecutive5xx: 3, consecutiveGatewayErrors: 2, consecutiveLocalOriginFailures: 2,
                             interval: 5s, baseEjectionTime: 30s, maxEjectionPercent: 50}
          healthCheck: {interval: 5s, timeout: 1s, http: {path: /healthz}}
          subsets: [{name: v1, labels: {version: v1}}, {name: v2, labels: {version: v2}}]
        ---
        apiVersion: weft.dev/v1alpha1
        kind: DestinationPolicy
        metadata: {name: ratings, namespace: shop}
        spec:
          service: ratings
          loadBalancer: {policy: LEAST_REQUEST}
          healthCheck: {interval: 5s, timeout: 1s, tcp: {}}
        ---
        apiVersion: weft.dev/v1alpha1
        kind: DestinationPolicy
        metadata: {name: productpage, namespace: shop}
        spec:
          service: productpage
          loadBalancer: {policy: MAGLEV, hashKey: {sourceIp: true}}
        ---
        apiVersion: weft.dev/v1alpha1
        kind: TrafficRoute
        metadata: {name: reviews, namespace: shop}
        spec:
          service: reviews
          timeout: 3s
          retries: {attempts: 2, budget: {percent: 20, minConcurrency: 3}}
          routes:
          - match: [{headers: [{name: x-chaos}]}]
            backends: [{subset: v2}]
            retries:
              attempts: 3
              perTryTimeout: 200ms
              retryOn: [5xx, reset, connect-failure, retriable-status-codes]
              retriableStatusCodes: [503]
              backoff: {baseInterval: 10ms, maxInterval: 100ms}
            fault:
              delay: {fixedDelay: 100ms, percent: 10}
              abort: {httpStatus: 503, percent: 0.5}
          - backends: [{subset: v1, weight: 90}, {subset: v2, weight: 10}]
        ---
        apiVersion: weft.dev/v1alpha1
        kind: TrafficRoute
        metadata: {name: ratings, namespace: shop}
        spec:
          service: ratings
          routes:
          - backends: [{}]
            fault: {abort: {grpcStatus: 14, percent: 1}}
        ---
        apiVersion: weft.dev/v1alpha1
        kind: MeshConfig
        metadata: {name: mesh}
        spec:
          defaultRetries: {attempts: 1, retryOn: [connect-failure, unavailable]}
        """);
    XdsResources out = MeshTranslator.translate(p, REGISTRY, PRODUCTPAGE_NODE, LOCAL);
    assertThat(out.endpoints().stream().flatMap(e -> e.getEndpointsList().stream())
        .anyMatch(l -> l.getPriority() > 0)).as("locality priorities are in use").isTrue();
    assertThat(MeshTranslator.validate(out)).isEmpty();
    for (ProxyNode node : java.util.List.of(MeshFixtures.REVIEWS_V1_NODE,
        new ProxyNode("ratings-1.shop", "shop", "ratings-1"))) {
      assertThat(MeshTranslator.validate(MeshTranslator.translate(p, REGISTRY, node, LOCAL))).isEmpty();
    }
  }
}

package dev.weft.controlplane.policy;

import static org.assertj.core.api.Assertions.assertThat;

import java.nio.file.Files;
import java.nio.file.Path;
import java.time.Duration;
import java.util.List;
import java.util.Map;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

class PolicyLoaderTest {

  private static final String HEAD = "apiVersion: weft.dev/v1alpha1\n";

  private static List<String> errors(String yaml) {
    return PolicyLoader.parse(yaml, "reviews.yaml").errors().stream().map(PolicyError::toString).toList();
  }

  // ---- the message format

  @Test
  void errorNamesFileLineColumnPathValueAndExpectation() {
    String yaml = HEAD + """
        kind: TrafficRoute
        metadata:
          name: reviews
          namespace: shop
        spec:
          service: reviews
          routes:
          - match:
            - headers:
              - name: end-user
                exact: jason
            backends: [{subset: v2}]
            retries:
              attempts: -1
        """;
    PolicyLoad load = PolicyLoader.parse(yaml, "reviews.yaml");
    assertThat(load.errors()).extracting(PolicyError::toString)
        .containsExactly("reviews.yaml:15:7: spec.routes[0].retries.attempts: -1 (expected: >= 0)");
    PolicyError e = load.errors().get(0);
    assertThat(e.resource()).isEqualTo("TrafficRoute/shop/reviews");
    assertThat(e.line()).isEqualTo(15);
    assertThat(e.column()).isEqualTo(7);
    assertThat(load.policies().trafficRoutes()).isEmpty();
  }

  @Test
  void everyErrorOfADocumentIsReportedNotJustTheFirst() {
    String yaml = HEAD + """
        kind: TrafficRoute
        metadata: {name: reviews}
        spec:
          service: Reviews
          timeout: soon
          routes:
          - backends: [{weight: 50}, {subset: v2, weight: 40}]
            fault: {abort: {httpStatus: 700}}
        """;
    assertThat(errors(yaml)).containsExactly(
        "reviews.yaml:5:3: spec.service: 'Reviews' (expected: a DNS label: lower-case letters, digits"
            + " and '-', at most 63 characters)",
        "reviews.yaml:6:3: spec.timeout: soon (expected: a duration > 0 such as 250ms, 1.5s, 1m30s)",
        "reviews.yaml:8:5: spec.routes[0].backends: the weights add up to 90 (expected: 100)",
        "reviews.yaml:9:21: spec.routes[0].fault.abort.httpStatus: 700 (expected: 200 to 599)");
  }

  // ---- unknown fields

  @Test
  void unknownFieldIsRejectedWithASuggestion() {
    String yaml = HEAD + """
        kind: TrafficRoute
        metadata: {name: reviews, namespace: shop}
        spec:
          service: reviews
          routes:
          - backends: [{subset: v1}]
            retires: {attempts: 3}
        """;
    assertThat(errors(yaml)).containsExactly("reviews.yaml:8:5: spec.routes[0].retires: unknown field (did you mean "
        + "'retries'?) (expected one of: name, match, backends, timeout, retries, fault, requestHeaders, "
        + "responseHeaders, rewrite)");
  }

  @Test
  void unknownFieldsAreRejectedInEveryKindAndAtTheTop() {
    String yaml = HEAD + """
        kind: MTLSPolicy
        metadata: {name: strict, namespace: shop, namespce: x}
        spec: {mode: STRICT, selector: {matchLabel: {app: x}}}
        extra: 1
        ---
        apiVersion: weft.dev/v1alpha1
        kind: AuthorizationPolicy
        metadata: {name: allow}
        spec:
          rules:
          - from: [{namespace: [shop]}]
        ---
        apiVersion: weft.dev/v1alpha1
        kind: DestinationPolicy
        metadata: {name: d}
        spec: {service: reviews, outlierDetection: {consecutive5XX: 3}}
        ---
        apiVersion: weft.dev/v1alpha1
        kind: MeshConfig
        metadata: {name: mesh}
        spec: {trustDomian: example.org}
        """;
    assertThat(errors(yaml)).containsExactly(
        "reviews.yaml:3:43: metadata.namespce: unknown field (did you mean 'namespace'?) (expected one"
            + " of: name, namespace)",
        "reviews.yaml:4:22: spec.selector.matchLabels: required field is missing",
        "reviews.yaml:4:33: spec.selector.matchLabel: unknown field (did you mean 'matchLabels'?)"
            + " (expected one of: matchLabels)",
        "reviews.yaml:5:1: extra: unknown field (expected one of: apiVersion, kind, metadata, spec)",
        "reviews.yaml:12:12: spec.rules[0].from[0]: no callers (expected: principals, namespaces or"
            + " serviceAccounts)",
        "reviews.yaml:12:13: spec.rules[0].from[0].namespace: unknown field (did you mean"
            + " 'namespaces'?) (expected one of: principals, namespaces, serviceAccounts)",
        "reviews.yaml:17:45: spec.outlierDetection.consecutive5XX: unknown field (did you mean"
            + " 'consecutive5xx'?) (expected one of: consecutive5xx, consecutiveGatewayErrors,"
            + " consecutiveLocalOriginFailures, interval, baseEjectionTime, maxEjectionPercent)",
        "reviews.yaml:22:8: spec.trustDomian: unknown field (did you mean 'trustDomain'?) (expected one"
            + " of: trustDomain, mtls, defaultRetries)");
  }

  @Test
  void unknownKindAndWrongApiVersion() {
    String yaml = """
        apiVersion: weft.dev/v1
        kind: TraficRoute
        metadata: {name: x}
        spec: {}
        """;
    assertThat(errors(yaml)).containsExactly(
        "reviews.yaml:1:1: apiVersion: 'weft.dev/v1' (expected: weft.dev/v1alpha1)",
        "reviews.yaml:2:1: kind: 'TraficRoute' (expected: one of TrafficRoute, DestinationPolicy, MTLSPolicy, "
            + "AuthorizationPolicy, MeshConfig) (did you mean 'TrafficRoute'?)");
  }

  @Test
  void kubernetesObjectMetaAndStatusAreAcceptedFromTheApiServer() {
    String json = """
        {"apiVersion":"weft.dev/v1alpha1","kind":"MTLSPolicy",
         "metadata":{"name":"strict","namespace":"shop","uid":"1","resourceVersion":"7","generation":2,
                     "creationTimestamp":"2026-01-01T00:00:00Z","labels":{"a":"b"},"managedFields":[]},
         "spec":{"mode":"STRICT"},
         "status":{"conditions":[]}}
        """;
    PolicyLoad load = PolicyLoader.parse(json, "MTLSPolicy/shop/strict");
    assertThat(load.errors()).isEmpty();
    assertThat(load.policies().mtlsPolicies()).singleElement().satisfies(m -> {
      assertThat(m.mode()).isEqualTo(Mode.STRICT);
      assertThat(m.meta().resource()).isEqualTo("MTLSPolicy/shop/strict");
      assertThat(m.selector()).isEmpty();
    });
  }

  @Test
  void errorsOfACustomResourceNameTheResource() {
    PolicyLoad load = PolicyLoader.parse("""
        {"apiVersion":"weft.dev/v1alpha1","kind":"MTLSPolicy","metadata":{"name":"m","namespace":"shop"},
         "spec":{"mode":"STRICTLY"}}""", "MTLSPolicy/shop/m");
    assertThat(load.errors()).singleElement().satisfies(e -> {
      assertThat(e.resource()).isEqualTo("MTLSPolicy/shop/m");
      assertThat(e.toString()).isEqualTo("MTLSPolicy/shop/m:2:10: spec.mode: 'STRICTLY' (expected: one of STRICT, "
          + "PERMISSIVE, DISABLE) (did you mean 'STRICT'?)");
    });
  }

  // ---- every kind, valid

  @Test
  void trafficRouteWithEveryField() {
    String yaml = HEAD + """
        kind: TrafficRoute
        metadata: {name: reviews, namespace: shop}
        spec:
          service: reviews
          timeout: 3s
          retries:
            attempts: 2
            retryOn: [5xx, connect-failure]
            budget: {percent: 20, minConcurrency: 5}
          routes:
          - name: jason
            match:
            - path: {prefix: /api}
              headers: [{name: End-User, exact: jason}, {name: x-canary}]
              method: GET
            backends: [{subset: v2}]
            timeout: 1500ms
            retries:
              attempts: 3
              perTryTimeout: 500ms
              retryOn: [retriable-status-codes, reset]
              retriableStatusCodes: [503]
              backoff: {baseInterval: 10ms, maxInterval: 1s}
            fault:
              delay: {fixedDelay: 2s, percent: 10}
              abort: {grpcStatus: 14, percent: 0.5}
            requestHeaders: {set: {x-route: jason}, add: {x-trace: "1"}, remove: [x-debug]}
            responseHeaders: {remove: [server]}
            rewrite: {prefix: /v2/api, authority: reviews.internal}
          - backends:
            - {subset: v1, weight: 90}
            - {subset: v3, weight: 10}
        ---
        apiVersion: weft.dev/v1alpha1
        kind: DestinationPolicy
        metadata: {name: reviews, namespace: shop}
        spec:
          service: reviews
          subsets:
          - {name: v1, labels: {version: v1}}
          - {name: v2, labels: {version: v2}}
          - {name: v3, labels: {version: v3}}
        """;
    PolicyLoad load = PolicyLoader.parse(yaml, "reviews.yaml");
    assertThat(load.errors()).isEmpty();
    TrafficRoute t = load.policies().trafficRoute("shop", "reviews").orElseThrow();
    assertThat(t.timeout()).isEqualTo(Duration.ofSeconds(3));
    assertThat(t.retries().budget()).isEqualTo(new RetryPolicy.Budget(20, 5));
    TrafficRoute.HttpRoute r = t.routes().get(0);
    assertThat(r.matches()).singleElement().isEqualTo(new TrafficRoute.Match(
        new TrafficRoute.StringMatch(TrafficRoute.StringMatch.Kind.PREFIX, "/api"),
        List.of(new TrafficRoute.HeaderMatch("end-user",
            new TrafficRoute.StringMatch(TrafficRoute.StringMatch.Kind.EXACT, "jason")),
            new TrafficRoute.HeaderMatch("x-canary", null)), "GET"));
    assertThat(r.backends()).containsExactly(new TrafficRoute.Backend("reviews", "v2", 0, 100));
    assertThat(r.timeout()).isEqualTo(Duration.ofMillis(1500));
    assertThat(r.retries()).isEqualTo(new RetryPolicy(3, Duration.ofMillis(500),
        List.of("retriable-status-codes", "reset"), List.of(503), Duration.ofMillis(10), Duration.ofSeconds(1), null));
    assertThat(r.fault()).isEqualTo(new TrafficRoute.Fault(new TrafficRoute.Fault.Delay(Duration.ofSeconds(2), 10),
        new TrafficRoute.Fault.Abort(0, 14, 0.5)));
    assertThat(r.requestHeaders()).isEqualTo(new TrafficRoute.HeaderChanges(Map.of("x-route", "jason"),
        Map.of("x-trace", "1"), List.of("x-debug")));
    assertThat(r.responseHeaders().remove()).containsExactly("server");
    assertThat(r.rewrite()).isEqualTo(new TrafficRoute.Rewrite("/v2/api", "reviews.internal"));
    assertThat(t.routes().get(1).backends()).containsExactly(new TrafficRoute.Backend("reviews", "v1", 0, 90),
        new TrafficRoute.Backend("reviews", "v3", 0, 10));
    assertThat(t.meta().position("spec.routes[1].backends")).isEqualTo(new PolicyMeta.Position(31, 5));
  }

  @Test
  void destinationPolicyWithEveryField() {
    String yaml = HEAD + """
        kind: DestinationPolicy
        metadata: {name: reviews, namespace: shop}
        spec:
          service: reviews
          loadBalancer:
            policy: RING_HASH
            hashKey: {cookie: {name: session, ttl: 1h}}
          connectionLimits: {maxConnections: 100, maxPendingRequests: 10, maxRequests: 200, maxRetries: 3,
                             connectTimeout: 250ms}
          outlierDetection: {consecutive5xx: 5, consecutiveGatewayErrors: 3, consecutiveLocalOriginFailures: 2,
                             interval: 10s, baseEjectionTime: 30s, maxEjectionPercent: 50}
          healthCheck: {interval: 5s, timeout: 1s, healthyThreshold: 2, unhealthyThreshold: 3, http: {path: /healthz}}
          subsets:
          - {name: v1, labels: {version: v1}}
        """;
    PolicyLoad load = PolicyLoader.parse(yaml, "reviews.yaml");
    assertThat(load.errors()).isEmpty();
    DestinationPolicy d = load.policies().destinationPolicy("shop", "reviews").orElseThrow();
    assertThat(d.loadBalancer()).isEqualTo(new DestinationPolicy.LoadBalancer(DestinationPolicy.LbPolicy.RING_HASH,
        new DestinationPolicy.HashKey(null, "session", Duration.ofHours(1), false)));
    assertThat(d.connectionLimits()).isEqualTo(new DestinationPolicy.ConnectionLimits(100, 10, 200, 3,
        Duration.ofMillis(250)));
    assertThat(d.outlierDetection()).isEqualTo(new DestinationPolicy.OutlierDetection(5, 3, 2, Duration.ofSeconds(10),
        Duration.ofSeconds(30), 50));
    assertThat(d.healthCheck()).isEqualTo(new DestinationPolicy.HealthCheck(Duration.ofSeconds(5),
        Duration.ofSeconds(1), 2, 3, "/healthz"));
    assertThat(d.subsets()).containsExactly(new DestinationPolicy.Subset("v1", Map.of("version", "v1")));
  }

  @Test
  void mtlsAuthorizationAndMeshConfig() {
    String yaml = HEAD + """
        kind: MTLSPolicy
        metadata: {name: legacy, namespace: shop}
        spec: {selector: {matchLabels: {app: legacy}}, mode: DISABLE}
        ---
        apiVersion: weft.dev/v1alpha1
        kind: AuthorizationPolicy
        metadata: {name: reviews-readers, namespace: shop}
        spec:
          selector: {matchLabels: {app: reviews}}
          action: ALLOW
          rules:
          - from: [{serviceAccounts: [shop/productpage]}, {namespaces: [ops]}]
            to: [{methods: [GET], paths: [/reviews/*, /health]}]
        ---
        apiVersion: weft.dev/v1alpha1
        kind: MeshConfig
        metadata: {name: mesh, namespace: weft-system}
        spec:
          trustDomain: example.org
          mtls: {mode: STRICT}
          defaultRetries: {attempts: 2, retryOn: [connect-failure, refused-stream]}
        """;
    PolicyLoad load = PolicyLoader.parse(yaml, "mesh.yaml");
    assertThat(load.errors()).isEmpty();
    PolicySet p = load.policies();
    assertThat(p.mtlsPolicies()).singleElement().satisfies(m -> {
      assertThat(m.selector()).isEqualTo(Map.of("app", "legacy"));
      assertThat(m.mode()).isEqualTo(Mode.DISABLE);
    });
    assertThat(p.authorizationPolicies()).singleElement().satisfies(a -> {
      assertThat(a.action()).isEqualTo(AuthorizationPolicy.Action.ALLOW);
      assertThat(a.rules()).containsExactly(new AuthorizationPolicy.Rule(
          List.of(new AuthorizationPolicy.Source(List.of(), List.of(), List.of("shop/productpage")),
              new AuthorizationPolicy.Source(List.of(), List.of("ops"), List.of())),
          List.of(new AuthorizationPolicy.Operation(List.of("/reviews/*", "/health"), List.of("GET")))));
    });
    assertThat(p.mesh().trustDomain()).isEqualTo("example.org");
    assertThat(p.mesh().mtlsMode()).isEqualTo(Mode.STRICT);
    assertThat(p.mesh().defaultRetries().attempts()).isEqualTo(2);
  }

  @Test
  void meshDefaultsWithoutAMeshConfig() {
    PolicySet p = PolicyLoader.parse(HEAD + "kind: MTLSPolicy\nmetadata: {name: m}\nspec: {mode: STRICT}\n", "m.yaml")
        .policies();
    assertThat(p.mesh()).isEqualTo(MeshConfig.DEFAULT);
    assertThat(p.mtlsPolicies().get(0).meta().namespace()).isEqualTo("default");
  }

  // ---- value checks of each kind

  @Test
  void destinationPolicyValueChecks() {
    String yaml = HEAD + """
        kind: DestinationPolicy
        metadata: {name: d}
        spec:
          service: reviews
          loadBalancer: {policy: MAGLEV}
          connectionLimits: {maxConnections: 0}
          outlierDetection: {maxEjectionPercent: 150}
          healthCheck: {interval: 5s, timeout: 1s, http: {path: /h}, tcp: {}}
          subsets:
          - {name: v1, labels: {version: v1}}
          - {name: v1}
        """;
    assertThat(errors(yaml)).containsExactly(
        "reviews.yaml:6:17: spec.loadBalancer.hashKey: required field is missing (expected: a hash key"
            + " for policy MAGLEV)",
        "reviews.yaml:7:22: spec.connectionLimits.maxConnections: 0 (expected: >= 1)",
        "reviews.yaml:8:22: spec.outlierDetection.maxEjectionPercent: 150 (expected: 0 to 100)",
        "reviews.yaml:9:3: spec.healthCheck: both http and tcp (expected: exactly one of http: {path:"
            + " ...}, tcp: {})",
        "reviews.yaml:12:5: spec.subsets[1].labels: required field is missing (expected: at least one"
            + " pod label)",
        "reviews.yaml:12:6: spec.subsets[1].name: 'v1' (expected: a subset name not used before in this"
            + " policy)");
  }

  @Test
  void retryChecks() {
    String yaml = HEAD + """
        kind: TrafficRoute
        metadata: {name: r}
        spec:
          service: reviews
          routes:
          - backends: [{}]
            retries:
              retryOn: [5xx, gateway-eror]
              retriableStatusCodes: [503]
              backoff: {baseInterval: 1s, maxInterval: 100ms}
              budget: {percent: 20}
        """;
    assertThat(errors(yaml)).containsExactly(
        "reviews.yaml:8:5: spec.routes[0].retries.attempts: required field is missing",
        "reviews.yaml:9:22: spec.routes[0].retries.retryOn[1]: 'gateway-eror' (expected: one of 5xx,"
            + " gateway-error, reset, connect-failure, refused-stream, retriable-4xx, retriable-status-codes,"
            + " cancelled, deadline-exceeded, internal, resource-exhausted, unavailable) (did you mean"
            + " 'gateway-error'?)",
        "reviews.yaml:10:7: spec.routes[0].retries.retriableStatusCodes: [503] (expected: retryOn to"
            + " include retriable-status-codes)",
        "reviews.yaml:11:35: spec.routes[0].retries.backoff.maxInterval: 100ms (expected: >="
            + " baseInterval 1s)",
        "reviews.yaml:12:7: spec.routes[0].retries.budget: a retry budget here (expected: in"
            + " spec.retries; a budget applies to the whole service)");
  }

  @Test
  void matchAndHeaderChecks() {
    String yaml = HEAD + """
        kind: TrafficRoute
        metadata: {name: r}
        spec:
          service: reviews
          routes:
          - match:
            - path: {prefix: api}
            - path: {regex: "(unclosed"}
            - method: FETCH
            - {}
            backends: [{}]
            requestHeaders: {set: {host: x}, remove: [":path"]}
        """;
    assertThat(errors(yaml)).containsExactly(
        "reviews.yaml:8:14: spec.routes[0].match[0].path.prefix: 'api' (expected: a path starting with"
            + " '/')",
        "reviews.yaml:9:14: spec.routes[0].match[1].path.regex: '(unclosed' (expected: an RE2 regular"
            + " expression; missing closing ))",
        "reviews.yaml:10:7: spec.routes[0].match[2].method: 'FETCH' (expected: one of CONNECT, DELETE,"
            + " GET, HEAD, OPTIONS, PATCH, POST, PUT, TRACE)",
        "reviews.yaml:11:7: spec.routes[0].match[3]: an empty match (expected: path, headers or method)",
        "reviews.yaml:13:28: spec.routes[0].requestHeaders.set.host: 'host' (expected: a header name"
            + " other than host)",
        "reviews.yaml:13:47: spec.routes[0].requestHeaders.remove[0]: ':path' (expected: a header name"
            + " other than host)");
  }

  @Test
  void authorizationChecks() {
    String yaml = HEAD + """
        kind: AuthorizationPolicy
        metadata: {name: a}
        spec:
          action: AUDIT
          rules:
          - from: [{principals: [productpage], serviceAccounts: [productpage]}]
            to: [{paths: [/a*b], methods: [get]}]
        """;
    assertThat(errors(yaml)).containsExactly(
        "reviews.yaml:5:3: spec.action: 'AUDIT' (expected: one of ALLOW, DENY)",
        "reviews.yaml:7:26: spec.rules[0].from[0].principals[0]: 'productpage' (expected: a SPIFFE ID"
            + " spiffe://<trust-domain>/ns/<ns>/sa/<sa>)",
        "reviews.yaml:7:58: spec.rules[0].from[0].serviceAccounts[0]: 'productpage' (expected:"
            + " <namespace>/<service-account>)",
        "reviews.yaml:8:19: spec.rules[0].to[0].paths[0]: '/a*b' (expected: an exact path, a prefix"
            + " '/api/*', a suffix '*.js' or '*')",
        "reviews.yaml:8:36: spec.rules[0].to[0].methods[0]: 'get' (expected: an HTTP method in upper"
            + " case, e.g. GET)");
  }

  @Test
  void invalidYamlIsAnErrorWithItsPosition() {
    assertThat(errors(HEAD + "kind: [unclosed\n")).singleElement().asString()
        .startsWith("reviews.yaml:3:1: : invalid YAML:");
    assertThat(errors("")).containsExactly("reviews.yaml:0:0: : no policy documents (expected: one or more documents "
        + "with apiVersion weft.dev/v1alpha1)");
  }

  // ---- references between documents

  @Test
  void backendSubsetMustBeDefined() {
    String yaml = HEAD + """
        kind: TrafficRoute
        metadata: {name: reviews, namespace: shop}
        spec:
          service: reviews
          routes:
          - backends: [{subset: v1, weight: 50}, {subset: v4, weight: 50}]
          - backends: [{service: ratings, subset: v1}]
        ---
        apiVersion: weft.dev/v1alpha1
        kind: DestinationPolicy
        metadata: {name: reviews, namespace: shop}
        spec:
          service: reviews
          subsets: [{name: v1, labels: {version: v1}}, {name: v2, labels: {version: v2}}]
        """;
    PolicyLoad load = PolicyLoader.parse(yaml, "reviews.yaml");
    assertThat(load.errors()).extracting(PolicyError::toString).containsExactly(
        "reviews.yaml:7:43: spec.routes[0].backends[1].subset: 'v4' (expected: a subset of service 'reviews' "
            + "defined in DestinationPolicy/shop/reviews: v1, v2)",
        "reviews.yaml:8:35: spec.routes[1].backends[0].subset: 'v1' (expected: a subset defined in a valid "
            + "DestinationPolicy for service 'ratings'; there is none)");
    assertThat(load.policies().trafficRoutes()).isEmpty();
    assertThat(load.policies().destinationPolicies()).hasSize(1);
  }

  @Test
  void duplicatesAcrossFilesAreRejected(@TempDir Path dir) throws Exception {
    String route = HEAD + "kind: TrafficRoute\nmetadata: {name: %s, namespace: shop}\nspec: {service: reviews}\n";
    Files.writeString(dir.resolve("a.yaml"), route.formatted("first"));
    Files.writeString(dir.resolve("b.yaml"), route.formatted("second") + "---\n" + HEAD
        + "kind: MeshConfig\nmetadata: {name: m1}\nspec: {}\n---\n" + HEAD + "kind: MeshConfig\nmetadata: {name: m2}\n"
        + "spec: {}\n");
    Files.writeString(dir.resolve("notes.txt"), "not a policy");
    PolicyLoad load = PolicyLoader.loadDirectory(dir);
    assertThat(load.errors()).extracting(PolicyError::toString).containsExactly(
        dir.resolve("b.yaml") + ":4:8: spec.service: service 'reviews' already has a TrafficRoute (expected: one per "
            + "service; the first is TrafficRoute/shop/first in " + dir.resolve("a.yaml") + ")",
        dir.resolve("b.yaml") + ":12:1: kind: a second MeshConfig (expected: one per mesh; the first is "
            + "MeshConfig/default/m1 in " + dir.resolve("b.yaml") + ")");
    assertThat(load.policies().trafficRoutes()).extracting(t -> t.meta().name()).containsExactly("first");
  }

  @Test
  void validDocumentsAreKeptWhenOthersFail(@TempDir Path dir) throws Exception {
    Files.writeString(dir.resolve("good.yaml"), HEAD + "kind: MTLSPolicy\nmetadata: {name: m}\nspec: {mode: STRICT}\n");
    Files.writeString(dir.resolve("bad.yaml"), HEAD + "kind: MTLSPolicy\nmetadata: {name: n, namespace: x}\n"
        + "spec: {mode: strict}\n");
    PolicyLoad load = PolicyLoader.loadFiles(List.of(dir.resolve("good.yaml"), dir.resolve("bad.yaml")));
    assertThat(load.errors()).hasSize(1);
    assertThat(load.policies().mtlsPolicies()).extracting(m -> m.meta().name()).containsExactly("m");
  }
}

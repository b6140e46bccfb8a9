package dev.weft.controlplane.translate;

import static dev.weft.controlplane.translate.MeshFixtures.LOCAL;
import static dev.weft.controlplane.translate.MeshFixtures.PRODUCTPAGE_NODE;
import static dev.weft.controlplane.translate.MeshFixtures.REGISTRY;
import static dev.weft.controlplane.translate.MeshFixtures.REVIEWS_V1_NODE;
import static dev.weft.controlplane.translate.MeshFixtures.policies;
import static org.assertj.core.api.Assertions.assertThat;

import com.google.protobuf.Any;
import com.google.protobuf.InvalidProtocolBufferException;
import com.google.protobuf.Message;
import dev.weft.controlplane.policy.PolicySet;
import io.envoyproxy.envoy.config.cluster.v3.Cluster;
import io.envoyproxy.envoy.config.endpoint.v3.ClusterLoadAssignment;
import io.envoyproxy.envoy.config.listener.v3.Listener;
import io.envoyproxy.envoy.config.rbac.v3.RBAC;
import io.envoyproxy.envoy.config.route.v3.Route;
import io.envoyproxy.envoy.config.route.v3.RouteConfiguration;
import io.envoyproxy.envoy.config.route.v3.VirtualHost;
import io.envoyproxy.envoy.extensions.filters.http.fault.v3.HTTPFault;
import io.envoyproxy.envoy.extensions.filters.network.http_connection_manager.v3.HttpConnectionManager;
import io.envoyproxy.envoy.extensions.filters.network.http_connection_manager.v3.HttpFilter;
import io.envoyproxy.envoy.extensions.transport_sockets.tls.v3.DownstreamTlsContext;
import io.envoyproxy.envoy.extensions.transport_sockets.tls.v3.UpstreamTlsContext;
import io.envoyproxy.envoy.extensions.upstreams.http.v3.HttpProtocolOptions;
import java.util.List;
import org.junit.jupiter.api.Test;

class MeshTranslatorTest {

  private static final String REVIEWS = "reviews.shop.svc.cluster.local";

  private static final String SUBSETS = """
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

  private static final String CANARY = SUBSETS + """
      ---
      apiVersion: weft.dev/v1alpha1
      kind: TrafficRoute
      metadata: {name: reviews, namespace: shop}
      spec:
        service: reviews
        timeout: 3s
        routes:
        - name: jason
          match:
          - headers: [{name: end-user, exact: jason}]
            path: {prefix: /reviews}
            method: GET
          backends: [{subset: v2}]
          requestHeaders: {set: {x-route: jason}, remove: [x-debug]}
          responseHeaders: {add: {x-served-by: v2}}
          rewrite: {prefix: /v2/reviews}
        - backends:
          - {subset: v1, weight: 90}
          - {subset: v3, weight: 10}
      """;

  // ---- outbound

  @Test
  void meshWithoutPoliciesIsAcceptedByTheProxy() {
    XdsResources out = MeshTranslator.translate(PolicySet.EMPTY, REGISTRY, PRODUCTPAGE_NODE, LOCAL);
    assertThat(MeshTranslator.validate(out)).isEmpty();
    XdsResources reviews = MeshTranslator.translate(PolicySet.EMPTY, REGISTRY, REVIEWS_V1_NODE, LOCAL);
    assertThat(MeshTranslator.validate(reviews)).isEmpty();
  }

  @Test
  void outboundListenerUsesRdsOverAdsOnTheWorkloadsAddress() throws Exception {
    XdsResources out = MeshTranslator.translate(PolicySet.EMPTY, REGISTRY, PRODUCTPAGE_NODE, LOCAL);
    Listener l = listener(out, "outbound");
    assertThat(l.getAddress().getSocketAddress().getAddress()).isEqualTo("127.0.0.10");
    assertThat(l.getAddress().getSocketAddress().getPortValue()).isEqualTo(15001);
    HttpConnectionManager hcm = hcm(l, 0);
    assertThat(hcm.getRds().getRouteConfigName()).isEqualTo("outbound");
    assertThat(hcm.getRds().getConfigSource().hasAds()).isTrue();
    assertThat(hcm.getHttpFiltersList()).extracting(HttpFilter::getName).containsExactly("envoy.filters.http.router");
    assertThat(hcm.getHttpFilters(0).getTypedConfig().getTypeUrl()).endsWith("envoy.extensions.filters.http.router.v3.Router");

    XdsResources k8s = MeshTranslator.translate(PolicySet.EMPTY, REGISTRY, PRODUCTPAGE_NODE,
        MeshOptions.kubernetes("cluster.local"));
    assertThat(listener(k8s, "outbound").getAddress().getSocketAddress().getAddress()).isEqualTo("0.0.0.0");
    assertThat(listener(k8s, "inbound").getAddress().getSocketAddress().getAddress()).isEqualTo("0.0.0.0");
    assertThat(endpoints(k8s, "inbound|9080|").getEndpoints(0).getLbEndpoints(0).getEndpoint().getAddress()
        .getSocketAddress().getAddress()).isEqualTo("127.0.0.1");
  }

  @Test
  void oneVirtualHostPerServiceWithEveryFormOfItsName() {
    XdsResources out = MeshTranslator.translate(PolicySet.EMPTY, REGISTRY, PRODUCTPAGE_NODE, LOCAL);
    RouteConfiguration rc = out.routes().get(0);
    assertThat(rc.getVirtualHostsList()).extracting(VirtualHost::getName).containsExactly(
        "productpage.shop.svc.cluster.local:9080", "ratings.shop.svc.cluster.local:9090", REVIEWS + ":9080");
    assertThat(host(rc, "reviews").getDomainsList()).containsExactly("reviews", "reviews:9080", "reviews.shop",
        "reviews.shop:9080", "reviews.shop.svc", "reviews.shop.svc:9080", REVIEWS, REVIEWS + ":9080");
    // Without a TrafficRoute every request goes to the service as a whole.
    assertThat(host(rc, "reviews").getRoutesList()).singleElement().satisfies(r -> {
      assertThat(r.getMatch().getPrefix()).isEqualTo("/");
      assertThat(r.getRoute().getCluster()).isEqualTo("outbound|9080||" + REVIEWS);
    });
  }

  @Test
  void shortNamesOnlyForServicesOfTheCallersNamespace() {
    ProxyNode other = new ProxyNode("x.other", "other", "x");
    XdsResources out = MeshTranslator.translate(PolicySet.EMPTY, REGISTRY, other, LOCAL);
    assertThat(host(out.routes().get(0), "reviews").getDomainsList()).doesNotContain("reviews", "reviews:9080")
        .contains("reviews.shop", REVIEWS + ":9080");
  }

  @Test
  void trafficRouteBecomesMatchesSubsetsCanaryWeightsAndHeaderChanges() {
    XdsResources out = MeshTranslator.translate(policies(CANARY), REGISTRY, PRODUCTPAGE_NODE, LOCAL);
    VirtualHost vh = host(out.routes().get(0), "reviews");
    assertThat(vh.getRoutesList()).extracting(Route::getName).containsExactly("jason", "reviews-1", "default");

    Route jason = vh.getRoutes(0);
    assertThat(jason.getMatch().getPrefix()).isEqualTo("/reviews");
    assertThat(jason.getMatch().getHeadersList()).hasSize(2);
    assertThat(jason.getMatch().getHeaders(0).getName()).isEqualTo("end-user");
    assertThat(jason.getMatch().getHeaders(0).getStringMatch().getExact()).isEqualTo("jason");
    assertThat(jason.getMatch().getHeaders(1).getName()).isEqualTo(":method");
    assertThat(jason.getMatch().getHeaders(1).getStringMatch().getExact()).isEqualTo("GET");
    assertThat(jason.getRoute().getCluster()).isEqualTo("outbound|9080|v2|" + REVIEWS);
    assertThat(jason.getRoute().getTimeout().getSeconds()).isEqualTo(3);
    assertThat(jason.getRoute().getPrefixRewrite()).isEqualTo("/v2/reviews");
    assertThat(jason.getRequestHeadersToAdd(0).getHeader().getKey()).isEqualTo("x-route");
    assertThat(jason.getRequestHeadersToAdd(0).getAppendAction().name()).isEqualTo("OVERWRITE_IF_EXISTS_OR_ADD");
    assertThat(jason.getRequestHeadersToRemoveList()).containsExactly("x-debug");
    assertThat(jason.getResponseHeadersToAdd(0).getAppendAction().name()).isEqualTo("APPEND_IF_EXISTS_OR_ADD");
    assertThat(jason.getMetadata().getFilterMetadataOrThrow("weft.policy").getFieldsOrThrow("resource")
        .getStringValue()).isEqualTo("TrafficRoute/shop/reviews");

    Route canary = vh.getRoutes(1);
    assertThat(canary.getRoute().getWeightedClusters().getClustersList()).extracting(c -> c.getName() + "=" + c.getWeight()
        .getValue()).containsExactly("outbound|9080|v1|" + REVIEWS + "=90", "outbound|9080|v3|" + REVIEWS + "=10");

    // Every subset is a cluster of its own, with only its endpoints.
    assertThat(out.clusters()).extracting(Cluster::getName).contains("outbound|9080||" + REVIEWS,
        "outbound|9080|v1|" + REVIEWS, "outbound|9080|v2|" + REVIEWS, "outbound|9080|v3|" + REVIEWS);
    assertThat(addresses(endpoints(out, "outbound|9080|v1|" + REVIEWS))).containsExactly("127.0.0.11:15006");
    assertThat(addresses(endpoints(out, "outbound|9080||" + REVIEWS)))
        .containsExactlyInAnyOrder("127.0.0.11:15006", "127.0.0.12:15006", "127.0.0.13:15006");
    assertThat(MeshTranslator.validate(out)).isEmpty();
  }

  @Test
  void clustersAreEdsOverAdsWithLocalityWeightsAndMutualTls() throws Exception {
    XdsResources out = MeshTranslator.translate(policies(SUBSETS), REGISTRY, PRODUCTPAGE_NODE, LOCAL);
    Cluster c = cluster(out, "outbound|9080||" + REVIEWS);
    assertThat(c.getType()).isEqualTo(Cluster.DiscoveryType.EDS);
    assertThat(c.getEdsClusterConfig().getEdsConfig().hasAds()).isTrue();
    assertThat(unpack(c.getTypedExtensionProtocolOptionsOrThrow(
        "envoy.extensions.upstreams.http.v3.HttpProtocolOptions"), HttpProtocolOptions.class)
        .hasUseDownstreamProtocolConfig()).isTrue();
    UpstreamTlsContext tls = unpack(c.getTransportSocket().getTypedConfig(), UpstreamTlsContext.class);
    assertThat(tls.getSni()).isEqualTo(REVIEWS);
    assertThat(tls.getCommonTlsContext().getTlsCertificateSdsSecretConfigs(0).getName()).isEqualTo("default");
    var validation = tls.getCommonTlsContext().getCombinedValidationContext();
    assertThat(validation.getValidationContextSdsSecretConfig().getName()).isEqualTo("ROOTCA");
    assertThat(validation.getDefaultValidationContext().getMatchTypedSubjectAltNamesList())
        .extracting(m -> m.getSanType() + " " + m.getMatcher().getExact())
        .containsExactly("URI spiffe://cluster.local/ns/shop/sa/reviews");

    ClusterLoadAssignment cla = endpoints(out, "outbound|9080||" + REVIEWS);
    assertThat(cla.getEndpointsList()).extracting(l -> l.getLocality().getZone() + "/" + l.getLoadBalancingWeight()
        .getValue() + "/p" + l.getPriority()).containsExactly("eu-a/1/p0", "eu-b/2/p0");

    // gRPC ports speak HTTP/2 upstream.
    Cluster ratings = cluster(out, "outbound|9090||ratings.shop.svc.cluster.local");
    assertThat(unpack(ratings.getTypedExtensionProtocolOptionsOrThrow(
        "envoy.extensions.upstreams.http.v3.HttpProtocolOptions"), HttpProtocolOptions.class)
        .getExplicitHttpConfig().hasHttp2ProtocolOptions()).isTrue();
  }

  @Test
  void outlierDetectionPrioritizesTheCallersLocality() {
    String yaml = SUBSETS.replace("  subsets:", "  outlierDetection: {consecutive5xx: 3}\n  subsets:");
    XdsResources out = MeshTranslator.translate(policies(yaml), REGISTRY, PRODUCTPAGE_NODE, LOCAL);
    ClusterLoadAssignment cla = endpoints(out, "outbound|9080||" + REVIEWS);
    assertThat(cla.getEndpointsList()).extracting(l -> l.getLocality().getZone() + "/p" + l.getPriority())
        .containsExactly("eu-a/p0", "eu-b/p1");
  }

  @Test
  void destinationPolicyBecomesLbCircuitBreakersOutlierDetectionAndHealthChecks() {
    String yaml = """
        apiVersion: weft.dev/v1alpha1
        kind: DestinationPolicy
        metadata: {name: reviews, namespace: shop}
        spec:
          service: reviews
          loadBalancer: {policy: RING_HASH, hashKey: {header: x-user}}
          connectionLimits: {maxConnections: 100, maxPendingRequests: 10, maxRequests: 200, maxRetries: 3,
                             connectTimeout: 250ms}
          outlierDetection: {consecutiveGatewayErrors: 3, interval: 10s, baseEjectionTime: 30s, maxEjectionPercent: 50}
          healthCheck: {interval: 5s, timeout: 1s, unhealthyThreshold: 2, http: {path: /healthz}}
        ---
        apiVersion: weft.dev/v1alpha1
        kind: TrafficRoute
        metadata: {name: reviews, namespace: shop}
        spec:
          service: reviews
          retries: {attempts: 2, budget: {percent: 20, minConcurrency: 5}}
        """;
    XdsResources out = MeshTranslator.translate(policies(yaml), REGISTRY, PRODUCTPAGE_NODE, LOCAL);
    Cluster c = cluster(out, "outbound|9080||" + REVIEWS);
    assertThat(c.getLbPolicy()).isEqualTo(Cluster.LbPolicy.RING_HASH);
    assertThat(c.getConnectTimeout().getNanos()).isEqualTo(250_000_000);
    var t = c.getCircuitBreakers().getThresholds(0);
    assertThat(List.of(t.getMaxConnections().getValue(), t.getMaxPendingRequests().getValue(),
        t.getMaxRequests().getValue(), t.getMaxRetries().getValue())).containsExactly(100, 10, 200, 3);
    assertThat(t.getRetryBudget().getBudgetPercent().getValue()).isEqualTo(20.0);
    assertThat(t.getRetryBudget().getMinRetryConcurrency().getValue()).isEqualTo(5);
    var od = c.getOutlierDetection();
    assertThat(od.getConsecutiveGatewayFailure().getValue()).isEqualTo(3);
    assertThat(od.getEnforcingConsecutiveGatewayFailure().getValue()).isEqualTo(100);
    assertThat(od.getEnforcingConsecutive5Xx().getValue()).isZero();
    assertThat(od.getBaseEjectionTime().getSeconds()).isEqualTo(30);
    assertThat(od.getMaxEjectionPercent().getValue()).isEqualTo(50);
    var hc = c.getHealthChecks(0);
    assertThat(hc.getHttpHealthCheck().getPath()).isEqualTo("/healthz");
    assertThat(hc.getHttpHealthCheck().getHost()).isEqualTo(REVIEWS);
    assertThat(hc.getInterval().getSeconds()).isEqualTo(5);
    assertThat(hc.getUnhealthyThreshold().getValue()).isEqualTo(2);
    assertThat(hc.getHealthyThreshold().getValue()).isEqualTo(1);
    // The subsets share the service's settings.
    assertThat(c.getMetadata().getFilterMetadataOrThrow("weft.policy").getFieldsOrThrow("resource").getStringValue())
        .isEqualTo("DestinationPolicy/shop/reviews");

    Route route = host(out.routes().get(0), "reviews").getRoutes(0);
    assertThat(route.getRoute().getHashPolicy(0).getHeader().getHeaderName()).isEqualTo("x-user");
    assertThat(route.getRoute().getRetryPolicy().getNumRetries().getValue()).isEqualTo(2);
  }

  @Test
  void retriesAndFaultsBecomeEnvoyRetryPolicyAndFaultFilter() throws Exception {
    String yaml = """
        apiVersion: weft.dev/v1alpha1
        kind: TrafficRoute
        metadata: {name: ratings, namespace: shop}
        spec:
          service: ratings
          routes:
          - match: [{path: {exact: /ratings.Ratings/Get}}]
            backends: [{}]
            retries:
              attempts: 3
              perTryTimeout: 200ms
              retryOn: [unavailable, retriable-status-codes]
              retriableStatusCodes: [503]
              backoff: {baseInterval: 10ms, maxInterval: 100ms}
            fault:
              delay: {fixedDelay: 1s, percent: 10}
              abort: {grpcStatus: 14, percent: 0.5}
        ---
        apiVersion: weft.dev/v1alpha1
        kind: MeshConfig
        metadata: {name: mesh}
        spec:
          defaultRetries: {attempts: 1, retryOn: [connect-failure]}
        """;
    XdsResources out = MeshTranslator.translate(policies(yaml), REGISTRY, PRODUCTPAGE_NODE, LOCAL);
    VirtualHost ratings = host(out.routes().get(0), "ratings");
    var rp = ratings.getRoutes(0).getRoute().getRetryPolicy();
    assertThat(rp.getRetryOn()).isEqualTo("unavailable,retriable-status-codes");
    assertThat(rp.getNumRetries().getValue()).isEqualTo(3);
    assertThat(rp.getPerTryTimeout().getNanos()).isEqualTo(200_000_000);
    assertThat(rp.getRetriableStatusCodesList()).containsExactly(503);
    assertThat(rp.getRetryBackOff().getBaseInterval().getNanos()).isEqualTo(10_000_000);
    assertThat(rp.getRetryBackOff().getMaxInterval().getNanos()).isEqualTo(100_000_000);
    assertThat(rp.getRetryHostPredicate(0).getName()).isEqualTo("envoy.retry_host_predicates.previous_hosts");
    // Routes without retries of their own take the mesh default.
    assertThat(ratings.getRoutes(1).getRoute().getRetryPolicy().getRetryOn()).isEqualTo("connect-failure");
    assertThat(host(out.routes().get(0), "reviews").getRoutes(0).getRoute().getRetryPolicy().getNumRetries()
        .getValue()).isEqualTo(1);

    HTTPFault fault = unpack(ratings.getRoutes(0).getTypedPerFilterConfigOrThrow("envoy.filters.http.fault"),
        HTTPFault.class);
    assertThat(fault.getDelay().getFixedDelay().getSeconds()).isEqualTo(1);
    assertThat(fault.getDelay().getPercentage().getNumerator()).isEqualTo(10);
    assertThat(fault.getAbort().getGrpcStatus()).isEqualTo(14);
    assertThat(fault.getAbort().getPercentage().getNumerator()).isEqualTo(5000);
    assertThat(fault.getAbort().getPercentage().getDenominator().name()).isEqualTo("MILLION");
    // The fault filter comes before the router, only when some route injects faults.
    assertThat(hcm(listener(out, "outbound"), 0).getHttpFiltersList()).extracting(HttpFilter::getName)
        .containsExactly("envoy.filters.http.fault", "envoy.filters.http.router");
  }

  // ---- inbound: mTLS modes and authorization

  @Test
  void inboundRoutesByHostToTheAppAndDefaultsToPermissive() throws Exception {
    XdsResources out = MeshTranslator.translate(PolicySet.EMPTY, REGISTRY, REVIEWS_V1_NODE, LOCAL);
    Listener in = listener(out, "inbound");
    assertThat(in.getAddress().getSocketAddress().getAddress()).isEqualTo("127.0.0.11");
    assertThat(in.getAddress().getSocketAddress().getPortValue()).isEqualTo(15006);
    assertThat(in.getListenerFiltersList()).extracting(f -> f.getName())
        .containsExactly("envoy.filters.listener.tls_inspector");
    assertThat(in.getFilterChainsList()).extracting(fc -> fc.getFilterChainMatch().getTransportProtocol())
        .containsExactly("tls", "raw_buffer");
    assertThat(in.getFilterChains(1).hasTransportSocket()).isFalse();
    HttpConnectionManager hcm = hcm(in, 0);
    assertThat(hcm.getRouteConfig().getVirtualHosts(0).getDomainsList()).contains("reviews", "reviews:9080", REVIEWS);
    assertThat(hcm.getRouteConfig().getVirtualHosts(0).getRoutes(0).getRoute().getCluster()).isEqualTo("inbound|9080|");
    assertThat(hcm.getForwardClientCertDetails()).isEqualTo(HttpConnectionManager.ForwardClientCertDetails.SANITIZE_SET);
    assertThat(addresses(endpoints(out, "inbound|9080|"))).containsExactly("127.0.0.11:9080");
    // A workload that backs no service gets no inbound listener.
    XdsResources none = MeshTranslator.translate(PolicySet.EMPTY, REGISTRY, new ProxyNode("x.shop", "shop", "x"), LOCAL);
    assertThat(none.listeners()).extracting(Listener::getName).containsExactly("outbound");
  }

  @Test
  void mtlsModePerWorkloadNamespaceAndMesh() throws Exception {
    String yaml = """
        apiVersion: weft.dev/v1alpha1
        kind: MTLSPolicy
        metadata: {name: shop, namespace: shop}
        spec: {mode: STRICT}
        ---
        apiVersion: weft.dev/v1alpha1
        kind: MTLSPolicy
        metadata: {name: ratings-plaintext, namespace: shop}
        spec: {selector: {matchLabels: {app: ratings}}, mode: DISABLE}
        ---
        apiVersion: weft.dev/v1alpha1
        kind: MeshConfig
        metadata: {name: mesh}
        spec: {trustDomain: example.org, mtls: {mode: DISABLE}}
        """;
    PolicySet p = policies(yaml);
    // Namespace-wide STRICT: one chain, TLS with a client certificate required, peers of the trust domain.
    Listener strict = listener(MeshTranslator.translate(p, REGISTRY, REVIEWS_V1_NODE, LOCAL), "inbound");
    assertThat(strict.getFilterChainsList()).hasSize(1);
    assertThat(strict.getListenerFiltersList()).isEmpty();
    DownstreamTlsContext tls = unpack(strict.getFilterChains(0).getTransportSocket().getTypedConfig(),
        DownstreamTlsContext.class);
    assertThat(tls.getRequireClientCertificate().getValue()).isTrue();
    assertThat(tls.getCommonTlsContext().getCombinedValidationContext().getDefaultValidationContext()
        .getMatchTypedSubjectAltNames(0).getMatcher().getPrefix()).isEqualTo("spiffe://example.org/");
    // Workload-level DISABLE wins over the namespace: plaintext inbound, and callers do not use TLS.
    ProxyNode ratingsNode = new ProxyNode("ratings-1.shop", "shop", "ratings-1");
    XdsResources ratings = MeshTranslator.translate(p, REGISTRY, ratingsNode, LOCAL);
    assertThat(listener(ratings, "inbound").getFilterChainsList()).singleElement()
        .satisfies(fc -> assertThat(fc.hasTransportSocket()).isFalse());
    XdsResources caller = MeshTranslator.translate(p, REGISTRY, PRODUCTPAGE_NODE, LOCAL);
    assertThat(cluster(caller, "outbound|9090||ratings.shop.svc.cluster.local").hasTransportSocket()).isFalse();
    UpstreamTlsContext up = unpack(cluster(caller, "outbound|9080||" + REVIEWS).getTransportSocket().getTypedConfig(),
        UpstreamTlsContext.class);
    assertThat(up.getCommonTlsContext().getCombinedValidationContext().getDefaultValidationContext()
        .getMatchTypedSubjectAltNames(0).getMatcher().getExact()).isEqualTo("spiffe://example.org/ns/shop/sa/reviews");
    // Another namespace falls back to the mesh default (DISABLE).
    var otherRegistry = new dev.weft.controlplane.discovery.RegistrySnapshot(REGISTRY.services(), List.of(
        new dev.weft.controlplane.discovery.Workload("other", "w", "w", "127.0.0.20", java.util.Map.of(),
            dev.weft.controlplane.discovery.Locality.UNKNOWN)));
    assertThat(MeshTranslator.validate(MeshTranslator.translate(p, otherRegistry, new ProxyNode("w.other", "other",
        "w"), LOCAL))).isEmpty();
    assertThat(MeshTranslator.validate(MeshTranslator.translate(p, REGISTRY, REVIEWS_V1_NODE, LOCAL))).isEmpty();
    assertThat(MeshTranslator.validate(ratings)).isEmpty();
  }

  @Test
  void authorizationPoliciesBecomeDenyThenAllowRbacFilters() throws Exception {
    String yaml = """
        apiVersion: weft.dev/v1alpha1
        kind: AuthorizationPolicy
        metadata: {name: reviews-readers, namespace: shop}
        spec:
          selector: {matchLabels: {app: reviews}}
          rules:
          - from: [{serviceAccounts: [shop/productpage]}, {namespaces: [ops]}]
            to: [{methods: [GET], paths: [/reviews/*, /health]}]
        ---
        apiVersion: weft.dev/v1alpha1
        kind: AuthorizationPolicy
        metadata: {name: no-admin, namespace: shop}
        spec:
          action: DENY
          rules:
          - to: [{paths: [/admin/*]}]
        ---
        apiVersion: weft.dev/v1alpha1
        kind: AuthorizationPolicy
        metadata: {name: other-app, namespace: shop}
        spec:
          selector: {matchLabels: {app: ratings}}
          rules: []
        """;
    XdsResources out = MeshTranslator.translate(policies(yaml), REGISTRY, REVIEWS_V1_NODE, LOCAL);
    HttpConnectionManager hcm = hcm(listener(out, "inbound"), 0);
    assertThat(hcm.getHttpFiltersList()).extracting(HttpFilter::getName).containsExactly("envoy.filters.http.rbac",
        "envoy.filters.http.rbac", "envoy.filters.http.router");
    RBAC deny = unpack(hcm.getHttpFilters(0).getTypedConfig(),
        io.envoyproxy.envoy.extensions.filters.http.rbac.v3.RBAC.class).getRules();
    assertThat(deny.getAction()).isEqualTo(RBAC.Action.DENY);
    assertThat(deny.getPoliciesMap()).containsOnlyKeys("no-admin.rules[0]");
    assertThat(deny.getPoliciesOrThrow("no-admin.rules[0]").getPermissions(0).getUrlPath().getPath().getPrefix())
        .isEqualTo("/admin/");
    assertThat(deny.getPoliciesOrThrow("no-admin.rules[0]").getPrincipals(0).getAny()).isTrue();

    RBAC allow = unpack(hcm.getHttpFilters(1).getTypedConfig(),
        io.envoyproxy.envoy.extensions.filters.http.rbac.v3.RBAC.class).getRules();
    assertThat(allow.getAction()).isEqualTo(RBAC.Action.ALLOW);
    var readers = allow.getPoliciesOrThrow("reviews-readers.rules[0]");
    var ops = readers.getPermissions(0).getAndRules().getRulesList();
    assertThat(ops.get(0).getOrRules().getRulesList()).extracting(r -> r.getUrlPath().getPath().hasPrefix()
        ? "prefix " + r.getUrlPath().getPath().getPrefix() : "exact " + r.getUrlPath().getPath().getExact())
        .containsExactly("prefix /reviews/", "exact /health");
    assertThat(ops.get(1).getHeader().getName()).isEqualTo(":method");
    var callers = readers.getPrincipals(0).getOrIds().getIdsList();
    assertThat(callers.get(0).getAuthenticated().getPrincipalName().getExact())
        .isEqualTo("spiffe://cluster.local/ns/shop/sa/productpage");
    assertThat(callers.get(1).getAuthenticated().getPrincipalName().getPrefix())
        .isEqualTo("spiffe://cluster.local/ns/ops/sa/");
    assertThat(MeshTranslator.validate(out)).isEmpty();

    // The ratings workload has only an ALLOW policy without rules: everything is denied.
    XdsResources ratings = MeshTranslator.translate(policies(yaml), REGISTRY,
        new ProxyNode("ratings-1.shop", "shop", "ratings-1"), LOCAL);
    HttpConnectionManager rh = hcm(listener(ratings, "inbound"), 0);
    RBAC denyAll = unpack(rh.getHttpFilters(1).getTypedConfig(),
        io.envoyproxy.envoy.extensions.filters.http.rbac.v3.RBAC.class).getRules();
    assertThat(denyAll.getAction()).isEqualTo(RBAC.Action.ALLOW);
    assertThat(denyAll.getPoliciesMap()).isEmpty();
  }

  @Test
  void translationIsPure() {
    PolicySet p = policies(CANARY);
    assertThat(MeshTranslator.translate(p, REGISTRY, PRODUCTPAGE_NODE, LOCAL))
        .isEqualTo(MeshTranslator.translate(p, REGISTRY, PRODUCTPAGE_NODE, LOCAL));
  }

  // ---- helpers

  static Listener listener(XdsResources r, String name) {
    return r.listeners().stream().filter(l -> l.getName().equals(name)).findFirst().orElseThrow();
  }

  static Cluster cluster(XdsResources r, String name) {
    return r.clusters().stream().filter(c -> c.getName().equals(name)).findFirst().orElseThrow();
  }

  static ClusterLoadAssignment endpoints(XdsResources r, String name) {
    return r.endpoints().stream().filter(c -> c.getClusterName().equals(name)).findFirst().orElseThrow();
  }

  static VirtualHost host(RouteConfiguration rc, String service) {
    return rc.getVirtualHostsList().stream().filter(v -> v.getName().startsWith(service + ".")).findFirst()
        .orElseThrow();
  }

  static HttpConnectionManager hcm(Listener l, int chain) throws InvalidProtocolBufferException {
    return l.getFilterChains(chain).getFilters(0).getTypedConfig().unpack(HttpConnectionManager.class);
  }

  static <T extends Message> T unpack(Any any, Class<T> type) throws InvalidProtocolBufferException {
    return any.unpack(type);
  }

  static List<String> addresses(ClusterLoadAssignment cla) {
    return cla.getEndpointsList().stream().flatMap(l -> l.getLbEndpointsList().stream())
        .map(e -> e.getEndpoint().getAddress().getSocketAddress().getAddress() + ":"
            + e.getEndpoint().getAddress().getSocketAddress().getPortValue()).toList();
  }

}

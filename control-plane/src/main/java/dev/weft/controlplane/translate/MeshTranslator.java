package dev.weft.controlplane.translate;

import com.google.protobuf.Any;
import com.google.protobuf.BoolValue;
import com.google.protobuf.Message;
import com.google.protobuf.Struct;
import com.google.protobuf.UInt32Value;
import com.google.protobuf.Value;
import dev.weft.controlplane.discovery.Endpoint;
import dev.weft.controlplane.discovery.Locality;
import dev.weft.controlplane.discovery.RegistrySnapshot;
import dev.weft.controlplane.discovery.Service;
import dev.weft.controlplane.discovery.ServicePort;
import dev.weft.controlplane.discovery.ServicePort.AppProtocol;
import dev.weft.controlplane.discovery.Workload;
import dev.weft.controlplane.policy.AuthorizationPolicy;
import dev.weft.controlplane.policy.DestinationPolicy;
import dev.weft.controlplane.policy.Mode;
import dev.weft.controlplane.policy.MtlsPolicy;
import dev.weft.controlplane.policy.PolicySet;
import dev.weft.controlplane.policy.RetryPolicy;
import dev.weft.controlplane.policy.TrafficRoute;
import io.envoyproxy.envoy.config.cluster.v3.CircuitBreakers;
import io.envoyproxy.envoy.config.cluster.v3.Cluster;
import io.envoyproxy.envoy.config.cluster.v3.OutlierDetection;
import io.envoyproxy.envoy.config.core.v3.AggregatedConfigSource;
import io.envoyproxy.envoy.config.core.v3.Address;
import io.envoyproxy.envoy.config.core.v3.ApiVersion;
import io.envoyproxy.envoy.config.core.v3.ConfigSource;
import io.envoyproxy.envoy.config.core.v3.HeaderValue;
import io.envoyproxy.envoy.config.core.v3.HeaderValueOption;
import io.envoyproxy.envoy.config.core.v3.HealthCheck;
import io.envoyproxy.envoy.config.core.v3.HealthStatus;
import io.envoyproxy.envoy.config.core.v3.Http1ProtocolOptions;
import io.envoyproxy.envoy.config.core.v3.Http2ProtocolOptions;
import io.envoyproxy.envoy.config.core.v3.Metadata;
import io.envoyproxy.envoy.config.core.v3.RoutingPriority;
import io.envoyproxy.envoy.config.core.v3.SocketAddress;
import io.envoyproxy.envoy.config.core.v3.TrafficDirection;
import io.envoyproxy.envoy.config.core.v3.TransportSocket;
import io.envoyproxy.envoy.config.endpoint.v3.ClusterLoadAssignment;
import io.envoyproxy.envoy.config.endpoint.v3.LbEndpoint;
import io.envoyproxy.envoy.config.endpoint.v3.LocalityLbEndpoints;
import io.envoyproxy.envoy.config.listener.v3.Filter;
import io.envoyproxy.envoy.config.listener.v3.FilterChain;
import io.envoyproxy.envoy.config.listener.v3.FilterChainMatch;
import io.envoyproxy.envoy.config.listener.v3.Listener;
import io.envoyproxy.envoy.config.listener.v3.ListenerFilter;
import io.envoyproxy.envoy.config.rbac.v3.Permission;
import io.envoyproxy.envoy.config.rbac.v3.Policy;
import io.envoyproxy.envoy.config.rbac.v3.Principal;
import io.envoyproxy.envoy.config.rbac.v3.RBAC;
import io.envoyproxy.envoy.config.route.v3.HeaderMatcher;
import io.envoyproxy.envoy.config.route.v3.Route;
import io.envoyproxy.envoy.config.route.v3.RouteAction;
import io.envoyproxy.envoy.config.route.v3.RouteConfiguration;
import io.envoyproxy.envoy.config.route.v3.RouteMatch;
import io.envoyproxy.envoy.config.route.v3.VirtualHost;
import io.envoyproxy.envoy.config.route.v3.WeightedCluster;
import io.envoyproxy.envoy.extensions.filters.common.fault.v3.FaultDelay;
import io.envoyproxy.envoy.extensions.filters.http.fault.v3.FaultAbort;
import io.envoyproxy.envoy.extensions.filters.http.fault.v3.HTTPFault;
import io.envoyproxy.envoy.extensions.filters.http.router.v3.Router;
import io.envoyproxy.envoy.extensions.filters.listener.tls_inspector.v3.TlsInspector;
import io.envoyproxy.envoy.extensions.filters.network.http_connection_manager.v3.HttpConnectionManager;
import io.envoyproxy.envoy.extensions.filters.network.http_connection_manager.v3.HttpFilter;
import io.envoyproxy.envoy.extensions.filters.network.http_connection_manager.v3.Rds;
import io.envoyproxy.envoy.extensions.transport_sockets.tls.v3.CertificateValidationContext;
import io.envoyproxy.envoy.extensions.transport_sockets.tls.v3.CommonTlsContext;
import io.envoyproxy.envoy.extensions.transport_sockets.tls.v3.DownstreamTlsContext;
import io.envoyproxy.envoy.extensions.transport_sockets.tls.v3.SdsSecretConfig;
import io.envoyproxy.envoy.extensions.transport_sockets.tls.v3.SubjectAltNameMatcher;
import io.envoyproxy.envoy.extensions.transport_sockets.tls.v3.UpstreamTlsContext;
import io.envoyproxy.envoy.extensions.upstreams.http.v3.HttpProtocolOptions;
import io.envoyproxy.envoy.type.matcher.v3.PathMatcher;
import io.envoyproxy.envoy.type.matcher.v3.RegexMatcher;
import io.envoyproxy.envoy.type.matcher.v3.StringMatcher;
import io.envoyproxy.envoy.type.v3.FractionalPercent;
import io.envoyproxy.envoy.type.v3.Percent;
import java.time.Duration;
import java.util.ArrayList;
import java.util.Comparator;
import java.util.LinkedHashMap;
import java.util.LinkedHashSet;
import java.util.List;
import java.util.Map;
import java.util.Set;
import java.util.TreeMap;
import java.util.TreeSet;

/**
 * The pure translation from (policies, registry snapshot, requesting node) to the Envoy resources
 * of one sidecar, and the check of those resources with the proxy's own translator.
 *
 * <p>What a sidecar gets (see the README, "Traffic policy"):
 * <ul>
 *   <li>Listener {@code outbound} on {@code <address>:15001}: HTTP connection manager with RDS
 *       (over ADS) route configuration {@code outbound}: one virtual host per service port, with
 *       domains {@code name}, {@code name.ns}, {@code name.ns.svc}, {@code name.ns.svc.cluster.local},
 *       each also with {@code :port}; TrafficRoutes become its routes.</li>
 *   <li>Clusters {@code outbound|<port>|<subset>|<hostname>} of type EDS (over ADS), with the
 *       DestinationPolicy's load balancing, circuit breakers, outlier detection and health checks,
 *       and mTLS (SDS secrets {@code default} and {@code ROOTCA}) expecting the destination's SPIFFE
 *       IDs unless every endpoint has mTLS DISABLEd.</li>
 *   <li>Endpoints at the peer sidecars' inbound port, grouped by locality with a weight each,
 *       prioritized by proximity when the destination has outlier detection (as Istio).</li>
 *   <li>Listener {@code inbound} on {@code <address>:15006}: the workload's mTLS mode, RBAC from
 *       AuthorizationPolicies, routes by Host to clusters {@code inbound|<targetPort>|} at the app.</li>
 * </ul>
 */
public final class MeshTranslator {

  public static final String OUTBOUND_ROUTE = "outbound";
  public static final String OUTBOUND_LISTENER = "outbound";
  public static final String INBOUND_LISTENER = "inbound";
  public static final String CERTIFICATE_SECRET = "default";
  public static final String ROOTS_SECRET = "ROOTCA";
  public static final String FAULT_FILTER = "envoy.filters.http.fault";
  /** Route and cluster metadata naming the policy they come from: {@code filter_metadata[weft.policy].resource}. */
  public static final String POLICY_METADATA = "weft.policy";

  private static final String TLS_SOCKET = "envoy.transport_sockets.tls";
  private static final String HTTP_OPTIONS_KEY = "envoy.extensions.upstreams.http.v3.HttpProtocolOptions";
  private static final ConfigSource ADS = ConfigSource.newBuilder()
      .setAds(AggregatedConfigSource.getDefaultInstance()).setResourceApiVersion(ApiVersion.V3).build();

  private final PolicySet policies;
  private final RegistrySnapshot registry;
  private final ProxyNode node;
  private final MeshOptions options;
  private final String trustDomain;
  private final Workload workload;

  private MeshTranslator(PolicySet policies, RegistrySnapshot registry, ProxyNode node, MeshOptions options) {
    this.policies = policies;
    this.registry = registry;
    this.node = node;
    this.options = options;
    this.trustDomain = policies.mesh().trustDomain() != null ? policies.mesh().trustDomain() : options.trustDomain();
    this.workload = registry.workload(node.namespace(), node.workload()).orElse(null);
  }

  /** The resources of the sidecar {@code node}. Pure: the same inputs give equal resources. */
  public static XdsResources translate(PolicySet policies, RegistrySnapshot registry, ProxyNode node,
      MeshOptions options) {
    return new MeshTranslator(policies, registry, node, options).translate();
  }

  /**
   * Runs the proxy's own translator over {@code resources} (a bootstrap whose static resources
   * inline the RDS routes and EDS endpoints), and checks what proxyless gRPC clients also
   * require. Returns every error; empty when a sidecar would accept the resources.
   */
  public static List<String> validate(XdsResources resources) {
    return ResourceValidator.validate(resources);
  }

  /** A problem {@link #check} found, and the policy it comes from ("" when none). */
  public record Rejection(String policy, String message) {}

  /**
   * As {@link #validate}, with each problem tied to the policy (TrafficRoute or DestinationPolicy)
   * whose route or cluster it is in, so that it can be reported on that policy.
   */
  public static List<Rejection> check(XdsResources resources) {
    return ResourceValidator.check(resources).stream().map(p -> new Rejection(p.policy(), p.message())).toList();
  }

  // ---- translation

  private XdsResources translate() {
    List<Listener> listeners = new ArrayList<>();
    List<RouteConfiguration> routes = new ArrayList<>();
    Map<String, Cluster> clusters = new TreeMap<>();
    Map<String, ClusterLoadAssignment> endpoints = new TreeMap<>();

    // Outbound: every HTTP service port in the mesh.
    List<VirtualHost> hosts = new ArrayList<>();
    Set<String> usedDomains = new LinkedHashSet<>();
    boolean faults = false;
    for (Service s : sorted(registry.services())) {
      TrafficRoute tr = policies.trafficRoute(s.namespace(), s.name()).orElse(null);
      boolean first = true;
      for (ServicePort p : s.ports()) {
        if (p.protocol() == AppProtocol.TCP) {
          continue; // TCP services are not routed by the outbound HTTP listener
        }
        VirtualHost vh = outboundHost(s, p, tr, first, usedDomains);
        first = false;
        hosts.add(vh);
        faults |= vh.getRoutesList().stream().anyMatch(r -> r.containsTypedPerFilterConfig(FAULT_FILTER));
        for (String subset : subsetsOf(s)) {
          String name = clusterName(p.port(), subset, s.hostname());
          clusters.put(name, outboundCluster(s, p, subset, name));
          endpoints.put(name, outboundEndpoints(s, subset, name));
        }
      }
    }
    routes.add(RouteConfiguration.newBuilder().setName(OUTBOUND_ROUTE).addAllVirtualHosts(hosts).build());
    listeners.add(outboundListener(faults));

    // Inbound: the ports of the services this workload backs.
    if (workload != null) {
      List<Map.Entry<Service, ServicePort>> ports = new ArrayList<>();
      for (Service s : sorted(registry.services())) {
        if (s.endpoints().stream().anyMatch(this::isLocal)) {
          for (ServicePort p : s.ports()) {
            if (p.protocol() != AppProtocol.TCP) {
              ports.add(Map.entry(s, p));
            }
          }
        }
      }
      if (!ports.isEmpty()) {
        listeners.add(inboundListener(ports));
        for (var e : ports) {
          ServicePort p = e.getValue();
          String name = inboundClusterName(p.targetPort());
          clusters.putIfAbsent(name, inboundCluster(p, name));
          endpoints.putIfAbsent(name, inboundEndpoints(p, name));
        }
      }
    }
    return new XdsResources(listeners, routes, List.copyOf(clusters.values()), List.copyOf(endpoints.values()));
  }

  private static List<Service> sorted(List<Service> services) {
    return services.stream().sorted(Comparator.comparing(Service::namespace).thenComparing(Service::name)).toList();
  }

  /** {@code outbound|<port>|<subset>|<hostname>}, Istio's naming. */
  public static String clusterName(int port, String subset, String hostname) {
    return "outbound|" + port + "|" + (subset == null ? "" : subset) + "|" + hostname;
  }

  /** {@code inbound|<targetPort>|}. */
  public static String inboundClusterName(int targetPort) {
    return "inbound|" + targetPort + "|";
  }

  /** "" (all endpoints) and every subset of the service's DestinationPolicy. */
  private List<String> subsetsOf(Service s) {
    List<String> out = new ArrayList<>();
    out.add(null);
    policies.destinationPolicy(s.namespace(), s.name())
        .ifPresent(d -> d.subsets().forEach(x -> out.add(x.name())));
    return out;
  }

  private boolean isLocal(Endpoint e) {
    if (!e.workload().isEmpty()) {
      return e.workload().equals(workload.name()) && sameNamespaceEndpoint(e);
    }
    return e.address().equals(workload.address());
  }

  private boolean sameNamespaceEndpoint(Endpoint e) {
    return registry.services().stream().filter(s -> s.endpoints().contains(e))
        .anyMatch(s -> s.namespace().equals(workload.namespace()));
  }

  // ---- outbound routes

  /** The domains of a service port; names without a port only on the service's first port. */
  private List<String> domains(Service s, ServicePort p, boolean withoutPort, Set<String> used) {
    List<String> names = new ArrayList<>();
    if (s.namespace().equals(node.namespace())) {
      names.add(s.name());
    }
    names.add(s.name() + "." + s.namespace());
    names.add(s.name() + "." + s.namespace() + ".svc");
    names.add(s.hostname());
    List<String> out = new ArrayList<>();
    for (String n : names) {
      if (withoutPort && used.add(n)) {
        out.add(n);
      }
      if (used.add(n + ":" + p.port())) {
        out.add(n + ":" + p.port());
      }
    }
    return out;
  }

  private VirtualHost outboundHost(Service s, ServicePort p, TrafficRoute tr, boolean first, Set<String> used) {
    VirtualHost.Builder vh = VirtualHost.newBuilder().setName(s.hostname() + ":" + p.port())
        .addAllDomains(domains(s, p, first, used));
    if (tr != null) {
      for (int i = 0; i < tr.routes().size(); i++) {
        TrafficRoute.HttpRoute r = tr.routes().get(i);
        List<RouteMatch> matches = r.matches().isEmpty() ? List.of(prefixAll()) : r.matches().stream()
            .map(MeshTranslator::routeMatch).toList();
        for (int m = 0; m < matches.size(); m++) {
          String name = r.name() != null ? r.name() : tr.meta().name() + "-" + i;
          vh.addRoutes(route(name + (matches.size() > 1 ? "-" + m : ""), matches.get(m), s, p, tr, r));
        }
      }
    }
    // Whatever no route matched goes to the service as a whole.
    vh.addRoutes(route("default", prefixAll(), s, p, tr, null));
    return vh.build();
  }

  private static RouteMatch prefixAll() {
    return RouteMatch.newBuilder().setPrefix("/").build();
  }

  private static RouteMatch routeMatch(TrafficRoute.Match m) {
    RouteMatch.Builder b = RouteMatch.newBuilder();
    if (m.path() == null) {
      b.setPrefix("/");
    } else {
      switch (m.path().kind()) {
        case EXACT -> b.setPath(m.path().value());
        case PREFIX -> b.setPrefix(m.path().value());
        case REGEX -> b.setSafeRegex(RegexMatcher.newBuilder().setRegex(m.path().value()));
      }
    }
    for (TrafficRoute.HeaderMatch h : m.headers()) {
      HeaderMatcher.Builder hm = HeaderMatcher.newBuilder().setName(h.name());
      if (h.match() == null) {
        hm.setPresentMatch(true);
      } else {
        hm.setStringMatch(stringMatcher(h.match()));
      }
      b.addHeaders(hm);
    }
    if (m.method() != null) {
      b.addHeaders(HeaderMatcher.newBuilder().setName(":method")
          .setStringMatch(StringMatcher.newBuilder().setExact(m.method())));
    }
    return b.build();
  }

  private static StringMatcher stringMatcher(TrafficRoute.StringMatch m) {
    return switch (m.kind()) {
      case EXACT -> StringMatcher.newBuilder().setExact(m.value()).build();
      case PREFIX -> StringMatcher.newBuilder().setPrefix(m.value()).build();
      case REGEX -> StringMatcher.newBuilder().setSafeRegex(RegexMatcher.newBuilder().setRegex(m.value())).build();
    };
  }

  /** A route: {@code r} null is the service's default route (all endpoints, the spec's defaults). */
  private Route route(String name, RouteMatch match, Service s, ServicePort p, TrafficRoute tr,
      TrafficRoute.HttpRoute r) {
    RouteAction.Builder a = RouteAction.newBuilder();
    List<TrafficRoute.Backend> backends = r == null ? List.of(new TrafficRoute.Backend(s.name(), null, 0, 100))
        : r.backends().stream().filter(b -> b.weight() > 0).toList();
    List<String> targets = new ArrayList<>();
    for (TrafficRoute.Backend b : backends) {
      targets.add(backendCluster(b, s, p));
    }
    if (targets.size() == 1) {
      a.setCluster(targets.get(0));
    } else {
      WeightedCluster.Builder wc = WeightedCluster.newBuilder();
      for (int i = 0; i < targets.size(); i++) {
        wc.addClusters(WeightedCluster.ClusterWeight.newBuilder().setName(targets.get(i))
            .setWeight(UInt32Value.of(backends.get(i).weight())));
      }
      a.setWeightedClusters(wc);
    }
    Duration timeout = r != null && r.timeout() != null ? r.timeout() : tr != null ? tr.timeout() : null;
    if (timeout != null) {
      a.setTimeout(duration(timeout));
    }
    RetryPolicy retries = r != null && r.retries() != null ? r.retries()
        : tr != null && tr.retries() != null ? tr.retries() : policies.mesh().defaultRetries();
    if (retries != null && retries.attempts() > 0) {
      a.setRetryPolicy(retryPolicy(retries));
    }
    Service target = backends.isEmpty() ? s
        : registry.service(s.namespace(), backends.get(0).service()).orElse(s);
    DestinationPolicy hashing = policies.destinationPolicy(target.namespace(), target.name())
        .filter(d -> d.loadBalancer() != null && d.loadBalancer().hashKey() != null).orElse(null);
    if (hashing != null) {
      a.addHashPolicy(hashPolicy(hashing.loadBalancer().hashKey()));
    }
    if (r != null && r.rewrite() != null) {
      if (r.rewrite().prefix() != null) {
        a.setPrefixRewrite(r.rewrite().prefix());
      }
      if (r.rewrite().authority() != null) {
        a.setHostRewriteLiteral(r.rewrite().authority());
      }
    }
    Route.Builder route = Route.newBuilder().setName(name).setMatch(match).setRoute(a);
    if (r != null) {
      headers(r.requestHeaders(), route::addRequestHeadersToAdd, route::addRequestHeadersToRemove);
      headers(r.responseHeaders(), route::addResponseHeadersToAdd, route::addResponseHeadersToRemove);
      if (r.fault() != null) {
        route.putTypedPerFilterConfig(FAULT_FILTER, Any.pack(fault(r.fault())));
      }
    }
    if (tr != null) {
      route.setMetadata(policyMetadata(tr.meta().resource()));
    } else if (hashing != null) {
      route.setMetadata(policyMetadata(hashing.meta().resource()));
    }
    return route.build();
  }

  private String backendCluster(TrafficRoute.Backend b, Service routed, ServicePort p) {
    Service s = registry.service(routed.namespace(), b.service()).orElse(null);
    if (s == null) {
      // Unknown service: the registry check reports it; route to a name that makes the gap visible.
      String host = b.service() + "." + routed.namespace() + ".svc.cluster.local";
      return clusterName(b.port() != 0 ? b.port() : p.port(), b.subset(), host);
    }
    int port = b.port();
    if (port == 0) {
      boolean samePort = s.ports().stream().anyMatch(x -> x.port() == p.port());
      port = samePort || s.ports().isEmpty() ? p.port() : s.ports().get(0).port();
    }
    return clusterName(port, b.subset(), s.hostname());
  }

  static Metadata policyMetadata(String resource) {
    return Metadata.newBuilder().putFilterMetadata(POLICY_METADATA, Struct.newBuilder()
        .putFields("resource", Value.newBuilder().setStringValue(resource).build()).build()).build();
  }

  static io.envoyproxy.envoy.config.route.v3.RetryPolicy retryPolicy(RetryPolicy r) {
    var b = io.envoyproxy.envoy.config.route.v3.RetryPolicy.newBuilder()
        .setRetryOn(String.join(",", r.retryOn()))
        .setNumRetries(UInt32Value.of(r.attempts()))
        .addAllRetriableStatusCodes(r.retriableStatusCodes())
        // Try another host than the ones that failed (Envoy's previous_hosts predicate).
        .addRetryHostPredicate(io.envoyproxy.envoy.config.route.v3.RetryPolicy.RetryHostPredicate.newBuilder()
            .setName("envoy.retry_host_predicates.previous_hosts")
            .setTypedConfig(Any.pack(io.envoyproxy.envoy.extensions.retry.host.previous_hosts.v3
                .PreviousHostsPredicate.getDefaultInstance())))
        .setHostSelectionRetryMaxAttempts(5);
    if (r.perTryTimeout() != null) {
      b.setPerTryTimeout(duration(r.perTryTimeout()));
    }
    if (r.baseInterval() != null || r.maxInterval() != null) {
      var backoff = io.envoyproxy.envoy.config.route.v3.RetryPolicy.RetryBackOff.newBuilder();
      Duration base = r.baseInterval() != null ? r.baseInterval() : Duration.ofMillis(25);
      backoff.setBaseInterval(duration(base));
      if (r.maxInterval() != null) {
        backoff.setMaxInterval(duration(r.maxInterval()));
      }
      b.setRetryBackOff(backoff);
    }
    return b.build();
  }

  private static RouteAction.HashPolicy hashPolicy(DestinationPolicy.HashKey k) {
    RouteAction.HashPolicy.Builder h = RouteAction.HashPolicy.newBuilder();
    if (k.header() != null) {
      h.setHeader(RouteAction.HashPolicy.Header.newBuilder().setHeaderName(k.header()));
    } else if (k.cookie() != null) {
      var c = RouteAction.HashPolicy.Cookie.newBuilder().setName(k.cookie());
      if (k.cookieTtl() != null) {
        c.setTtl(duration(k.cookieTtl()));
      }
      h.setCookie(c);
    } else {
      h.setConnectionProperties(RouteAction.HashPolicy.ConnectionProperties.newBuilder().setSourceIp(true));
    }
    return h.build();
  }

  private static void headers(TrafficRoute.HeaderChanges c, java.util.function.Consumer<HeaderValueOption> add,
      java.util.function.Consumer<String> remove) {
    c.set().forEach((k, v) -> add.accept(HeaderValueOption.newBuilder()
        .setHeader(HeaderValue.newBuilder().setKey(k).setValue(v))
        .setAppendAction(HeaderValueOption.HeaderAppendAction.OVERWRITE_IF_EXISTS_OR_ADD).build()));
    c.add().forEach((k, v) -> add.accept(HeaderValueOption.newBuilder()
        .setHeader(HeaderValue.newBuilder().setKey(k).setValue(v))
        .setAppendAction(HeaderValueOption.HeaderAppendAction.APPEND_IF_EXISTS_OR_ADD).build()));
    c.remove().forEach(remove);
  }

  static HTTPFault fault(TrafficRoute.Fault f) {
    HTTPFault.Builder b = HTTPFault.newBuilder();
    if (f.delay() != null) {
      b.setDelay(FaultDelay.newBuilder().setFixedDelay(duration(f.delay().fixedDelay()))
          .setPercentage(percent(f.delay().percent())));
    }
    if (f.abort() != null) {
      FaultAbort.Builder a = FaultAbort.newBuilder().setPercentage(percent(f.abort().percent()));
      if (f.abort().httpStatus() != 0) {
        a.setHttpStatus(f.abort().httpStatus());
      } else {
        a.setGrpcStatus(f.abort().grpcStatus());
      }
      b.setAbort(a);
    }
    return b.build();
  }

  /** A percentage as Envoy's FractionalPercent (per million keeps fractions such as 0.1 %). */
  private static FractionalPercent percent(double p) {
    if (p == Math.rint(p)) {
      return FractionalPercent.newBuilder().setNumerator((int) p)
          .setDenominator(FractionalPercent.DenominatorType.HUNDRED).build();
    }
    return FractionalPercent.newBuilder().setNumerator((int) Math.round(p * 10_000))
        .setDenominator(FractionalPercent.DenominatorType.MILLION).build();
  }

  // ---- outbound clusters and endpoints

  private Cluster outboundCluster(Service s, ServicePort p, String subset, String name) {
    DestinationPolicy d = policies.destinationPolicy(s.namespace(), s.name()).orElse(null);
    Cluster.Builder c = edsCluster(name);
    httpProtocol(c, p.protocol(), true);
    if (d != null) {
      c.setMetadata(policyMetadata(d.meta().resource()));
      if (d.loadBalancer() != null) {
        c.setLbPolicy(switch (d.loadBalancer().policy()) {
          case ROUND_ROBIN -> Cluster.LbPolicy.ROUND_ROBIN;
          case LEAST_REQUEST -> Cluster.LbPolicy.LEAST_REQUEST;
          case RANDOM -> Cluster.LbPolicy.RANDOM;
          case RING_HASH -> Cluster.LbPolicy.RING_HASH;
          case MAGLEV -> Cluster.LbPolicy.MAGLEV;
        });
      }
      var limits = d.connectionLimits();
      if (limits != null && limits.connectTimeout() != null) {
        c.setConnectTimeout(duration(limits.connectTimeout()));
      }
      if (d.outlierDetection() != null) {
        c.setOutlierDetection(outlierDetection(d.outlierDetection()));
      }
      if (d.healthCheck() != null) {
        c.addHealthChecks(healthCheck(d.healthCheck(), s.hostname()));
      }
    }
    CircuitBreakers breakers = circuitBreakers(d, s);
    if (breakers != null) {
      c.setCircuitBreakers(breakers);
      if (d == null) {
        // Only a retry budget: it comes from the service's TrafficRoute (or the MeshConfig).
        policies.trafficRoute(s.namespace(), s.name()).filter(t -> t.retries() != null && t.retries().budget() != null)
            .ifPresent(t -> c.setMetadata(policyMetadata(t.meta().resource())));
      }
    }
    List<Endpoint> eps = selected(s, subset);
    if (!eps.stream().allMatch(e -> modeOf(s.namespace(), e.labels()) == Mode.DISABLE) || eps.isEmpty()) {
      c.setTransportSocket(upstreamTls(s, eps));
    }
    return c.build();
  }

  private Cluster.Builder edsCluster(String name) {
    return Cluster.newBuilder().setName(name).setType(Cluster.DiscoveryType.EDS)
        .setEdsClusterConfig(Cluster.EdsClusterConfig.newBuilder().setEdsConfig(ADS))
        .setLbPolicy(Cluster.LbPolicy.ROUND_ROBIN);
  }

  /** Upstream HTTP protocol: the downstream's between sidecars (HTTP ports), HTTP/2 for gRPC and HTTP2 ports. */
  private static void httpProtocol(Cluster.Builder c, AppProtocol protocol, boolean betweenSidecars) {
    HttpProtocolOptions.Builder o = HttpProtocolOptions.newBuilder();
    if (protocol == AppProtocol.HTTP2 || protocol == AppProtocol.GRPC) {
      o.setExplicitHttpConfig(HttpProtocolOptions.ExplicitHttpConfig.newBuilder()
          .setHttp2ProtocolOptions(Http2ProtocolOptions.getDefaultInstance()));
    } else if (betweenSidecars) {
      o.setUseDownstreamProtocolConfig(HttpProtocolOptions.UseDownstreamHttpConfig.newBuilder()
          .setHttpProtocolOptions(Http1ProtocolOptions.getDefaultInstance())
          .setHttp2ProtocolOptions(Http2ProtocolOptions.getDefaultInstance()));
    } else {
      o.setExplicitHttpConfig(HttpProtocolOptions.ExplicitHttpConfig.newBuilder()
          .setHttpProtocolOptions(Http1ProtocolOptions.getDefaultInstance()));
    }
    c.putTypedExtensionProtocolOptions(HTTP_OPTIONS_KEY, Any.pack(o.build()));
  }

  private CircuitBreakers circuitBreakers(DestinationPolicy d, Service s) {
    var limits = d == null ? null : d.connectionLimits();
    RetryPolicy.Budget budget = policies.trafficRoute(s.namespace(), s.name())
        .map(TrafficRoute::retries).map(RetryPolicy::budget).orElse(null);
    if (budget == null && policies.mesh().defaultRetries() != null) {
      budget = policies.mesh().defaultRetries().budget();
    }
    boolean anyLimit = limits != null && (limits.maxConnections() != null || limits.maxPendingRequests() != null
        || limits.maxRequests() != null || limits.maxRetries() != null);
    if (!anyLimit && budget == null) {
      return null;
    }
    CircuitBreakers.Thresholds.Builder t = CircuitBreakers.Thresholds.newBuilder()
        .setPriority(RoutingPriority.DEFAULT);
    if (limits != null) {
      if (limits.maxConnections() != null) {
        t.setMaxConnections(UInt32Value.of(limits.maxConnections()));
      }
      if (limits.maxPendingRequests() != null) {
        t.setMaxPendingRequests(UInt32Value.of(limits.maxPendingRequests()));
      }
      if (limits.maxRequests() != null) {
        t.setMaxRequests(UInt32Value.of(limits.maxRequests()));
      }
      if (limits.maxRetries() != null) {
        t.setMaxRetries(UInt32Value.of(limits.maxRetries()));
      }
    }
    if (budget != null) {
      t.setRetryBudget(CircuitBreakers.Thresholds.RetryBudget.newBuilder()
          .setBudgetPercent(Percent.newBuilder().setValue(budget.percent()))
          .setMinRetryConcurrency(UInt32Value.of(budget.minConcurrency())));
    }
    return CircuitBreakers.newBuilder().addThresholds(t).build();
  }

  private static OutlierDetection outlierDetection(DestinationPolicy.OutlierDetection o) {
    OutlierDetection.Builder b = OutlierDetection.newBuilder();
    // Only the conditions the policy names eject (Envoy would otherwise eject on 5 consecutive 5xx).
    if (o.consecutive5xx() != null) {
      b.setConsecutive5Xx(UInt32Value.of(o.consecutive5xx())).setEnforcingConsecutive5Xx(UInt32Value.of(100));
    } else {
      b.setEnforcingConsecutive5Xx(UInt32Value.of(0));
    }
    if (o.consecutiveGatewayErrors() != null) {
      b.setConsecutiveGatewayFailure(UInt32Value.of(o.consecutiveGatewayErrors()))
          .setEnforcingConsecutiveGatewayFailure(UInt32Value.of(100));
    }
    if (o.consecutiveLocalOriginFailures() != null) {
      b.setSplitExternalLocalOriginErrors(true)
          .setConsecutiveLocalOriginFailure(UInt32Value.of(o.consecutiveLocalOriginFailures()))
          .setEnforcingConsecutiveLocalOriginFailure(UInt32Value.of(100));
    }
    if (o.interval() != null) {
      b.setInterval(duration(o.interval()));
    }
    if (o.baseEjectionTime() != null) {
      b.setBaseEjectionTime(duration(o.baseEjectionTime()));
    }
    if (o.maxEjectionPercent() != null) {
      b.setMaxEjectionPercent(UInt32Value.of(o.maxEjectionPercent()));
    }
    return b.build();
  }

  private static HealthCheck healthCheck(DestinationPolicy.HealthCheck h, String hostname) {
    HealthCheck.Builder b = HealthCheck.newBuilder().setInterval(duration(h.interval()))
        .setTimeout(duration(h.timeout())).setHealthyThreshold(UInt32Value.of(h.healthyThreshold()))
        .setUnhealthyThreshold(UInt32Value.of(h.unhealthyThreshold()));
    if (h.httpPath() != null) {
      // The Host names the service so the peer sidecar's inbound routes reach the app.
      b.setHttpHealthCheck(HealthCheck.HttpHealthCheck.newBuilder().setPath(h.httpPath()).setHost(hostname));
    } else {
      b.setTcpHealthCheck(HealthCheck.TcpHealthCheck.getDefaultInstance());
    }
    return b.build();
  }

  private TransportSocket upstreamTls(Service s, List<Endpoint> eps) {
    CertificateValidationContext.Builder sans = CertificateValidationContext.newBuilder();
    Set<String> ids = new TreeSet<>();
    for (Endpoint e : eps) {
      ids.add(spiffeId(s.namespace(), e.serviceAccount()));
    }
    for (String id : ids) {
      sans.addMatchTypedSubjectAltNames(SubjectAltNameMatcher.newBuilder().setSanType(SubjectAltNameMatcher.SanType.URI)
          .setMatcher(StringMatcher.newBuilder().setExact(id)));
    }
    if (ids.isEmpty()) {
      // No endpoints yet: accept any workload of the destination's namespace until they come.
      sans.addMatchTypedSubjectAltNames(SubjectAltNameMatcher.newBuilder().setSanType(SubjectAltNameMatcher.SanType.URI)
          .setMatcher(StringMatcher.newBuilder().setPrefix("spiffe://" + trustDomain + "/ns/" + s.namespace() + "/")));
    }
    UpstreamTlsContext tls = UpstreamTlsContext.newBuilder().setSni(s.hostname())
        .setCommonTlsContext(commonTls(sans.build())).build();
    return TransportSocket.newBuilder().setName(TLS_SOCKET).setTypedConfig(Any.pack(tls)).build();
  }

  private static CommonTlsContext.Builder commonTls(CertificateValidationContext defaults) {
    return CommonTlsContext.newBuilder()
        .addTlsCertificateSdsSecretConfigs(SdsSecretConfig.newBuilder().setName(CERTIFICATE_SECRET))
        .setCombinedValidationContext(CommonTlsContext.CombinedCertificateValidationContext.newBuilder()
            .setDefaultValidationContext(defaults)
            .setValidationContextSdsSecretConfig(SdsSecretConfig.newBuilder().setName(ROOTS_SECRET)));
  }

  private String spiffeId(String namespace, String serviceAccount) {
    return "spiffe://" + trustDomain + "/ns/" + namespace + "/sa/"
        + (serviceAccount == null || serviceAccount.isEmpty() ? "default" : serviceAccount);
  }

  /** Ready endpoints of {@code s} in {@code subset} (null: all). */
  private List<Endpoint> selected(Service s, String subset) {
    Map<String, String> labels = subset == null ? Map.of()
        : policies.destinationPolicy(s.namespace(), s.name()).flatMap(d -> d.subsets().stream()
            .filter(x -> x.name().equals(subset)).findFirst()).map(DestinationPolicy.Subset::labels).orElse(Map.of());
    return s.endpoints().stream().filter(Endpoint::ready)
        .filter(e -> e.labels().entrySet().containsAll(labels.entrySet())).toList();
  }

  private ClusterLoadAssignment outboundEndpoints(Service s, String subset, String name) {
    boolean prioritize = workload != null && policies.destinationPolicy(s.namespace(), s.name())
        .map(DestinationPolicy::outlierDetection).isPresent();
    Map<Locality, List<Endpoint>> byLocality = new TreeMap<>(Comparator.comparing(Locality::region)
        .thenComparing(Locality::zone).thenComparing(Locality::subZone));
    for (Endpoint e : selected(s, subset)) {
      byLocality.computeIfAbsent(e.locality(), l -> new ArrayList<>()).add(e);
    }
    // Locality failover as Istio does with outlier detection: the closer, the higher the priority.
    TreeSet<Integer> distances = new TreeSet<>();
    if (prioritize) {
      byLocality.keySet().forEach(l -> distances.add(distance(l)));
    }
    List<Integer> ranks = new ArrayList<>(distances);
    ClusterLoadAssignment.Builder cla = ClusterLoadAssignment.newBuilder().setClusterName(name);
    for (var e : byLocality.entrySet()) {
      LocalityLbEndpoints.Builder l = LocalityLbEndpoints.newBuilder().setLocality(locality(e.getKey()))
          .setLoadBalancingWeight(UInt32Value.of(e.getValue().size()))
          .setPriority(prioritize ? ranks.indexOf(distance(e.getKey())) : 0);
      for (Endpoint ep : e.getValue()) {
        l.addLbEndpoints(lbEndpoint(ep.address(), options.inboundPort()));
      }
      cla.addEndpoints(l);
    }
    return cla.build();
  }

  /** 0 same sub-zone, 1 same zone, 2 same region, 3 elsewhere. */
  private int distance(Locality l) {
    Locality own = workload.locality();
    if (!own.region().equals(l.region())) {
      return 3;
    }
    if (!own.zone().equals(l.zone())) {
      return 2;
    }
    return own.subZone().equals(l.subZone()) ? 0 : 1;
  }

  private static io.envoyproxy.envoy.config.core.v3.Locality locality(Locality l) {
    return io.envoyproxy.envoy.config.core.v3.Locality.newBuilder().setRegion(l.region()).setZone(l.zone())
        .setSubZone(l.subZone()).build();
  }

  private static LbEndpoint lbEndpoint(String address, int port) {
    return LbEndpoint.newBuilder().setHealthStatus(HealthStatus.HEALTHY)
        .setEndpoint(io.envoyproxy.envoy.config.endpoint.v3.Endpoint.newBuilder().setAddress(socket(address, port)))
        .build();
  }

  private static Address socket(String address, int port) {
    return Address.newBuilder().setSocketAddress(SocketAddress.newBuilder().setAddress(address).setPortValue(port))
        .build();
  }

  // ---- mTLS modes

  /** The mode of a workload with {@code labels} in {@code namespace}: workload policy, namespace policy, mesh. */
  Mode modeOf(String namespace, Map<String, String> labels) {
    Mode namespaceWide = null;
    for (MtlsPolicy m : policies.mtlsPolicies()) {
      if (!m.meta().namespace().equals(namespace)) {
        continue;
      }
      if (m.selector().isEmpty()) {
        namespaceWide = m.mode();
      } else if (labels.entrySet().containsAll(m.selector().entrySet())) {
        return m.mode();
      }
    }
    return namespaceWide != null ? namespaceWide : policies.mesh().mtlsMode();
  }

  // ---- listeners

  private Listener outboundListener(boolean faults) {
    HttpConnectionManager.Builder hcm = HttpConnectionManager.newBuilder().setStatPrefix("outbound")
        .setCodecType(HttpConnectionManager.CodecType.AUTO)
        .setRds(Rds.newBuilder().setRouteConfigName(OUTBOUND_ROUTE).setConfigSource(ADS));
    if (faults) {
      // Empty filter config: only routes with a per-route fault config inject faults.
      hcm.addHttpFilters(HttpFilter.newBuilder().setName(FAULT_FILTER)
          .setTypedConfig(Any.pack(HTTPFault.getDefaultInstance())));
    }
    hcm.addHttpFilters(router());
    return Listener.newBuilder().setName(OUTBOUND_LISTENER)
        .setAddress(socket(listenAddress(), options.outboundPort()))
        .setTrafficDirection(TrafficDirection.OUTBOUND)
        .addFilterChains(FilterChain.newBuilder().setName("outbound-http")
            .addFilters(networkFilter("envoy.filters.network.http_connection_manager", hcm.build())))
        .build();
  }

  private String listenAddress() {
    if (options.kubernetes()) {
      return "0.0.0.0";
    }
    return workload != null ? workload.address() : "127.0.0.1";
  }

  private static HttpFilter router() {
    return HttpFilter.newBuilder().setName("envoy.filters.http.router")
        .setTypedConfig(Any.pack(Router.getDefaultInstance())).build();
  }

  private static Filter networkFilter(String name, Message config) {
    return Filter.newBuilder().setName(name).setTypedConfig(Any.pack(config)).build();
  }

  private Listener inboundListener(List<Map.Entry<Service, ServicePort>> ports) {
    RouteConfiguration routes = inboundRoutes(ports);
    HttpConnectionManager.Builder hcm = HttpConnectionManager.newBuilder().setStatPrefix("inbound")
        .setCodecType(HttpConnectionManager.CodecType.AUTO)
        .setRouteConfig(routes)
        .setNormalizePath(BoolValue.of(true))
        .setMergeSlashes(true)
        .setForwardClientCertDetails(HttpConnectionManager.ForwardClientCertDetails.SANITIZE_SET)
        .setSetCurrentClientCertDetails(HttpConnectionManager.SetCurrentClientCertDetails.newBuilder().setUri(true));
    for (HttpFilter f : rbacFilters()) {
      hcm.addHttpFilters(f);
    }
    hcm.addHttpFilters(router());
    Filter filter = networkFilter("envoy.filters.network.http_connection_manager", hcm.build());
    Mode mode = modeOf(workload.namespace(), workload.labels());
    Listener.Builder l = Listener.newBuilder().setName(INBOUND_LISTENER)
        .setAddress(socket(listenAddress(), options.inboundPort()))
        .setTrafficDirection(TrafficDirection.INBOUND);
    FilterChain.Builder tls = FilterChain.newBuilder().setName("inbound-mtls").addFilters(filter)
        .setTransportSocket(downstreamTls());
    FilterChain.Builder plain = FilterChain.newBuilder().setName("inbound-plaintext").addFilters(filter);
    switch (mode) {
      case STRICT -> l.addFilterChains(tls);
      case DISABLE -> l.addFilterChains(plain);
      case PERMISSIVE -> l.addListenerFilters(ListenerFilter.newBuilder().setName("envoy.filters.listener.tls_inspector")
              .setTypedConfig(Any.pack(TlsInspector.getDefaultInstance())))
          .addFilterChains(tls.setFilterChainMatch(FilterChainMatch.newBuilder().setTransportProtocol("tls")))
          .addFilterChains(plain.setFilterChainMatch(FilterChainMatch.newBuilder().setTransportProtocol("raw_buffer")));
    }
    return l.build();
  }

  private TransportSocket downstreamTls() {
    // Any workload of the trust domain may connect; AuthorizationPolicies narrow it down.
    CertificateValidationContext peers = CertificateValidationContext.newBuilder()
        .addMatchTypedSubjectAltNames(SubjectAltNameMatcher.newBuilder().setSanType(SubjectAltNameMatcher.SanType.URI)
            .setMatcher(StringMatcher.newBuilder().setPrefix("spiffe://" + trustDomain + "/")))
        .build();
    DownstreamTlsContext tls = DownstreamTlsContext.newBuilder().setRequireClientCertificate(BoolValue.of(true))
        .setCommonTlsContext(commonTls(peers).addAlpnProtocols("h2").addAlpnProtocols("http/1.1")).build();
    return TransportSocket.newBuilder().setName(TLS_SOCKET).setTypedConfig(Any.pack(tls)).build();
  }

  private RouteConfiguration inboundRoutes(List<Map.Entry<Service, ServicePort>> ports) {
    RouteConfiguration.Builder rc = RouteConfiguration.newBuilder().setName("inbound|" + node.id());
    Set<String> used = new LinkedHashSet<>();
    Set<Service> seen = new LinkedHashSet<>();
    for (var e : ports) {
      Service s = e.getKey();
      ServicePort p = e.getValue();
      boolean first = seen.add(s);
      // The caller's sidecar keeps the Host it was given; accept every form of the name.
      List<String> domains = domains(s, p, first, used);
      if (domains.isEmpty()) {
        continue;
      }
      rc.addVirtualHosts(VirtualHost.newBuilder().setName("inbound|" + s.hostname() + ":" + p.port())
          .addAllDomains(domains)
          .addRoutes(Route.newBuilder().setName("default").setMatch(prefixAll())
              .setRoute(RouteAction.newBuilder().setCluster(inboundClusterName(p.targetPort())))));
    }
    // Requests by IP or another name reach the first port.
    rc.addVirtualHosts(VirtualHost.newBuilder().setName("inbound|default").addDomains("*")
        .addRoutes(Route.newBuilder().setName("default").setMatch(prefixAll())
            .setRoute(RouteAction.newBuilder().setCluster(inboundClusterName(ports.get(0).getValue().targetPort())))));
    return rc.build();
  }

  private Cluster inboundCluster(ServicePort p, String name) {
    Cluster.Builder c = edsCluster(name);
    httpProtocol(c, p.protocol(), false);
    return c.build();
  }

  private ClusterLoadAssignment inboundEndpoints(ServicePort p, String name) {
    String app = options.kubernetes() ? "127.0.0.1" : workload.address();
    return ClusterLoadAssignment.newBuilder().setClusterName(name)
        .addEndpoints(LocalityLbEndpoints.newBuilder().setLocality(locality(workload.locality()))
            .setLoadBalancingWeight(UInt32Value.of(1)).addLbEndpoints(lbEndpoint(app, p.targetPort())))
        .build();
  }

  // ---- authorization

  /** A DENY filter (if any DENY policy selects the workload), then an ALLOW filter (if any ALLOW policy does). */
  private List<HttpFilter> rbacFilters() {
    Map<String, Policy> deny = new TreeMap<>();
    Map<String, Policy> allow = new TreeMap<>();
    boolean anyAllow = false;
    for (AuthorizationPolicy a : policies.authorizationPolicies()) {
      if (!a.meta().namespace().equals(workload.namespace())
          || !workload.labels().entrySet().containsAll(a.selector().entrySet())) {
        continue;
      }
      anyAllow |= a.action() == AuthorizationPolicy.Action.ALLOW;
      Map<String, Policy> target = a.action() == AuthorizationPolicy.Action.ALLOW ? allow : deny;
      for (int i = 0; i < a.rules().size(); i++) {
        target.put(a.meta().name() + ".rules[" + i + "]", rbacPolicy(a.rules().get(i)));
      }
    }
    List<HttpFilter> out = new ArrayList<>();
    if (!deny.isEmpty()) {
      out.add(rbacFilter("deny", RBAC.Action.DENY, deny));
    }
    if (anyAllow) {
      out.add(rbacFilter("allow", RBAC.Action.ALLOW, allow));
    }
    return out;
  }

  private static HttpFilter rbacFilter(String prefix, RBAC.Action action, Map<String, Policy> policies) {
    var config = io.envoyproxy.envoy.extensions.filters.http.rbac.v3.RBAC.newBuilder()
        .setRules(RBAC.newBuilder().setAction(action).putAllPolicies(policies)).setRulesStatPrefix(prefix).build();
    return HttpFilter.newBuilder().setName("envoy.filters.http.rbac").setTypedConfig(Any.pack(config)).build();
  }

  private Policy rbacPolicy(AuthorizationPolicy.Rule rule) {
    Policy.Builder p = Policy.newBuilder();
    if (rule.to().isEmpty()) {
      p.addPermissions(Permission.newBuilder().setAny(true));
    } else {
      List<Permission> ops = new ArrayList<>();
      for (AuthorizationPolicy.Operation op : rule.to()) {
        List<Permission> all = new ArrayList<>();
        if (!op.paths().isEmpty()) {
          all.add(orPermissions(op.paths().stream().map(MeshTranslator::pathPermission).toList()));
        }
        if (!op.methods().isEmpty()) {
          all.add(orPermissions(op.methods().stream().map(m -> Permission.newBuilder().setHeader(
              HeaderMatcher.newBuilder().setName(":method").setStringMatch(StringMatcher.newBuilder().setExact(m)))
              .build()).toList()));
        }
        ops.add(all.size() == 1 ? all.get(0) : Permission.newBuilder()
            .setAndRules(Permission.Set.newBuilder().addAllRules(all)).build());
      }
      p.addPermissions(orPermissions(ops));
    }
    if (rule.from().isEmpty()) {
      p.addPrincipals(Principal.newBuilder().setAny(true));
    } else {
      List<Principal> sources = new ArrayList<>();
      for (AuthorizationPolicy.Source s : rule.from()) {
        List<Principal> all = new ArrayList<>();
        if (!s.principals().isEmpty()) {
          all.add(orPrincipals(s.principals().stream().map(id -> authenticated(
              StringMatcher.newBuilder().setExact(id).build())).toList()));
        }
        if (!s.namespaces().isEmpty()) {
          all.add(orPrincipals(s.namespaces().stream().map(ns -> authenticated(StringMatcher.newBuilder()
              .setPrefix("spiffe://" + trustDomain + "/ns/" + ns + "/sa/").build())).toList()));
        }
        if (!s.serviceAccounts().isEmpty()) {
          all.add(orPrincipals(s.serviceAccounts().stream().map(sa -> {
            int slash = sa.indexOf('/');
            return authenticated(StringMatcher.newBuilder()
                .setExact(spiffeId(sa.substring(0, slash), sa.substring(slash + 1))).build());
          }).toList()));
        }
        sources.add(all.size() == 1 ? all.get(0)
            : Principal.newBuilder().setAndIds(Principal.Set.newBuilder().addAllIds(all)).build());
      }
      p.addPrincipals(orPrincipals(sources));
    }
    return p.build();
  }

  private static Permission pathPermission(String path) {
    StringMatcher.Builder m = StringMatcher.newBuilder();
    if (path.equals("*")) {
      return Permission.newBuilder().setAny(true).build();
    } else if (path.endsWith("*")) {
      m.setPrefix(path.substring(0, path.length() - 1));
    } else if (path.startsWith("*")) {
      m.setSuffix(path.substring(1));
    } else {
      m.setExact(path);
    }
    return Permission.newBuilder().setUrlPath(PathMatcher.newBuilder().setPath(m)).build();
  }

  private static Permission orPermissions(List<Permission> list) {
    return list.size() == 1 ? list.get(0)
        : Permission.newBuilder().setOrRules(Permission.Set.newBuilder().addAllRules(list)).build();
  }

  private static Principal orPrincipals(List<Principal> list) {
    return list.size() == 1 ? list.get(0)
        : Principal.newBuilder().setOrIds(Principal.Set.newBuilder().addAllIds(list)).build();
  }

  private static Principal authenticated(StringMatcher m) {
    return Principal.newBuilder().setAuthenticated(Principal.Authenticated.newBuilder().setPrincipalName(m)).build();
  }

  static com.google.protobuf.Duration duration(Duration d) {
    return com.google.protobuf.Duration.newBuilder().setSeconds(d.getSeconds()).setNanos(d.getNano()).build();
  }
}

package dev.weft.proxy.bootstrap;

import com.google.protobuf.Any;
import com.google.protobuf.InvalidProtocolBufferException;
import com.google.protobuf.Message;
import com.google.re2j.Pattern;
import com.google.re2j.PatternSyntaxException;
import dev.weft.proxy.config.AdsConfig;
import dev.weft.proxy.config.ClusterConfig;
import dev.weft.proxy.config.EndpointConfig;
import dev.weft.proxy.config.FaultConfig;
import dev.weft.proxy.config.HashPolicy;
import dev.weft.proxy.config.LbConfig;
import dev.weft.proxy.config.LoadAssignment;
import dev.weft.proxy.config.FilterChainConfig;
import dev.weft.proxy.config.FractionalPercent;
import dev.weft.proxy.config.FilterChainMatch;
import dev.weft.proxy.config.HeaderMatcher;
import dev.weft.proxy.config.HeaderMutation;
import dev.weft.proxy.config.Http2Settings;
import dev.weft.proxy.config.HttpConnectionManagerConfig;
import dev.weft.proxy.config.ListenerConfig;
import dev.weft.proxy.config.NetworkFilterConfig;
import dev.weft.proxy.config.PathNormalization;
import dev.weft.proxy.config.ProxyConfig;
import dev.weft.proxy.config.RbacConfig;
import dev.weft.proxy.config.RbacPermission;
import dev.weft.proxy.config.RbacPrincipal;
import dev.weft.proxy.config.RetryBudgetConfig;
import dev.weft.proxy.config.RetryPolicy;
import dev.weft.proxy.config.Route;
import dev.weft.proxy.config.RouteAction;
import dev.weft.proxy.config.RouteMatch;
import dev.weft.proxy.config.RouteTable;
import dev.weft.proxy.config.SocketAddressConfig;
import dev.weft.proxy.config.TcpProxyConfig;
import dev.weft.proxy.config.VirtualHost;
import io.envoyproxy.envoy.config.bootstrap.v3.Bootstrap;
import io.envoyproxy.envoy.config.cluster.v3.Cluster;
import io.envoyproxy.envoy.config.core.v3.Address;
import io.envoyproxy.envoy.config.core.v3.HeaderValueOption;
import io.envoyproxy.envoy.config.core.v3.Http2ProtocolOptions;
import io.envoyproxy.envoy.config.core.v3.SocketAddress;
import io.envoyproxy.envoy.config.endpoint.v3.ClusterLoadAssignment;
import io.envoyproxy.envoy.config.endpoint.v3.LbEndpoint;
import io.envoyproxy.envoy.config.endpoint.v3.LocalityLbEndpoints;
import io.envoyproxy.envoy.config.listener.v3.Filter;
import io.envoyproxy.envoy.config.listener.v3.FilterChain;
import io.envoyproxy.envoy.config.listener.v3.Listener;
import io.envoyproxy.envoy.config.listener.v3.ListenerFilter;
import io.envoyproxy.envoy.config.rbac.v3.Permission;
import io.envoyproxy.envoy.config.rbac.v3.Policy;
import io.envoyproxy.envoy.config.rbac.v3.Principal;
import io.envoyproxy.envoy.config.route.v3.RouteConfiguration;
import io.envoyproxy.envoy.config.route.v3.WeightedCluster;
import io.envoyproxy.envoy.extensions.filters.http.fault.v3.HTTPFault;
import io.envoyproxy.envoy.extensions.filters.http.router.v3.Router;
import io.envoyproxy.envoy.extensions.filters.listener.http_inspector.v3.HttpInspector;
import io.envoyproxy.envoy.extensions.filters.network.http_connection_manager.v3.HttpConnectionManager;
import io.envoyproxy.envoy.extensions.filters.network.http_connection_manager.v3.HttpFilter;
import io.envoyproxy.envoy.extensions.filters.network.tcp_proxy.v3.TcpProxy;
import io.envoyproxy.envoy.extensions.upstreams.http.v3.HttpProtocolOptions;
import io.envoyproxy.envoy.type.matcher.v3.StringMatcher;
import java.net.InetAddress;
import java.nio.charset.StandardCharsets;
import java.time.Duration;
import java.util.ArrayList;
import java.util.HashSet;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Locale;
import java.util.Map;
import java.util.Set;
import java.util.TreeMap;

/**
 * Pure translation from Envoy resources to Weft's config records, with the semantic checks
 * the proto schema cannot express (references, ranges, duplicates). It collects every error
 * with its field path instead of stopping at the first.
 */
public final class ConfigTranslator {

  static final String HCM = "envoy.extensions.filters.network.http_connection_manager.v3.HttpConnectionManager";
  static final String TCP_PROXY = "envoy.extensions.filters.network.tcp_proxy.v3.TcpProxy";
  static final String ROUTER = "envoy.extensions.filters.http.router.v3.Router";
  static final String HTTP_INSPECTOR = "envoy.extensions.filters.listener.http_inspector.v3.HttpInspector";
  static final String TLS_INSPECTOR = "envoy.extensions.filters.listener.tls_inspector.v3.TlsInspector";
  static final String UPSTREAM_HTTP_OPTIONS = "envoy.extensions.upstreams.http.v3.HttpProtocolOptions";
  static final String HTTP_RBAC = "envoy.extensions.filters.http.rbac.v3.RBAC";
  static final String NETWORK_RBAC = "envoy.extensions.filters.network.rbac.v3.RBAC";
  static final String HTTP_FAULT = "envoy.extensions.filters.http.fault.v3.HTTPFault";
  static final String PREVIOUS_HOSTS = "envoy.extensions.retry.host.previous_hosts.v3.PreviousHostsPredicate";

  private static final Duration DEFAULT_CONNECT_TIMEOUT = Duration.ofSeconds(5);
  private static final Duration DEFAULT_ROUTE_TIMEOUT = Duration.ofSeconds(15);
  private static final Duration DEFAULT_DOWNSTREAM_IDLE = Duration.ofHours(1);
  private static final Duration DEFAULT_UPSTREAM_IDLE = Duration.ofHours(1);
  private static final Duration DEFAULT_TCP_IDLE = Duration.ofHours(1);
  private static final Duration DEFAULT_INSPECT_TIMEOUT = Duration.ofSeconds(15);
  private static final int DEFAULT_BUFFER_LIMIT = 1024 * 1024;
  private static final int DEFAULT_MAX_HEADERS_KB = 60;
  private static final int DEFAULT_MAX_HEADERS_COUNT = 100;
  private static final Duration DEFAULT_STREAM_IDLE = Duration.ofMinutes(5);

  private final SupportedFields supported = new SupportedFields(AnyTypes.WEFT);
  private final Map<String, String> locations;
  private final List<ConfigError> errors = new ArrayList<>();
  private TlsTranslator tls = new TlsTranslator(Map.of(), this::error, this::stringMatch);
  /** The listener being translated: its buffer limit is the default replay buffer of its routes. */
  private int listenerBufferLimit = DEFAULT_BUFFER_LIMIT;
  /**
   * The fault filters of the HCM being translated, by name (keys of typed_per_filter_config);
   * null for a route configuration that comes alone (RDS), whose HCM is not known here.
   */
  private Set<String> faultFilterNames;

  private ConfigTranslator(Map<String, String> locations) {
    this.locations = locations;
  }

  /**
   * Translates a bootstrap.
   *
   * @param locations field path to "file:line:col" for error messages (may be empty)
   * @throws ConfigException listing every problem
   */
  public static ProxyConfig translate(Bootstrap bootstrap, Map<String, String> locations) throws ConfigException {
    ConfigTranslator t = new ConfigTranslator(locations);
    t.supported.check(bootstrap, "", locations, t.errors);
    if (!t.errors.isEmpty()) {
      throw new ConfigException(t.errors);
    }
    ProxyConfig config = t.bootstrap(bootstrap);
    if (!t.errors.isEmpty()) {
      throw new ConfigException(t.errors);
    }
    return config;
  }

  private void error(String path, String message) {
    errors.add(new ConfigError(locations.get(path), path, message));
  }

  private ProxyConfig bootstrap(Bootstrap b) {
    Map<String, io.envoyproxy.envoy.extensions.transport_sockets.tls.v3.Secret> secrets = new LinkedHashMap<>();
    for (int i = 0; i < b.getStaticResources().getSecretsCount(); i++) {
      var secret = b.getStaticResources().getSecrets(i);
      if (secret.getName().isEmpty() || secrets.putIfAbsent(secret.getName(), secret) != null) {
        error("static_resources.secrets[" + i + "].name", "'" + secret.getName() + "' (expected: a unique, non-empty name)");
      }
    }
    tls = new TlsTranslator(secrets, this::error, this::stringMatch);
    SocketAddressConfig admin = b.hasAdmin() && b.getAdmin().hasAddress()
        ? address(b.getAdmin().getAddress(), "admin.address") : null;

    Map<String, ClusterConfig> clusters = new LinkedHashMap<>();
    List<Cluster> protoClusters = b.getStaticResources().getClustersList();
    for (int i = 0; i < protoClusters.size(); i++) {
      String path = "static_resources.clusters[" + i + "]";
      ClusterConfig c = cluster(protoClusters.get(i), path);
      if (c != null && clusters.putIfAbsent(c.name(), c) != null) {
        error(path + ".name", "duplicate cluster name '" + c.name() + "'");
      }
    }

    List<ListenerConfig> listeners = new ArrayList<>();
    Set<String> names = new HashSet<>();
    Set<String> addresses = new HashSet<>();
    List<Listener> protoListeners = b.getStaticResources().getListenersList();
    for (int i = 0; i < protoListeners.size(); i++) {
      String path = "static_resources.listeners[" + i + "]";
      ListenerConfig l = listener(protoListeners.get(i), path, clusters);
      if (l == null) {
        continue;
      }
      if (!names.add(l.name())) {
        error(path + ".name", "duplicate listener name '" + l.name() + "'");
      }
      if (l.address().port() != 0 && !addresses.add(l.address().toString())) {
        error(path + ".address", "address " + l.address() + " is used by another listener");
      }
      listeners.add(l);
    }
    AdsConfig ads = b.hasDynamicResources() ? dynamicResources(b, clusters) : null;
    if (ads == null) {
      staticOnlyChecks(listeners, protoClusters);
    }
    return new ProxyConfig(b.getNode().getId(), b.getNode().getCluster(), admin, listeners, clusters, Map.of(), ads);
  }

  // ---- addresses

  private SocketAddressConfig address(Address a, String path) {
    if (!a.hasSocketAddress()) {
      error(path, "a socket_address is required");
      return null;
    }
    SocketAddress s = a.getSocketAddress();
    if (s.getProtocol() != SocketAddress.Protocol.TCP) {
      error(path + ".socket_address.protocol", s.getProtocol() + " (expected: TCP)");
      return null;
    }
    if (s.getAddress().isEmpty()) {
      error(path + ".socket_address.address", "an address is required");
      return null;
    }
    return new SocketAddressConfig(s.getAddress(), s.getPortValue());
  }

  private boolean isIpLiteral(String host) {
    return host.indexOf(':') >= 0 || host.chars().allMatch(c -> c == '.' || Character.isDigit(c));
  }

  // ---- listeners

  private ListenerConfig listener(Listener l, String path, Map<String, ClusterConfig> clusters) {
    if (l.getName().isEmpty()) {
      error(path + ".name", "a listener needs a name");
    }
    if (!l.hasAddress()) {
      error(path + ".address", "a listener needs an address");
      return null;
    }
    SocketAddressConfig address = address(l.getAddress(), path + ".address");
    listenerBufferLimit = l.hasPerConnectionBufferLimitBytes() ? l.getPerConnectionBufferLimitBytes().getValue()
        : DEFAULT_BUFFER_LIMIT;
    boolean inspect = false;
    boolean inspectTls = false;
    for (int i = 0; i < l.getListenerFiltersCount(); i++) {
      ListenerFilter f = l.getListenerFilters(i);
      String fp = path + ".listener_filters[" + i + "]";
      String type = typeName(f.getTypedConfig());
      if (HTTP_INSPECTOR.equals(type) || f.getName().equals("envoy.filters.listener.http_inspector")
          && !f.hasTypedConfig()) {
        inspect = true;
      } else if (TLS_INSPECTOR.equals(type) || f.getName().equals("envoy.filters.listener.tls_inspector")
          && !f.hasTypedConfig()) {
        inspectTls = true;
      } else {
        error(fp, "listener filter '" + f.getName() + "' is not supported (supported: "
            + "envoy.filters.listener.http_inspector, envoy.filters.listener.tls_inspector)");
      }
    }
    List<FilterChainConfig> chains = new ArrayList<>();
    for (int i = 0; i < l.getFilterChainsCount(); i++) {
      FilterChainConfig c = filterChain(l.getFilterChains(i), path + ".filter_chains[" + i + "]", clusters);
      if (c != null) {
        chains.add(c);
      }
    }
    FilterChainConfig defaultChain = l.hasDefaultFilterChain()
        ? filterChain(l.getDefaultFilterChain(), path + ".default_filter_chain", clusters) : null;
    if (chains.isEmpty() && defaultChain == null) {
      error(path + ".filter_chains", "a listener needs at least one filter chain");
    }
    for (int i = 0; i < chains.size(); i++) {
      for (int j = 0; j < i; j++) {
        if (chains.get(i).match().equals(chains.get(j).match())) {
          error(path + ".filter_chains[" + i + "].filter_chain_match",
              "the same match as filter_chains[" + j + "]; Envoy rejects duplicate matches");
        }
      }
      if (!inspect && !chains.get(i).match().applicationProtocols().isEmpty()) {
        error(path + ".filter_chains[" + i + "].filter_chain_match.application_protocols",
            "matching on application protocols needs the envoy.filters.listener.http_inspector listener filter");
      }
      if (!inspectTls && chains.get(i).match().transportProtocol().equals("tls")) {
        error(path + ".filter_chains[" + i + "].filter_chain_match.transport_protocol",
            "matching on 'tls' needs the envoy.filters.listener.tls_inspector listener filter");
      }
    }
    int limit = l.hasPerConnectionBufferLimitBytes() ? l.getPerConnectionBufferLimitBytes().getValue()
        : DEFAULT_BUFFER_LIMIT;
    return new ListenerConfig(l.getName(), address, chains, defaultChain, inspect, inspectTls,
        l.hasListenerFiltersTimeout() ? duration(l.getListenerFiltersTimeout()) : DEFAULT_INSPECT_TIMEOUT,
        l.getContinueOnListenerFiltersTimeout(), limit);
  }

  private FilterChainConfig filterChain(FilterChain fc, String path, Map<String, ClusterConfig> clusters) {
    var m = fc.getFilterChainMatch();
    String transport = m.getTransportProtocol();
    if (!transport.isEmpty() && !transport.equals("raw_buffer") && !transport.equals("tls")) {
      error(path + ".filter_chain_match.transport_protocol", "'" + transport + "' (expected: tls or raw_buffer)");
    }
    FilterChainMatch match = new FilterChainMatch(m.hasDestinationPort() ? m.getDestinationPort().getValue() : 0,
        Set.copyOf(m.getApplicationProtocolsList()), transport);
    dev.weft.proxy.config.TlsConfig chainTls = fc.hasTransportSocket()
        ? tls.downstream(fc.getTransportSocket(), path + ".transport_socket") : null;
    int last = fc.getFiltersCount() - 1;
    if (last < 0) {
      error(path + ".filters", "no filters (expected: zero or more envoy.filters.network.rbac, then one of "
          + "envoy.filters.network.http_connection_manager or envoy.filters.network.tcp_proxy)");
      return null;
    }
    List<RbacConfig> rbac = new ArrayList<>();
    for (int i = 0; i < last; i++) {
      RbacConfig r = networkRbac(fc.getFilters(i), path + ".filters[" + i + "]");
      if (r != null) {
        rbac.add(r);
      }
    }
    NetworkFilterConfig filter = networkFilter(fc.getFilters(last), path + ".filters[" + last + "]", clusters);
    return filter == null ? null : new FilterChainConfig(fc.getName(), match, chainTls, filter, rbac);
  }

  private NetworkFilterConfig networkFilter(Filter f, String path, Map<String, ClusterConfig> clusters) {
    String type = typeName(f.getTypedConfig());
    if (HCM.equals(type)) {
      return httpConnectionManager(unpack(f.getTypedConfig(), HttpConnectionManager.getDefaultInstance(), path),
          path + ".typed_config", clusters);
    }
    if (TCP_PROXY.equals(type)) {
      TcpProxy tp = unpack(f.getTypedConfig(), TcpProxy.getDefaultInstance(), path);
      if (tp.getCluster().isEmpty()) {
        error(path + ".typed_config.cluster", "a cluster is required");
        return null;
      }
      if (clusters != null && !clusters.containsKey(tp.getCluster())) {
        error(path + ".typed_config.cluster", "unknown cluster '" + tp.getCluster() + "'");
      }
      boolean hashSourceIp = false;
      for (int i = 0; i < tp.getHashPolicyCount(); i++) {
        if (!tp.getHashPolicy(i).hasSourceIp()) {
          error(path + ".typed_config.hash_policy[" + i + "]", "a hash policy needs source_ip");
        }
        hashSourceIp = true;
      }
      return new TcpProxyConfig(tp.getStatPrefix(), tp.getCluster(),
          tp.hasIdleTimeout() ? duration(tp.getIdleTimeout()) : DEFAULT_TCP_IDLE, hashSourceIp);
    }
    error(path + ".typed_config", "network filter '" + f.getName() + "' needs typed_config of type " + HCM
        + " or " + TCP_PROXY);
    return null;
  }

  private HttpConnectionManagerConfig httpConnectionManager(HttpConnectionManager h, String path,
      Map<String, ClusterConfig> clusters) {
    HttpConnectionManagerConfig.Codec codec = switch (h.getCodecType()) {
      case AUTO -> HttpConnectionManagerConfig.Codec.AUTO;
      case HTTP1 -> HttpConnectionManagerConfig.Codec.HTTP1;
      case HTTP2 -> HttpConnectionManagerConfig.Codec.HTTP2;
      default -> {
        error(path + ".codec_type", h.getCodecType() + " (expected: AUTO, HTTP1 or HTTP2)");
        yield HttpConnectionManagerConfig.Codec.AUTO;
      }
    };
    String rdsName = null;
    if (h.hasRds()) {
      rdsName = rds(h.getRds(), path + ".rds");
    } else if (!h.hasRouteConfig()) {
      error(path, "route_config or rds is required");
      return null;
    }
    if (h.getHttpFiltersCount() == 0) {
      error(path + ".http_filters", "the router filter (envoy.filters.http.router) is required");
    }
    List<RbacConfig> rbacFilters = new ArrayList<>();
    List<FaultConfig> faultFilters = new ArrayList<>();
    for (int i = 0; i < h.getHttpFiltersCount(); i++) {
      HttpFilter f = h.getHttpFilters(i);
      String fp = path + ".http_filters[" + i + "]";
      boolean router = ROUTER.equals(typeName(f.getTypedConfig()))
          || !f.hasTypedConfig() && f.getName().equals("envoy.filters.http.router");
      boolean last = i == h.getHttpFiltersCount() - 1;
      if (HTTP_FAULT.equals(typeName(f.getTypedConfig()))) {
        if (!faultFilters.isEmpty()) {
          error(fp, "a second fault filter (Weft supports one envoy.filters.http.fault per connection manager)");
        }
        String name = f.getName().isEmpty() ? "envoy.filters.http.fault" : f.getName();
        faultFilters.add(fault(unpack(f.getTypedConfig(),
            HTTPFault.getDefaultInstance(), fp), name, fp + ".typed_config"));
        if (last) {
          error(fp, "the router (envoy.filters.http.router) must be the last HTTP filter");
        }
      } else if (HTTP_RBAC.equals(typeName(f.getTypedConfig()))) {
        if (!faultFilters.isEmpty()) {
          error(fp, "Weft runs RBAC filters before fault filters: put envoy.filters.http.rbac before "
              + "envoy.filters.http.fault");
        }
        RbacConfig r = httpRbac(f, fp);
        if (r != null) {
          rbacFilters.add(r);
        }
        if (last) {
          error(fp, "the router (envoy.filters.http.router) must be the last HTTP filter");
        }
      } else if (!router) {
        error(fp, "HTTP filter '" + f.getName()
            + "' is not supported (supported: envoy.filters.http.rbac, envoy.filters.http.fault, "
            + "envoy.filters.http.router)");
      } else if (!last) {
        error(fp, "the router must be the last HTTP filter");
      }
    }
    Set<String> faultNames = new HashSet<>();
    for (FaultConfig f : faultFilters) {
      faultNames.add(f.filterName());
    }
    faultFilterNames = faultNames;
    RouteTable routes = rdsName != null ? RouteTable.empty(rdsName)
        : routeTable(h.getRouteConfig(), path + ".route_config", clusters);
    faultFilterNames = null;
    var common = h.getCommonHttpProtocolOptions();
    int maxKb = h.hasMaxRequestHeadersKb() ? h.getMaxRequestHeadersKb().getValue() : DEFAULT_MAX_HEADERS_KB;
    if (maxKb < 1 || maxKb > 8192) {
      error(path + ".max_request_headers_kb", maxKb + " (expected: 1 to 8192)");
    }
    int maxCount = common.hasMaxHeadersCount() ? common.getMaxHeadersCount().getValue() : DEFAULT_MAX_HEADERS_COUNT;
    if (maxCount < 1) {
      error(path + ".common_http_protocol_options.max_headers_count", maxCount + " (expected: >= 1)");
    }
    if (common.hasMaxRequestsPerConnection()) {
      error(path + ".common_http_protocol_options.max_requests_per_connection",
          "not supported on downstream connections");
    }
    Set<String> upgrades = new HashSet<>();
    for (var u : h.getUpgradeConfigsList()) {
      if (!u.hasEnabled() || u.getEnabled().getValue()) {
        upgrades.add(u.getUpgradeType().toLowerCase(Locale.ROOT));
      }
    }
    HttpConnectionManagerConfig.ForwardClientCert xfcc = switch (h.getForwardClientCertDetails()) {
      case SANITIZE -> HttpConnectionManagerConfig.ForwardClientCert.SANITIZE;
      case FORWARD_ONLY -> HttpConnectionManagerConfig.ForwardClientCert.FORWARD_ONLY;
      case APPEND_FORWARD -> HttpConnectionManagerConfig.ForwardClientCert.APPEND_FORWARD;
      case SANITIZE_SET -> HttpConnectionManagerConfig.ForwardClientCert.SANITIZE_SET;
      case ALWAYS_FORWARD_ONLY -> HttpConnectionManagerConfig.ForwardClientCert.ALWAYS_FORWARD_ONLY;
      default -> {
        error(path + ".forward_client_cert_details", h.getForwardClientCertDetails() + " is not a known value");
        yield HttpConnectionManagerConfig.ForwardClientCert.SANITIZE;
      }
    };
    return new HttpConnectionManagerConfig(h.getStatPrefix(), codec, routes, maxKb * 1024, maxCount,
        common.hasIdleTimeout() ? duration(common.getIdleTimeout()) : DEFAULT_DOWNSTREAM_IDLE,
        !h.hasGenerateRequestId() || h.getGenerateRequestId().getValue(),
        h.getStripAnyHostPort(), upgrades,
        http2(h.getHttp2ProtocolOptions(), path + ".http2_protocol_options"), xfcc,
        h.getSetCurrentClientCertDetails().getUri(), rbacFilters, pathNormalization(h, path), rdsName,
        faultFilters,
        h.hasStreamIdleTimeout() ? duration(h.getStreamIdleTimeout()) : DEFAULT_STREAM_IDLE,
        common.hasMaxStreamDuration() ? duration(common.getMaxStreamDuration()) : Duration.ZERO);
  }

  private Http2Settings http2(Http2ProtocolOptions o, String path) {
    long streams = o.hasMaxConcurrentStreams() ? o.getMaxConcurrentStreams().getValue()
        : Http2Settings.DEFAULTS.maxConcurrentStreams();
    int stream = o.hasInitialStreamWindowSize() ? o.getInitialStreamWindowSize().getValue()
        : Http2Settings.DEFAULTS.initialStreamWindowSize();
    int conn = o.hasInitialConnectionWindowSize() ? o.getInitialConnectionWindowSize().getValue()
        : Http2Settings.DEFAULTS.initialConnectionWindowSize();
    // Envoy's bounds for these settings.
    if (streams < 1 || streams > 2147483647L) {
      error(path + ".max_concurrent_streams", streams + " (expected: 1 to 2147483647)");
    }
    if (stream < 65535 || stream > 2147483647) {
      error(path + ".initial_stream_window_size", stream + " (expected: 65535 to 2147483647)");
    }
    if (conn < 65535 || conn > 2147483647) {
      error(path + ".initial_connection_window_size", conn + " (expected: 65535 to 2147483647)");
    }
    return new Http2Settings(streams, stream, conn);
  }

  // ---- path normalization and RBAC

  private PathNormalization pathNormalization(HttpConnectionManager h, String path) {
    PathNormalization.EscapedSlashes escaped = switch (h.getPathWithEscapedSlashesAction()) {
      case IMPLEMENTATION_SPECIFIC_DEFAULT, KEEP_UNCHANGED -> PathNormalization.EscapedSlashes.KEEP_UNCHANGED;
      case REJECT_REQUEST -> PathNormalization.EscapedSlashes.REJECT_REQUEST;
      case UNESCAPE_AND_FORWARD -> PathNormalization.EscapedSlashes.UNESCAPE_AND_FORWARD;
      default -> {
        error(path + ".path_with_escaped_slashes_action", h.getPathWithEscapedSlashesAction()
            + " (expected: KEEP_UNCHANGED, REJECT_REQUEST or UNESCAPE_AND_FORWARD)");
        yield PathNormalization.EscapedSlashes.KEEP_UNCHANGED;
      }
    };
    return new PathNormalization(h.hasNormalizePath() && h.getNormalizePath().getValue(), h.getMergeSlashes(),
        escaped);
  }

  /** An {@code envoy.filters.http.rbac} filter; null when it has no {@code rules} (no enforcement, as Envoy). */
  private RbacConfig httpRbac(HttpFilter f, String path) {
    var config = unpack(f.getTypedConfig(),
        io.envoyproxy.envoy.extensions.filters.http.rbac.v3.RBAC.getDefaultInstance(), path);
    if (!config.hasRules()) {
      return null;
    }
    String name = !config.getRulesStatPrefix().isEmpty() ? config.getRulesStatPrefix()
        : f.getName().isEmpty() ? "envoy.filters.http.rbac" : f.getName();
    return rbac(config.getRules(), path + ".typed_config.rules", true, name);
  }

  /** An {@code envoy.filters.network.rbac} filter before a chain's terminal filter. */
  private RbacConfig networkRbac(Filter f, String path) {
    if (!NETWORK_RBAC.equals(typeName(f.getTypedConfig()))) {
      error(path + ".typed_config", "network filter '" + f.getName() + "' before the last filter (expected: "
          + "typed_config of type " + NETWORK_RBAC + "; only RBAC filters may precede the terminal filter)");
      return null;
    }
    var config = unpack(f.getTypedConfig(),
        io.envoyproxy.envoy.extensions.filters.network.rbac.v3.RBAC.getDefaultInstance(), path);
    if (config.getStatPrefix().isEmpty()) {
      error(path + ".typed_config.stat_prefix", "a stat_prefix is required");
    }
    return config.hasRules() ? rbac(config.getRules(), path + ".typed_config.rules", false, config.getStatPrefix())
        : null;
  }

  private RbacConfig rbac(io.envoyproxy.envoy.config.rbac.v3.RBAC rules, String path, boolean http, String name) {
    RbacConfig.Action action = switch (rules.getAction()) {
      case ALLOW -> RbacConfig.Action.ALLOW;
      case DENY -> RbacConfig.Action.DENY;
      default -> {
        error(path + ".action", rules.getAction() + " (expected: ALLOW or DENY)");
        yield null;
      }
    };
    List<RbacConfig.Policy> policies = new ArrayList<>();
    // A proto map has no order: evaluate policies by name, so the matching policy is deterministic.
    for (Map.Entry<String, Policy> e : new TreeMap<>(rules.getPoliciesMap()).entrySet()) {
      String pp = path + ".policies[" + e.getKey() + "]";
      Policy p = e.getValue();
      if (p.getPermissionsCount() == 0) {
        error(pp + ".permissions", "a policy needs at least one permission");
      }
      if (p.getPrincipalsCount() == 0) {
        error(pp + ".principals", "a policy needs at least one principal");
      }
      policies.add(new RbacConfig.Policy(e.getKey(),
          permissions(p.getPermissionsList(), pp + ".permissions", http),
          principals(p.getPrincipalsList(), pp + ".principals", http)));
    }
    return action == null ? null : new RbacConfig(name, action, policies);
  }

  private List<RbacPermission> permissions(List<Permission> list, String path, boolean http) {
    List<RbacPermission> out = new ArrayList<>();
    for (int i = 0; i < list.size(); i++) {
      RbacPermission p = permission(list.get(i), path + "[" + i + "]", http);
      if (p != null) {
        out.add(p);
      }
    }
    return out;
  }

  private List<RbacPermission> permissionSet(Permission.Set set, String path, boolean http) {
    if (set.getRulesCount() == 0) {
      error(path + ".rules", "at least one rule is required");
    }
    return permissions(set.getRulesList(), path + ".rules", http);
  }

  private RbacPermission permission(Permission p, String path, boolean http) {
    return switch (p.getRuleCase()) {
      case ANY -> {
        if (!p.getAny()) {
          error(path + ".any", "false (expected: true)");
        }
        yield new RbacPermission.Any();
      }
      case AND_RULES -> new RbacPermission.And(permissionSet(p.getAndRules(), path + ".and_rules", http));
      case OR_RULES -> new RbacPermission.Or(permissionSet(p.getOrRules(), path + ".or_rules", http));
      case NOT_RULE -> {
        RbacPermission inner = permission(p.getNotRule(), path + ".not_rule", http);
        yield inner == null ? null : new RbacPermission.Not(inner);
      }
      case HEADER -> {
        HeaderMatcher m = httpOnly(http, path + ".header") ? headerMatcher(p.getHeader(), path + ".header") : null;
        yield m == null ? null : new RbacPermission.Header(m);
      }
      case URL_PATH -> {
        if (!httpOnly(http, path + ".url_path")) {
          yield null;
        }
        if (!p.getUrlPath().hasPath()) {
          error(path + ".url_path.path", "a path matcher is required");
          yield null;
        }
        dev.weft.proxy.config.StringMatcher m = stringMatch(p.getUrlPath().getPath(), path + ".url_path.path");
        yield m == null ? null : new RbacPermission.UrlPath(m);
      }
      case DESTINATION_PORT -> {
        int port = p.getDestinationPort();
        if (port < 1 || port > 65535) {
          error(path + ".destination_port", port + " (expected: 1 to 65535)");
        }
        yield new RbacPermission.DestinationPort(port);
      }
      default -> {
        error(path, "a rule is required: any, and_rules, or_rules, not_rule, header, url_path or destination_port");
        yield null;
      }
    };
  }

  private List<RbacPrincipal> principals(List<Principal> list, String path, boolean http) {
    List<RbacPrincipal> out = new ArrayList<>();
    for (int i = 0; i < list.size(); i++) {
      RbacPrincipal p = principal(list.get(i), path + "[" + i + "]", http);
      if (p != null) {
        out.add(p);
      }
    }
    return out;
  }

  private List<RbacPrincipal> principalSet(Principal.Set set, String path, boolean http) {
    if (set.getIdsCount() == 0) {
      error(path + ".ids", "at least one id is required");
    }
    return principals(set.getIdsList(), path + ".ids", http);
  }

  private RbacPrincipal principal(Principal p, String path, boolean http) {
    return switch (p.getIdentifierCase()) {
      case ANY -> {
        if (!p.getAny()) {
          error(path + ".any", "false (expected: true)");
        }
        yield new RbacPrincipal.Any();
      }
      case AND_IDS -> new RbacPrincipal.And(principalSet(p.getAndIds(), path + ".and_ids", http));
      case OR_IDS -> new RbacPrincipal.Or(principalSet(p.getOrIds(), path + ".or_ids", http));
      case NOT_ID -> {
        RbacPrincipal inner = principal(p.getNotId(), path + ".not_id", http);
        yield inner == null ? null : new RbacPrincipal.Not(inner);
      }
      case AUTHENTICATED -> {
        var a = p.getAuthenticated();
        if (!a.hasPrincipalName()) {
          yield new RbacPrincipal.Authenticated(null);
        }
        dev.weft.proxy.config.StringMatcher m =
            stringMatch(a.getPrincipalName(), path + ".authenticated.principal_name");
        yield m == null ? null : new RbacPrincipal.Authenticated(m);
      }
      case HEADER -> {
        HeaderMatcher m = httpOnly(http, path + ".header") ? headerMatcher(p.getHeader(), path + ".header") : null;
        yield m == null ? null : new RbacPrincipal.Header(m);
      }
      default -> {
        error(path, "an identifier is required: any, and_ids, or_ids, not_id, authenticated or header");
        yield null;
      }
    };
  }

  /** Whether an HTTP-only rule is allowed here; adds an error in a network RBAC filter. */
  private boolean httpOnly(boolean http, String path) {
    if (!http) {
      error(path, "only available in the HTTP RBAC filter (envoy.filters.http.rbac); a network RBAC filter "
          + "sees no request");
    }
    return http;
  }

  private dev.weft.proxy.config.StringMatcher stringMatch(StringMatcher s, String path) {
    boolean ic = s.getIgnoreCase();
    return switch (s.getMatchPatternCase()) {
      case EXACT -> dev.weft.proxy.config.StringMatcher.exact(s.getExact(), ic);
      case PREFIX -> nonEmpty(s.getPrefix(), path + ".prefix")
          ? dev.weft.proxy.config.StringMatcher.prefix(s.getPrefix(), ic) : null;
      case SUFFIX -> nonEmpty(s.getSuffix(), path + ".suffix")
          ? dev.weft.proxy.config.StringMatcher.suffix(s.getSuffix(), ic) : null;
      case CONTAINS -> nonEmpty(s.getContains(), path + ".contains")
          ? dev.weft.proxy.config.StringMatcher.contains(s.getContains(), ic) : null;
      case SAFE_REGEX -> {
        if (ic) {
          error(path + ".ignore_case", "ignore_case has no effect on safe_regex (use (?i) in the pattern)");
        }
        Pattern p = regex(s.getSafeRegex().getRegex(), path + ".safe_regex.regex");
        yield p == null ? null : dev.weft.proxy.config.StringMatcher.regex(p);
      }
      default -> {
        error(path, "a match pattern is required: exact, prefix, suffix, contains or safe_regex");
        yield null;
      }
    };
  }

  private boolean nonEmpty(String v, String path) {
    if (v.isEmpty()) {
      error(path, "'' (expected: a non-empty string)");
    }
    return !v.isEmpty();
  }

  // ---- routes

  private RouteTable routeTable(RouteConfiguration rc, String path, Map<String, ClusterConfig> clusters) {
    List<VirtualHost> hosts = new ArrayList<>();
    Set<String> domains = new HashSet<>();
    for (int i = 0; i < rc.getVirtualHostsCount(); i++) {
      var vh = rc.getVirtualHosts(i);
      String vp = path + ".virtual_hosts[" + i + "]";
      if (vh.getDomainsCount() == 0) {
        error(vp + ".domains", "a virtual host needs at least one domain");
      }
      for (int d = 0; d < vh.getDomainsCount(); d++) {
        String domain = vh.getDomains(d).toLowerCase(Locale.ROOT);
        if (!domains.add(domain)) {
          error(vp + ".domains[" + d + "]", "domain '" + domain + "' is used by another virtual host");
        }
        if (domain.length() > 1 && domain.indexOf('*', 1) >= 0 && domain.indexOf('*') != domain.length() - 1) {
          error(vp + ".domains[" + d + "]", "'" + domain + "' (expected: a wildcard only at the start or end)");
        }
      }
      List<Route> routes = new ArrayList<>();
      int vhLimit = vh.hasPerRequestBufferLimitBytes() ? vh.getPerRequestBufferLimitBytes().getValue()
          : listenerBufferLimit;
      HostDefaults defaults = new HostDefaults(vh.hasRetryPolicy() ? vh.getRetryPolicy() : null,
          vp + ".retry_policy", vhLimit, vh.getIncludeRequestAttemptCount());
      for (int r = 0; r < vh.getRoutesCount(); r++) {
        Route route = route(vh.getRoutes(r), vp + ".routes[" + r + "]", clusters, defaults);
        if (route != null) {
          routes.add(route);
        }
      }
      hosts.add(new VirtualHost(vh.getName(), vh.getDomainsList(), routes,
          mutation(vh.getRequestHeadersToRemoveList(), vh.getRequestHeadersToAddList(), vp, "request"),
          mutation(vh.getResponseHeadersToRemoveList(), vh.getResponseHeadersToAddList(), vp, "response"),
          faultOverrides(vh.getTypedPerFilterConfigMap(), vp + ".typed_per_filter_config")));
    }
    return new RouteTable(rc.getName(), hosts,
        mutation(rc.getRequestHeadersToRemoveList(), rc.getRequestHeadersToAddList(), path, "request"),
        mutation(rc.getResponseHeadersToRemoveList(), rc.getResponseHeadersToAddList(), path, "response"),
        rc.getIgnorePortInHostMatching());
  }

  /** What a virtual host passes to its routes: its retry policy, replay buffer limit and attempt-count header. */
  private record HostDefaults(io.envoyproxy.envoy.config.route.v3.RetryPolicy retryPolicy, String retryPath,
      int bufferLimit, boolean includeAttemptCount) {}

  private Route route(io.envoyproxy.envoy.config.route.v3.Route r, String path, Map<String, ClusterConfig> clusters,
      HostDefaults defaults) {
    RouteMatch match = routeMatch(r.getMatch(), path + ".match");
    RouteAction action;
    if (r.hasRoute()) {
      int limit = r.hasPerRequestBufferLimitBytes() ? r.getPerRequestBufferLimitBytes().getValue()
          : defaults.bufferLimit();
      action = forward(r.getRoute(), path + ".route", clusters, defaults, limit);
    } else if (r.hasDirectResponse()) {
      var d = r.getDirectResponse();
      if (d.getStatus() < 200 || d.getStatus() > 599) {
        error(path + ".direct_response.status", d.getStatus() + " (expected: 200 to 599)");
      }
      if (d.getBody().hasFilename()) {
        error(path + ".direct_response.body.filename", "give the body inline (inline_string or inline_bytes)");
      }
      byte[] body = d.getBody().hasInlineBytes() ? d.getBody().getInlineBytes().toByteArray()
          : d.getBody().getInlineString().getBytes(StandardCharsets.UTF_8);
      action = new RouteAction.DirectResponse(d.getStatus(), body);
    } else {
      error(path, "a route needs an action: route or direct_response");
      return null;
    }
    if (match == null || action == null) {
      return null;
    }
    return new Route(r.getName(), match, action,
        mutation(r.getRequestHeadersToRemoveList(), r.getRequestHeadersToAddList(), path, "request"),
        mutation(r.getResponseHeadersToRemoveList(), r.getResponseHeadersToAddList(), path, "response"),
        faultOverrides(r.getTypedPerFilterConfigMap(), path + ".typed_per_filter_config"));
  }

  private RouteMatch routeMatch(io.envoyproxy.envoy.config.route.v3.RouteMatch m, String path) {
    boolean caseSensitive = !m.hasCaseSensitive() || m.getCaseSensitive().getValue();
    RouteMatch.PathMatch pm = switch (m.getPathSpecifierCase()) {
      case PREFIX -> new RouteMatch.PathMatch.Prefix(m.getPrefix(), caseSensitive);
      case PATH -> new RouteMatch.PathMatch.Exact(m.getPath(), caseSensitive);
      case PATH_SEPARATED_PREFIX -> {
        String p = m.getPathSeparatedPrefix();
        if (!p.startsWith("/") || p.endsWith("/") || p.contains("?") || p.contains("#")) {
          error(path + ".path_separated_prefix", "'" + p + "' (expected: starts with '/', does not end with '/', "
              + "no query or fragment)");
        }
        yield new RouteMatch.PathMatch.SeparatedPrefix(p);
      }
      case SAFE_REGEX -> {
        Pattern p = regex(m.getSafeRegex().getRegex(), path + ".safe_regex.regex");
        yield p == null ? null : new RouteMatch.PathMatch.Regex(p);
      }
      default -> {
        error(path, "a path match is required: prefix, path, safe_regex or path_separated_prefix");
        yield null;
      }
    };
    List<HeaderMatcher> headers = new ArrayList<>();
    for (int i = 0; i < m.getHeadersCount(); i++) {
      HeaderMatcher h = headerMatcher(m.getHeaders(i), path + ".headers[" + i + "]");
      if (h != null) {
        headers.add(h);
      }
    }
    return pm == null ? null : new RouteMatch(pm, headers, m.hasGrpc());
  }

  private HeaderMatcher headerMatcher(io.envoyproxy.envoy.config.route.v3.HeaderMatcher h, String path) {
    String name = h.getName().toLowerCase(Locale.ROOT);
    if (name.isEmpty()) {
      error(path + ".name", "a header name is required");
      return null;
    }
    boolean invert = h.getInvertMatch();
    return switch (h.getHeaderMatchSpecifierCase()) {
      case EXACT_MATCH -> new HeaderMatcher(name, HeaderMatcher.Kind.EXACT, h.getExactMatch(), null, false, invert);
      case PREFIX_MATCH -> new HeaderMatcher(name, HeaderMatcher.Kind.PREFIX, h.getPrefixMatch(), null, false, invert);
      case SUFFIX_MATCH -> new HeaderMatcher(name, HeaderMatcher.Kind.SUFFIX, h.getSuffixMatch(), null, false, invert);
      case CONTAINS_MATCH ->
          new HeaderMatcher(name, HeaderMatcher.Kind.CONTAINS, h.getContainsMatch(), null, false, invert);
      case SAFE_REGEX_MATCH -> {
        Pattern p = regex(h.getSafeRegexMatch().getRegex(), path + ".safe_regex_match.regex");
        yield p == null ? null : new HeaderMatcher(name, HeaderMatcher.Kind.REGEX, null, p, false, invert);
      }
      case PRESENT_MATCH -> new HeaderMatcher(name,
          h.getPresentMatch() ? HeaderMatcher.Kind.PRESENT : HeaderMatcher.Kind.ABSENT, null, null, false, invert);
      case STRING_MATCH -> stringMatcher(name, h.getStringMatch(), path + ".string_match", invert);
      default -> new HeaderMatcher(name, HeaderMatcher.Kind.PRESENT, null, null, false, invert);
    };
  }

  private HeaderMatcher stringMatcher(String name, StringMatcher s, String path, boolean invert) {
    boolean ic = s.getIgnoreCase();
    return switch (s.getMatchPatternCase()) {
      case EXACT -> new HeaderMatcher(name, HeaderMatcher.Kind.EXACT, s.getExact(), null, ic, invert);
      case PREFIX -> new HeaderMatcher(name, HeaderMatcher.Kind.PREFIX, s.getPrefix(), null, ic, invert);
      case SUFFIX -> new HeaderMatcher(name, HeaderMatcher.Kind.SUFFIX, s.getSuffix(), null, ic, invert);
      case CONTAINS -> new HeaderMatcher(name, HeaderMatcher.Kind.CONTAINS, s.getContains(), null, ic, invert);
      case SAFE_REGEX -> {
        if (ic) {
          error(path + ".ignore_case", "ignore_case has no effect on safe_regex (use (?i) in the pattern)");
        }
        Pattern p = regex(s.getSafeRegex().getRegex(), path + ".safe_regex.regex");
        yield p == null ? null : new HeaderMatcher(name, HeaderMatcher.Kind.REGEX, null, p, false, invert);
      }
      default -> {
        error(path, "a match pattern is required: exact, prefix, suffix, contains or safe_regex");
        yield null;
      }
    };
  }

  private Pattern regex(String regex, String path) {
    try {
      return Pattern.compile(regex);
    } catch (PatternSyntaxException e) {
      error(path, "'" + regex + "' is not a valid RE2 regex: " + e.getDescription());
      return null;
    }
  }

  private RouteAction forward(io.envoyproxy.envoy.config.route.v3.RouteAction a, String path,
      Map<String, ClusterConfig> clusters, HostDefaults defaults, int bufferLimit) {
    List<RouteAction.WeightedTarget> targets = new ArrayList<>();
    int total = 0;
    switch (a.getClusterSpecifierCase()) {
      case CLUSTER -> {
        checkClusterRef(a.getCluster(), path + ".cluster", clusters, a);
        targets.add(new RouteAction.WeightedTarget(a.getCluster(), 1, HeaderMutation.NONE, HeaderMutation.NONE));
        total = 1;
      }
      case WEIGHTED_CLUSTERS -> {
        WeightedCluster wc = a.getWeightedClusters();
        for (int i = 0; i < wc.getClustersCount(); i++) {
          var cw = wc.getClusters(i);
          String cp = path + ".weighted_clusters.clusters[" + i + "]";
          checkClusterRef(cw.getName(), cp + ".name", clusters, a);
          int w = cw.hasWeight() ? cw.getWeight().getValue() : 0;
          if (w < 0) {
            error(cp + ".weight", w + " (expected: >= 0)");
          }
          total += w;
          if (w > 0) {
            targets.add(new RouteAction.WeightedTarget(cw.getName(), w,
                mutation(cw.getRequestHeadersToRemoveList(), cw.getRequestHeadersToAddList(), cp, "request"),
                mutation(cw.getResponseHeadersToRemoveList(), cw.getResponseHeadersToAddList(), cp, "response")));
          }
        }
        if (total <= 0) {
          error(path + ".weighted_clusters", "the weights add up to " + total + " (expected: > 0)");
        }
        if (wc.hasTotalWeight() && wc.getTotalWeight().getValue() != total) {
          error(path + ".weighted_clusters.total_weight", wc.getTotalWeight().getValue()
              + " (expected: the sum of the weights, " + total + ")");
        }
      }
      default -> {
        error(path, "a cluster or weighted_clusters is required");
        return null;
      }
    }
    Duration timeout = a.hasTimeout() ? duration(a.getTimeout()) : DEFAULT_ROUTE_TIMEOUT;
    Duration grpcMax = a.hasMaxStreamDuration() && a.getMaxStreamDuration().hasGrpcTimeoutHeaderMax()
        ? duration(a.getMaxStreamDuration().getGrpcTimeoutHeaderMax()) : null;
    var msd = a.getMaxStreamDuration();
    Duration grpcOffset = msd.hasGrpcTimeoutHeaderOffset() ? duration(msd.getGrpcTimeoutHeaderOffset()) : Duration.ZERO;
    // null: the HCM's value applies (route idle_timeout / max_stream_duration not set).
    Duration idle = a.hasIdleTimeout() ? duration(a.getIdleTimeout()) : null;
    Duration maxDuration = msd.hasMaxStreamDuration() ? duration(msd.getMaxStreamDuration()) : null;
    RetryPolicy retry = RetryPolicy.NONE;
    if (a.hasRetryPolicy()) {
      retry = retryPolicy(a.getRetryPolicy(), path + ".retry_policy", bufferLimit);
    } else if (defaults.retryPolicy() != null) {
      retry = retryPolicy(defaults.retryPolicy(), defaults.retryPath(), bufferLimit);
    }
    int notFound = switch (a.getClusterNotFoundResponseCode()) {
      case NOT_FOUND -> 404;
      case INTERNAL_SERVER_ERROR -> 500;
      default -> 503;
    };
    return new RouteAction.Forward(targets, total, timeout, grpcMax,
        a.getHostRewriteLiteral().isEmpty() ? null : a.getHostRewriteLiteral(),
        a.getPrefixRewrite().isEmpty() ? null : a.getPrefixRewrite(), notFound,
        retry, idle, maxDuration, grpcOffset, defaults.includeAttemptCount(), hashPolicies(a, path));
  }

  // ---- retries and faults

  private RetryPolicy retryPolicy(io.envoyproxy.envoy.config.route.v3.RetryPolicy p, String path, int bufferLimit) {
    int retryOn = 0;
    for (String name : p.getRetryOn().split(",")) {
      if (name.isBlank()) {
        continue;
      }
      RetryPolicy.Condition c = RetryPolicy.Condition.of(name);
      if (c == null) {
        StringBuilder known = new StringBuilder();
        for (RetryPolicy.Condition k : RetryPolicy.Condition.values()) {
          known.append(known.isEmpty() ? "" : ", ").append(k.envoyName());
        }
        error(path + ".retry_on", "'" + name.trim() + "' is not a retry condition Weft supports (supported: "
            + known + ")");
        continue;
      }
      retryOn |= c.bit();
    }
    int numRetries = p.hasNumRetries() ? p.getNumRetries().getValue() : 1;
    if (numRetries < 0) {
      error(path + ".num_retries", numRetries + " (expected: >= 0)");
    }
    Duration perTry = p.hasPerTryTimeout() ? duration(p.getPerTryTimeout()) : Duration.ZERO;
    if (perTry.isNegative()) {
      error(path + ".per_try_timeout", perTry + " (expected: >= 0)");
    }
    Duration base = RetryPolicy.DEFAULT_BASE_INTERVAL;
    Duration max = null;
    if (p.hasRetryBackOff()) {
      var b = p.getRetryBackOff();
      if (!b.hasBaseInterval()) {
        error(path + ".retry_back_off.base_interval", "a base_interval is required");
      } else {
        base = duration(b.getBaseInterval());
        if (base.compareTo(Duration.ofMillis(1)) < 0) {
          error(path + ".retry_back_off.base_interval", base + " (expected: >= 1ms)");
        }
      }
      if (b.hasMaxInterval()) {
        max = duration(b.getMaxInterval());
        if (max.compareTo(base) < 0) {
          error(path + ".retry_back_off.max_interval", max + " (expected: >= base_interval " + base + ")");
        }
      }
    }
    if (max == null) {
      max = base.multipliedBy(10);
    }
    Set<Integer> codes = new HashSet<>();
    for (int i = 0; i < p.getRetriableStatusCodesCount(); i++) {
      int code = p.getRetriableStatusCodes(i);
      if (code < 100 || code > 599) {
        error(path + ".retriable_status_codes[" + i + "]", code + " (expected: 100 to 599)");
      }
      codes.add(code);
    }
    boolean previousHosts = false;
    for (int i = 0; i < p.getRetryHostPredicateCount(); i++) {
      var hp = p.getRetryHostPredicate(i);
      String hpPath = path + ".retry_host_predicate[" + i + "]";
      if (PREVIOUS_HOSTS.equals(typeName(hp.getTypedConfig()))
          || !hp.hasTypedConfig() && hp.getName().equals("envoy.retry_host_predicates.previous_hosts")) {
        previousHosts = true;
      } else {
        error(hpPath, "retry host predicate '" + hp.getName()
            + "' is not supported (supported: envoy.retry_host_predicates.previous_hosts)");
      }
    }
    long selection = p.getHostSelectionRetryMaxAttempts();
    if (selection < 0) {
      error(path + ".host_selection_retry_max_attempts", selection + " (expected: >= 0)");
    }
    return new RetryPolicy(retryOn, codes, Math.max(0, numRetries), perTry, base, max, previousHosts,
        (int) Math.min(Integer.MAX_VALUE, selection == 0 ? 1 : Math.max(0, selection)), bufferLimit);
  }

  private FaultConfig fault(HTTPFault f, String name,
      String path) {
    Duration delay = null;
    FractionalPercent delayPercent = FractionalPercent.NEVER;
    if (f.hasDelay()) {
      var d = f.getDelay();
      if (!d.hasFixedDelay()) {
        error(path + ".delay", "a fixed_delay is required");
      } else {
        delay = duration(d.getFixedDelay());
        if (delay.isNegative()) {
          error(path + ".delay.fixed_delay", delay + " (expected: >= 0)");
        }
      }
      delayPercent = percent(d.getPercentage(), path + ".delay.percentage");
    }
    int httpStatus = 0;
    int grpcStatus = -1;
    FractionalPercent abortPercent = FractionalPercent.NEVER;
    if (f.hasAbort()) {
      var a = f.getAbort();
      switch (a.getErrorTypeCase()) {
        case HTTP_STATUS -> {
          httpStatus = a.getHttpStatus();
          if (httpStatus < 200 || httpStatus > 599) {
            error(path + ".abort.http_status", httpStatus + " (expected: 200 to 599)");
          }
        }
        case GRPC_STATUS -> {
          grpcStatus = a.getGrpcStatus();
          if (grpcStatus > 16) {
            error(path + ".abort.grpc_status", grpcStatus + " (expected: a gRPC status code, 0 to 16)");
          }
        }
        default -> error(path + ".abort", "http_status or grpc_status is required");
      }
      abortPercent = percent(a.getPercentage(), path + ".abort.percentage");
    }
    List<HeaderMatcher> headers = new ArrayList<>();
    for (int i = 0; i < f.getHeadersCount(); i++) {
      HeaderMatcher h = headerMatcher(f.getHeaders(i), path + ".headers[" + i + "]");
      if (h != null) {
        headers.add(h);
      }
    }
    int maxActive = f.hasMaxActiveFaults() ? (int) Math.min(Integer.MAX_VALUE, f.getMaxActiveFaults().getValue() & 0xffffffffL)
        : Integer.MAX_VALUE;
    return new FaultConfig(name, delay, delayPercent, httpStatus, grpcStatus, abortPercent, headers, maxActive);
  }

  private FractionalPercent percent(io.envoyproxy.envoy.type.v3.FractionalPercent p, String path) {
    long denominator = switch (p.getDenominator()) {
      case HUNDRED -> 100;
      case TEN_THOUSAND -> 10_000;
      case MILLION -> 1_000_000;
      default -> {
        error(path + ".denominator", p.getDenominator() + " (expected: HUNDRED, TEN_THOUSAND or MILLION)");
        yield 100;
      }
    };
    return new FractionalPercent(Math.min(p.getNumerator() & 0xffffffffL, denominator), denominator);
  }

  /** {@code typed_per_filter_config}: fault filter overrides, keyed by the name of a fault filter of this HCM. */
  private Map<String, FaultConfig> faultOverrides(Map<String, Any> configs, String path) {
    if (configs.isEmpty()) {
      return Map.of();
    }
    Map<String, FaultConfig> out = new LinkedHashMap<>();
    for (Map.Entry<String, Any> e : configs.entrySet()) {
      String p = path + "[" + e.getKey() + "]";
      if (!HTTP_FAULT.equals(typeName(e.getValue()))) {
        error(p, "'" + typeName(e.getValue()) + "' (expected: " + HTTP_FAULT + ")");
      } else if (faultFilterNames != null && !faultFilterNames.contains(e.getKey())) {
        error(p, "no fault filter named '" + e.getKey() + "' in this connection manager's http_filters");
      } else {
        out.put(e.getKey(), fault(unpack(e.getValue(),
            HTTPFault.getDefaultInstance(), p), e.getKey(), p));
      }
    }
    return out;
  }

  /** A route's {@code hash_policy} list (header, cookie, connection_properties.source_ip). */
  private List<HashPolicy> hashPolicies(io.envoyproxy.envoy.config.route.v3.RouteAction a, String path) {
    List<HashPolicy> policies = new ArrayList<>();
    for (int i = 0; i < a.getHashPolicyCount(); i++) {
      var h = a.getHashPolicy(i);
      String hp = path + ".hash_policy[" + i + "]";
      switch (h.getPolicySpecifierCase()) {
        case HEADER -> {
          String name = h.getHeader().getHeaderName().toLowerCase(Locale.ROOT);
          if (name.isEmpty()) {
            error(hp + ".header.header_name", "a header name is required");
          }
          policies.add(new HashPolicy.Header(name, h.getTerminal()));
        }
        case COOKIE -> {
          var c = h.getCookie();
          if (c.getName().isEmpty() || !c.getName().chars().allMatch(ch -> ch > 0x20 && ch < 0x7f
              && "()<>@,;:\\\"/[]?={}".indexOf(ch) < 0)) {
            error(hp + ".cookie.name", "'" + c.getName() + "' (expected: a cookie name, RFC 6265 token)");
          }
          Duration ttl = c.hasTtl() ? duration(c.getTtl()) : null;
          if (ttl != null && ttl.isNegative()) {
            error(hp + ".cookie.ttl", ttl + " (expected: >= 0)");
          }
          if (c.getPath().chars().anyMatch(ch -> ch < 0x20 || ch == ';' || ch == 0x7f)) {
            error(hp + ".cookie.path", "'" + c.getPath() + "' (expected: no ';' or control characters)");
          }
          policies.add(new HashPolicy.Cookie(c.getName(), c.getPath(), ttl, h.getTerminal()));
        }
        case CONNECTION_PROPERTIES -> {
          if (h.getConnectionProperties().getSourceIp()) {
            policies.add(new HashPolicy.SourceIp(h.getTerminal()));
          }
        }
        default -> error(hp, "a header, cookie or connection_properties policy is required");
      }
    }
    return policies;
  }

  private void checkClusterRef(String name, String path, Map<String, ClusterConfig> clusters,
      io.envoyproxy.envoy.config.route.v3.RouteAction a) {
    if (name.isEmpty()) {
      error(path, "a cluster name is required");
    } else if (clusters != null && !clusters.containsKey(name)) {
      // Envoy's validate_clusters defaults to true for static route configurations.
      error(path, "unknown cluster '" + name + "'");
    }
  }

  private HeaderMutation mutation(List<String> remove, List<HeaderValueOption> add, String path, String kind) {
    if (remove.isEmpty() && add.isEmpty()) {
      return HeaderMutation.NONE;
    }
    List<String> removes = new ArrayList<>();
    for (int i = 0; i < remove.size(); i++) {
      String name = remove.get(i).toLowerCase(Locale.ROOT);
      if (name.startsWith(":") || name.equals("host")) {
        error(path + "." + kind + "_headers_to_remove[" + i + "]", "'" + name + "' cannot be removed");
      }
      removes.add(name);
    }
    List<HeaderMutation.HeaderAdd> adds = new ArrayList<>();
    for (int i = 0; i < add.size(); i++) {
      HeaderValueOption o = add.get(i);
      String p = path + "." + kind + "_headers_to_add[" + i + "]";
      String name = o.getHeader().getKey().toLowerCase(Locale.ROOT);
      if (name.isEmpty() || name.startsWith(":") || name.equals("host")) {
        error(p + ".header.key", "'" + name + "' (expected: a header name other than pseudo-headers and host)");
        continue;
      }
      if (o.hasAppend() && o.getAppendAction() != HeaderValueOption.HeaderAppendAction.APPEND_IF_EXISTS_OR_ADD) {
        error(p, "append and append_action are both set; use append_action");
      }
      HeaderMutation.Action action = switch (o.getAppendAction()) {
        case ADD_IF_ABSENT -> HeaderMutation.Action.ADD_IF_ABSENT;
        case OVERWRITE_IF_EXISTS_OR_ADD -> HeaderMutation.Action.OVERWRITE_IF_EXISTS_OR_ADD;
        case OVERWRITE_IF_EXISTS -> HeaderMutation.Action.OVERWRITE_IF_EXISTS;
        default -> o.hasAppend() && !o.getAppend().getValue()
            ? HeaderMutation.Action.OVERWRITE_IF_EXISTS_OR_ADD : HeaderMutation.Action.APPEND_IF_EXISTS_OR_ADD;
      };
      if (o.getHeader().getValue().isEmpty() && !o.getKeepEmptyValue()) {
        continue; // Envoy drops empty values unless keep_empty_value is set.
      }
      adds.add(new HeaderMutation.HeaderAdd(name, o.getHeader().getValue(), action));
    }
    return new HeaderMutation(removes, adds);
  }

  // ---- clusters

  private ClusterConfig cluster(Cluster c, String path) {
    if (c.getName().isEmpty()) {
      error(path + ".name", "a cluster needs a name");
      return null;
    }
    if (c.getClusterDiscoveryTypeCase() == Cluster.ClusterDiscoveryTypeCase.CLUSTER_TYPE) {
      error(path + ".cluster_type", "custom cluster types are not supported");
    } else if (c.getType() == Cluster.DiscoveryType.EDS) {
      edsConfig(c, path);
    } else if (c.getType() != Cluster.DiscoveryType.STATIC) {
      error(path + ".type", c.getType() + " (expected: STATIC, or EDS over ADS)");
    }
    String lb = c.getLbPolicy().name();
    if (dev.weft.proxy.lb.LoadBalancerRegistry.getDefault().provider(lb) == null) {
      error(path + ".lb_policy", lb + " (expected: one of "
          + dev.weft.proxy.lb.LoadBalancerRegistry.getDefault().policies() + ")");
      lb = "ROUND_ROBIN";
    }
    var la = c.getLoadAssignment();
    String expectedName = c.getType() == Cluster.DiscoveryType.EDS ? edsServiceName(c) : c.getName();
    if (!la.getClusterName().isEmpty() && !la.getClusterName().equals(expectedName)) {
      error(path + ".load_assignment.cluster_name", "'" + la.getClusterName() + "' (expected: '" + expectedName + "')");
    }
    LoadAssignment assignment = loadAssignment(la, path + ".load_assignment");
    List<EndpointConfig> endpoints = assignment.endpoints();
    LbConfig lbConfig = lbConfig(c, path).withOverprovisioningFactor(assignment.overprovisioningFactor());
    Duration connectTimeout = c.hasConnectTimeout() ? duration(c.getConnectTimeout()) : DEFAULT_CONNECT_TIMEOUT;
    if (connectTimeout.isZero() || connectTimeout.isNegative()) {
      error(path + ".connect_timeout", connectTimeout + " (expected: > 0)");
    }

    ClusterConfig.UpstreamProtocol protocol = ClusterConfig.UpstreamProtocol.HTTP1;
    Http2ProtocolOptions h2 = Http2ProtocolOptions.getDefaultInstance();
    io.envoyproxy.envoy.config.core.v3.HttpProtocolOptions common = c.getCommonHttpProtocolOptions();
    if (c.hasHttp2ProtocolOptions()) {
      protocol = ClusterConfig.UpstreamProtocol.HTTP2;
      h2 = c.getHttp2ProtocolOptions();
    }
    for (Map.Entry<String, Any> e : c.getTypedExtensionProtocolOptionsMap().entrySet()) {
      String ep = path + ".typed_extension_protocol_options[" + e.getKey() + "]";
      if (!UPSTREAM_HTTP_OPTIONS.equals(typeName(e.getValue()))) {
        error(ep, "'" + typeName(e.getValue()) + "' (expected: " + UPSTREAM_HTTP_OPTIONS + ")");
        continue;
      }
      HttpProtocolOptions o = unpack(e.getValue(), HttpProtocolOptions.getDefaultInstance(), ep);
      if (o.hasCommonHttpProtocolOptions()) {
        common = o.getCommonHttpProtocolOptions();
      }
      if (o.hasExplicitHttpConfig() && o.getExplicitHttpConfig().hasHttp2ProtocolOptions()) {
        protocol = ClusterConfig.UpstreamProtocol.HTTP2;
        h2 = o.getExplicitHttpConfig().getHttp2ProtocolOptions();
      } else if (o.hasUseDownstreamProtocolConfig()) {
        protocol = ClusterConfig.UpstreamProtocol.DOWNSTREAM;
        h2 = o.getUseDownstreamProtocolConfig().getHttp2ProtocolOptions();
      } else if (o.hasExplicitHttpConfig()) {
        protocol = ClusterConfig.UpstreamProtocol.HTTP1;
      } else {
        error(ep, "explicit_http_config or use_downstream_protocol_config is required");
      }
    }
    int maxRequests = c.hasMaxRequestsPerConnection() ? c.getMaxRequestsPerConnection().getValue() : 0;
    if (common.hasMaxRequestsPerConnection()) {
      maxRequests = common.getMaxRequestsPerConnection().getValue();
    }
    if (common.hasMaxHeadersCount()) {
      error(path + ".common_http_protocol_options.max_headers_count", "not supported on upstream connections");
    }
    if (common.hasMaxStreamDuration()) {
      error(path + ".common_http_protocol_options.max_stream_duration",
          "not supported on upstream connections (use the route's max_stream_duration)");
    }
    int limit = c.hasPerConnectionBufferLimitBytes() ? c.getPerConnectionBufferLimitBytes().getValue()
        : DEFAULT_BUFFER_LIMIT;
    dev.weft.proxy.config.TlsConfig clusterTls = c.hasTransportSocket()
        ? tls.upstream(c.getTransportSocket(), path + ".transport_socket") : null;
    ClusterHealthTranslator health = new ClusterHealthTranslator(this::error);
    return new ClusterConfig(c.getName(), endpoints, lb, connectTimeout, protocol,
        common.hasIdleTimeout() ? duration(common.getIdleTimeout()) : DEFAULT_UPSTREAM_IDLE,
        maxRequests, http2(h2, path + ".http2_protocol_options"), limit, clusterTls,
        health.circuitBreakers(c, path), health.outlierDetection(c, path), health.healthCheck(c, path),
        retryBudget(c, path + ".circuit_breakers"), lbConfig);
  }

  /** The retry budget of the DEFAULT priority's thresholds (Weft routes at the default priority only). */
  private RetryBudgetConfig retryBudget(Cluster c, String path) {
    RetryBudgetConfig budget = null;
    for (int i = 0; i < c.getCircuitBreakers().getThresholdsCount(); i++) {
      var t = c.getCircuitBreakers().getThresholds(i);
      if (t.getPriority() != io.envoyproxy.envoy.config.core.v3.RoutingPriority.DEFAULT || !t.hasRetryBudget()) {
        continue;
      }
      var b = t.getRetryBudget();
      String bp = path + ".thresholds[" + i + "].retry_budget";
      double percent = b.hasBudgetPercent() ? b.getBudgetPercent().getValue() : RetryBudgetConfig.DEFAULT_PERCENT;
      if (!(percent >= 0 && percent <= 100)) {
        error(bp + ".budget_percent", percent + " (expected: 0 to 100)");
      }
      int min = b.hasMinRetryConcurrency() ? b.getMinRetryConcurrency().getValue()
          : RetryBudgetConfig.DEFAULT_MIN_CONCURRENCY;
      if (min < 0) {
        error(bp + ".min_retry_concurrency", (min & 0xffffffffL) + " (expected: <= 2147483647)");
      }
      budget = new RetryBudgetConfig(percent, Math.max(0, min));
    }
    return budget;
  }

  /**
   * The endpoints of a {@code load_assignment} or of an EDS {@code ClusterLoadAssignment}: one
   * function for both, so static and dynamic endpoints obey the same rules. Endpoints keep their
   * priority, locality (and its weight), weight and health status; the assignment's
   * {@code policy.overprovisioning_factor} comes along.
   */
  private LoadAssignment loadAssignment(ClusterLoadAssignment la, String path) {
    List<EndpointConfig> endpoints = new ArrayList<>();
    for (int i = 0; i < la.getEndpointsCount(); i++) {
      LocalityLbEndpoints lle = la.getEndpoints(i);
      String lp = path + ".endpoints[" + i + "]";
      EndpointConfig.Locality locality = lle.hasLocality()
          ? new EndpointConfig.Locality(lle.getLocality().getRegion(), lle.getLocality().getZone(),
              lle.getLocality().getSubZone())
          : EndpointConfig.Locality.NONE;
      int localityWeight = lle.hasLoadBalancingWeight() ? lle.getLoadBalancingWeight().getValue() : 0;
      if (lle.hasLoadBalancingWeight() && localityWeight < 1) {
        error(lp + ".load_balancing_weight", localityWeight + " (expected: >= 1)");
      }
      if (lle.getPriority() > 127) {
        error(lp + ".priority", Integer.toUnsignedString(lle.getPriority()) + " (expected: 0 to 127)");
      }
      for (int j = 0; j < lle.getLbEndpointsCount(); j++) {
        LbEndpoint e = lle.getLbEndpoints(j);
        String ep = lp + ".lb_endpoints[" + j + "]";
        if (!e.hasEndpoint() || !e.getEndpoint().hasAddress()) {
          error(ep + ".endpoint.address", "an endpoint address is required");
          continue;
        }
        SocketAddressConfig a = address(e.getEndpoint().getAddress(), ep + ".endpoint.address");
        if (a == null) {
          continue;
        }
        if (!isIpLiteral(a.host())) {
          error(ep + ".endpoint.address.socket_address.address", "'" + a.host()
              + "' (expected: an IP address)");
          continue;
        }
        if (a.port() == 0) {
          error(ep + ".endpoint.address.socket_address.port_value", "0 (expected: 1 to 65535)");
          continue;
        }
        int w = e.hasLoadBalancingWeight() ? e.getLoadBalancingWeight().getValue() : 1;
        if (w < 1) {
          error(ep + ".load_balancing_weight", w + " (expected: >= 1)");
        }
        EndpointConfig.HealthStatus health = switch (e.getHealthStatus()) {
          case HEALTHY -> EndpointConfig.HealthStatus.HEALTHY;
          case UNHEALTHY -> EndpointConfig.HealthStatus.UNHEALTHY;
          case DRAINING -> EndpointConfig.HealthStatus.DRAINING;
          case TIMEOUT -> EndpointConfig.HealthStatus.TIMEOUT;
          case DEGRADED -> EndpointConfig.HealthStatus.DEGRADED;
          default -> EndpointConfig.HealthStatus.UNKNOWN;
        };
        endpoints.add(new EndpointConfig(canonical(a), w, lle.getPriority(), locality, localityWeight, health));
      }
    }
    int factor = LbConfig.DEFAULT_OVERPROVISIONING_FACTOR;
    if (la.hasPolicy() && la.getPolicy().hasOverprovisioningFactor()) {
      factor = la.getPolicy().getOverprovisioningFactor().getValue();
      if (factor < 1) {
        error(path + ".policy.overprovisioning_factor", factor + " (expected: > 0)");
        factor = LbConfig.DEFAULT_OVERPROVISIONING_FACTOR;
      }
    }
    return new LoadAssignment(endpoints, factor);
  }

  /** The cluster's {@code *_lb_config} and {@code common_lb_config}, with Envoy's defaults and limits. */
  private LbConfig lbConfig(Cluster c, String path) {
    LbConfig d = LbConfig.DEFAULT;
    int choiceCount = d.choiceCount();
    double bias = d.activeRequestBias();
    if (c.hasLeastRequestLbConfig()) {
      var lr = c.getLeastRequestLbConfig();
      if (lr.hasChoiceCount()) {
        choiceCount = lr.getChoiceCount().getValue();
        if (choiceCount < 2) {
          error(path + ".least_request_lb_config.choice_count", choiceCount + " (expected: >= 2)");
        }
      }
      if (lr.hasActiveRequestBias()) {
        bias = lr.getActiveRequestBias().getDefaultValue();
        if (!(bias >= 0) || Double.isInfinite(bias)) {
          error(path + ".least_request_lb_config.active_request_bias.default_value", bias + " (expected: >= 0)");
          bias = d.activeRequestBias();
        }
      }
    }
    long minRing = d.minRingSize();
    long maxRing = d.maxRingSize();
    if (c.hasRingHashLbConfig()) {
      var r = c.getRingHashLbConfig();
      String rp = path + ".ring_hash_lb_config";
      if (r.hasMinimumRingSize()) {
        minRing = r.getMinimumRingSize().getValue();
      }
      if (r.hasMaximumRingSize()) {
        maxRing = r.getMaximumRingSize().getValue();
      }
      if (minRing < 1 || minRing > LbConfig.DEFAULT_MAX_RING_SIZE) {
        error(rp + ".minimum_ring_size", Long.toUnsignedString(minRing) + " (expected: 1 to 8388608)");
      }
      if (maxRing < 1 || maxRing > LbConfig.DEFAULT_MAX_RING_SIZE) {
        error(rp + ".maximum_ring_size", Long.toUnsignedString(maxRing) + " (expected: 1 to 8388608)");
      } else if (minRing > maxRing) {
        error(rp + ".minimum_ring_size", minRing + " (expected: <= maximum_ring_size " + maxRing + ")");
      }
      if (r.getHashFunction() != Cluster.RingHashLbConfig.HashFunction.XX_HASH) {
        error(rp + ".hash_function", r.getHashFunction() + " (expected: XX_HASH)");
      }
    }
    int tableSize = d.maglevTableSize();
    if (c.hasMaglevLbConfig() && c.getMaglevLbConfig().hasTableSize()) {
      long t = c.getMaglevLbConfig().getTableSize().getValue();
      if (t < 2 || t > 5000011 || !java.math.BigInteger.valueOf(t).isProbablePrime(30)) {
        error(path + ".maglev_lb_config.table_size", Long.toUnsignedString(t) + " (expected: a prime up to 5000011)");
      } else {
        tableSize = (int) t;
      }
    }
    int panic = d.healthyPanicThreshold();
    boolean localityWeighted = false;
    if (c.hasCommonLbConfig()) {
      var common = c.getCommonLbConfig();
      if (common.hasHealthyPanicThreshold()) {
        double v = common.getHealthyPanicThreshold().getValue();
        if (!(v >= 0 && v <= 100)) {
          error(path + ".common_lb_config.healthy_panic_threshold.value", v + " (expected: 0 to 100)");
        } else {
          panic = (int) Math.round(v);
        }
      }
      localityWeighted = common.hasLocalityWeightedLbConfig();
    }
    return new LbConfig(choiceCount, bias, minRing, maxRing, tableSize, panic, localityWeighted,
        d.overprovisioningFactor());
  }

  private static SocketAddressConfig canonical(SocketAddressConfig a) {
    try {
      return new SocketAddressConfig(InetAddress.ofLiteral(a.host()).getHostAddress(), a.port());
    } catch (IllegalArgumentException e) {
      return a;
    }
  }

  // ---- xDS: dynamic_resources, RDS and EDS references, per-resource translation

  /** The bootstrap's {@code dynamic_resources}: ADS only, naming a static cluster. */
  private AdsConfig dynamicResources(Bootstrap b, Map<String, ClusterConfig> clusters) {
    var d = b.getDynamicResources();
    String path = "dynamic_resources";
    if (!d.hasAdsConfig()) {
      error(path + ".ads_config", "an ads_config is required (Weft gets dynamic resources over ADS only)");
      return null;
    }
    var api = d.getAdsConfig();
    String ap = path + ".ads_config";
    boolean delta = switch (api.getApiType()) {
      case DELTA_GRPC -> true;
      case GRPC -> false;
      default -> {
        error(ap + ".api_type", api.getApiType() + " (expected: DELTA_GRPC or GRPC)");
        yield true;
      }
    };
    if (api.getTransportApiVersion() != io.envoyproxy.envoy.config.core.v3.ApiVersion.V3) {
      error(ap + ".transport_api_version", api.getTransportApiVersion() + " (expected: V3)");
    }
    String cluster = null;
    Duration base = AdsConfig.DEFAULT_RETRY_BASE;
    Duration max = AdsConfig.DEFAULT_RETRY_MAX;
    if (api.getGrpcServicesCount() != 1 || !api.getGrpcServices(0).hasEnvoyGrpc()) {
      error(ap + ".grpc_services", "exactly one grpc_services entry with envoy_grpc is required");
    } else {
      var g = api.getGrpcServices(0).getEnvoyGrpc();
      String gp = ap + ".grpc_services[0].envoy_grpc";
      cluster = g.getClusterName();
      ClusterConfig target = clusters.get(cluster);
      if (cluster.isEmpty() || target == null) {
        error(gp + ".cluster_name", "'" + cluster + "' (expected: the name of a static cluster)");
      } else if (target.endpoints().isEmpty()) {
        error(gp + ".cluster_name", "cluster '" + cluster + "' has no endpoints (expected: the control plane's address)");
      }
      if (g.hasRetryPolicy() && g.getRetryPolicy().hasRetryBackOff()) {
        var back = g.getRetryPolicy().getRetryBackOff();
        String bp = gp + ".retry_policy.retry_back_off";
        base = back.hasBaseInterval() ? duration(back.getBaseInterval()) : base;
        max = back.hasMaxInterval() ? duration(back.getMaxInterval()) : base.multipliedBy(10);
        if (base.isZero() || base.isNegative()) {
          error(bp + ".base_interval", base + " (expected: > 0)");
        }
        if (max.compareTo(base) < 0) {
          error(bp + ".max_interval", max + " (expected: >= base_interval " + base + ")");
        }
      }
    }
    boolean lds = d.hasLdsConfig() && adsSource(d.getLdsConfig(), path + ".lds_config");
    boolean cds = d.hasCdsConfig() && adsSource(d.getCdsConfig(), path + ".cds_config");
    return new AdsConfig(cluster, delta, lds, cds, base, max, b.getNode());
  }

  /** Whether a {@code ConfigSource} is {@code ads: {}}; adds an error when it is anything else. */
  private boolean adsSource(io.envoyproxy.envoy.config.core.v3.ConfigSource source, String path) {
    if (!source.hasAds()) {
      error(path, "only 'ads: {}' is supported (the ADS stream of dynamic_resources.ads_config)");
      return false;
    }
    if (source.getResourceApiVersion() != io.envoyproxy.envoy.config.core.v3.ApiVersion.V3
        && source.getResourceApiVersion() != io.envoyproxy.envoy.config.core.v3.ApiVersion.AUTO) {
      error(path + ".resource_api_version", source.getResourceApiVersion() + " (expected: V3)");
    }
    return true;
  }

  /** HCM {@code rds}: the route configuration's name, over ADS. */
  private String rds(io.envoyproxy.envoy.extensions.filters.network.http_connection_manager.v3.Rds rds, String path) {
    adsSource(rds.getConfigSource(), path + ".config_source");
    if (rds.getRouteConfigName().isEmpty()) {
      error(path + ".route_config_name", "a route_config_name is required");
    }
    return rds.getRouteConfigName();
  }

  private void edsConfig(Cluster c, String path) {
    if (!c.hasEdsClusterConfig()) {
      error(path + ".eds_cluster_config", "an EDS cluster needs eds_cluster_config with eds_config: { ads: {} }");
      return;
    }
    adsSource(c.getEdsClusterConfig().getEdsConfig(), path + ".eds_cluster_config.eds_config");
  }

  /** The name an EDS cluster's endpoints are requested by: its service_name, else its own name. */
  public static String edsServiceName(Cluster c) {
    String s = c.getEdsClusterConfig().getServiceName();
    return s.isEmpty() ? c.getName() : s;
  }

  /** A bootstrap without ADS cannot use RDS or EDS. */
  private void staticOnlyChecks(List<ListenerConfig> listeners, List<Cluster> protoClusters) {
    for (int i = 0; i < protoClusters.size(); i++) {
      if (protoClusters.get(i).getType() == Cluster.DiscoveryType.EDS) {
        error("static_resources.clusters[" + i + "].type", "EDS needs dynamic_resources.ads_config");
      }
    }
    for (ListenerConfig l : listeners) {
      for (FilterChainConfig c : l.filterChains()) {
        if (c.filter() instanceof HttpConnectionManagerConfig h && h.rdsRouteConfigName() != null) {
          error("static_resources.listeners", "listener '" + l.name() + "' uses rds '" + h.rdsRouteConfigName()
              + "', which needs dynamic_resources.ads_config");
        }
      }
    }
  }

  /**
   * One xDS resource's translation: the value when it is valid, else every error found (paths
   * relative to the resource). The same checks as a static bootstrap, including the
   * {@link SupportedFields} allow-list; references to clusters are not checked here (a resource
   * may name a cluster that has not arrived yet: warming waits for it).
   */
  public record Translated<T>(T value, List<ConfigError> errors) {
    public Translated {
      errors = List.copyOf(errors);
    }

    public boolean ok() {
      return errors.isEmpty();
    }

    /** The errors in one line each, for a NACK's {@code error_detail}. */
    public String describe() {
      StringBuilder sb = new StringBuilder();
      for (ConfigError e : errors) {
        String path = e.path().startsWith(".") ? e.path().substring(1) : e.path();
        sb.append(sb.isEmpty() ? "" : "; ").append(path.isEmpty() ? "" : path + ": ").append(e.message());
      }
      return sb.toString();
    }
  }

  private <M extends Message, T> Translated<T> resource(M message, java.util.function.Supplier<T> translate) {
    supported.check(message, "", locations, errors);
    if (!errors.isEmpty()) {
      return new Translated<>(null, errors);
    }
    T value = translate.get();
    return new Translated<>(errors.isEmpty() ? value : null, errors);
  }

  /** A Listener from LDS; an HCM may use {@code rds} over ADS. */
  public static Translated<ListenerConfig> translateListener(Listener l) {
    ConfigTranslator t = new ConfigTranslator(Map.of());
    return t.resource(l, () -> t.listener(l, "", null));
  }

  /** A RouteConfiguration from RDS. */
  public static Translated<RouteTable> translateRouteConfiguration(RouteConfiguration rc) {
    ConfigTranslator t = new ConfigTranslator(Map.of());
    return t.resource(rc, () -> {
      if (rc.getName().isEmpty()) {
        t.error("name", "a route configuration needs a name");
      }
      return t.routeTable(rc, "", null);
    });
  }

  /**
   * A Cluster from CDS. An EDS cluster is translated with {@code endpoints} as its load
   * assignment (exactly as a static {@code load_assignment}); pass {@code null} to validate it
   * before its endpoints have arrived.
   */
  public static Translated<ClusterConfig> translateCluster(Cluster c, ClusterLoadAssignment endpoints) {
    ConfigTranslator t = new ConfigTranslator(Map.of());
    Cluster merged = endpoints == null ? c : c.toBuilder().setLoadAssignment(endpoints).build();
    return t.resource(c, () -> t.cluster(merged, ""));
  }

  /** A ClusterLoadAssignment from EDS, checked on its own (the same rules as a load_assignment). */
  public static Translated<ClusterLoadAssignment> translateLoadAssignment(ClusterLoadAssignment cla) {
    ConfigTranslator t = new ConfigTranslator(Map.of());
    return t.resource(cla, () -> {
      if (cla.getClusterName().isEmpty()) {
        t.error("cluster_name", "a cluster_name is required");
      }
      t.loadAssignment(cla, "");
      return cla;
    });
  }

  // ---- helpers

  private static String typeName(Any any) {
    return any.getTypeUrl().substring(any.getTypeUrl().lastIndexOf('/') + 1);
  }

  private <T extends Message> T unpack(Any any, T prototype, String path) {
    try {
      return Protos.unpack(any, prototype);
    } catch (InvalidProtocolBufferException e) {
      error(path, "cannot decode " + prototype.getClass().getSimpleName() + ": " + e.getMessage());
      return prototype;
    }
  }

  static Duration duration(com.google.protobuf.Duration d) {
    return Duration.ofSeconds(d.getSeconds(), d.getNanos());
  }

}

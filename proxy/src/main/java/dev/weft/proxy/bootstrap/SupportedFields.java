package dev.weft.proxy.bootstrap;

import com.google.protobuf.ByteString;
import com.google.protobuf.Descriptors.Descriptor;
import com.google.protobuf.DynamicMessage;
import com.google.protobuf.Descriptors.FieldDescriptor;
import com.google.protobuf.InvalidProtocolBufferException;
import com.google.protobuf.Message;
import java.util.List;
import java.util.Map;
import java.util.Set;

/**
 * The Envoy fields Weft implements. Any other field that is set is an error naming its path:
 * a field that would change behaviour is never silently ignored. The same check runs on static
 * bootstraps and on resources received over xDS.
 *
 * <p>A message listed with {@code "*"} is accepted whole (well-known value types, and purely
 * informational messages such as {@code Node} and {@code Metadata}). A message that is not
 * listed supports none of its fields.
 */
public final class SupportedFields {

  private static final Set<String> ALL = Set.of("*");

  private static final Map<String, Set<String>> SUPPORTED = Map.ofEntries(
      // Informational or leaf types, accepted whole.
      Map.entry("google.protobuf.Duration", ALL),
      Map.entry("google.protobuf.BoolValue", ALL),
      Map.entry("google.protobuf.UInt32Value", ALL),
      Map.entry("google.protobuf.UInt64Value", ALL),
      Map.entry("google.protobuf.Int32Value", ALL),
      Map.entry("google.protobuf.Int64Value", ALL),
      Map.entry("google.protobuf.DoubleValue", ALL),
      Map.entry("google.protobuf.StringValue", ALL),
      Map.entry("google.protobuf.Struct", ALL),
      Map.entry("envoy.config.core.v3.Node", ALL),
      Map.entry("envoy.config.core.v3.Metadata", ALL),
      Map.entry("envoy.config.core.v3.Locality", ALL),
      Map.entry("envoy.type.v3.Percent", ALL),

      Map.entry("envoy.config.bootstrap.v3.Bootstrap", Set.of("node", "static_resources", "admin",
          "dynamic_resources")),
      // xDS: one ADS stream (dynamic_resources), and RDS/EDS references to it.
      Map.entry("envoy.config.bootstrap.v3.Bootstrap.DynamicResources", Set.of("lds_config", "cds_config",
          "ads_config")),
      Map.entry("envoy.config.core.v3.ConfigSource", Set.of("ads", "resource_api_version")),
      Map.entry("envoy.config.core.v3.AggregatedConfigSource", Set.of()),
      Map.entry("envoy.config.core.v3.ApiConfigSource", Set.of("api_type", "transport_api_version",
          "grpc_services", "set_node_on_first_message_only")),
      Map.entry("envoy.config.core.v3.GrpcService", Set.of("envoy_grpc")),
      Map.entry("envoy.config.core.v3.GrpcService.EnvoyGrpc", Set.of("cluster_name", "retry_policy")),
      Map.entry("envoy.config.core.v3.RetryPolicy", Set.of("retry_back_off")),
      Map.entry("envoy.config.core.v3.BackoffStrategy", Set.of("base_interval", "max_interval")),
      Map.entry("envoy.extensions.filters.network.http_connection_manager.v3.Rds", Set.of("config_source",
          "route_config_name")),
      Map.entry("envoy.config.cluster.v3.Cluster.EdsClusterConfig", Set.of("eds_config", "service_name")),
      Map.entry("envoy.config.bootstrap.v3.Bootstrap.StaticResources", Set.of("listeners", "clusters", "secrets")),
      Map.entry("envoy.config.bootstrap.v3.Admin", Set.of("address")),
      Map.entry("envoy.config.core.v3.Address", Set.of("socket_address")),
      Map.entry("envoy.config.core.v3.SocketAddress", Set.of("address", "port_value", "protocol")),

      Map.entry("envoy.config.listener.v3.Listener", Set.of("name", "address", "filter_chains",
          "default_filter_chain", "listener_filters", "listener_filters_timeout",
          "continue_on_listener_filters_timeout", "per_connection_buffer_limit_bytes", "stat_prefix",
          "traffic_direction", "metadata")),
      Map.entry("envoy.config.listener.v3.ListenerFilter", Set.of("name", "typed_config")),
      Map.entry("envoy.extensions.filters.listener.http_inspector.v3.HttpInspector", Set.of()),
      Map.entry("envoy.config.listener.v3.FilterChain", Set.of("name", "filter_chain_match", "filters", "metadata",
          "transport_socket")),
      Map.entry("envoy.extensions.filters.listener.tls_inspector.v3.TlsInspector", Set.of()),
      Map.entry("envoy.config.core.v3.TransportSocket", Set.of("name", "typed_config")),
      Map.entry("envoy.extensions.transport_sockets.tls.v3.DownstreamTlsContext", Set.of("common_tls_context",
          "require_client_certificate")),
      Map.entry("envoy.extensions.transport_sockets.tls.v3.UpstreamTlsContext", Set.of("common_tls_context", "sni")),
      Map.entry("envoy.extensions.transport_sockets.tls.v3.CommonTlsContext", Set.of("tls_params", "tls_certificates",
          "tls_certificate_sds_secret_configs", "validation_context", "validation_context_sds_secret_config",
          "combined_validation_context", "alpn_protocols")),
      Map.entry("envoy.extensions.transport_sockets.tls.v3.TlsParameters", Set.of("tls_minimum_protocol_version",
          "tls_maximum_protocol_version")),
      Map.entry("envoy.extensions.transport_sockets.tls.v3.TlsCertificate", Set.of("certificate_chain",
          "private_key")),
      Map.entry("envoy.extensions.transport_sockets.tls.v3.CertificateValidationContext", Set.of("trusted_ca",
          "match_typed_subject_alt_names", "match_subject_alt_names")),
      Map.entry("envoy.extensions.transport_sockets.tls.v3.SubjectAltNameMatcher", Set.of("san_type", "matcher")),
      Map.entry("envoy.extensions.transport_sockets.tls.v3.SdsSecretConfig", Set.of("name")),
      Map.entry("envoy.extensions.transport_sockets.tls.v3.CommonTlsContext.CombinedCertificateValidationContext",
          Set.of("default_validation_context", "validation_context_sds_secret_config")),
      Map.entry("envoy.extensions.transport_sockets.tls.v3.Secret", Set.of("name", "tls_certificate",
          "validation_context")),
      Map.entry("envoy.config.listener.v3.FilterChainMatch", Set.of("destination_port", "application_protocols",
          "transport_protocol")),
      Map.entry("envoy.config.listener.v3.Filter", Set.of("name", "typed_config")),

      Map.entry("envoy.extensions.filters.network.tcp_proxy.v3.TcpProxy", Set.of("stat_prefix", "cluster",
          "idle_timeout", "hash_policy")),
      Map.entry("envoy.type.v3.HashPolicy", Set.of("source_ip")),
      Map.entry("envoy.type.v3.HashPolicy.SourceIp", Set.of()),

      Map.entry("envoy.extensions.filters.network.http_connection_manager.v3.HttpConnectionManager",
          Set.of("codec_type", "stat_prefix", "route_config", "rds", "http_filters", "common_http_protocol_options",
              "max_request_headers_kb", "http2_protocol_options", "generate_request_id",
              "preserve_external_request_id", "strip_any_host_port", "upgrade_configs",
              "forward_client_cert_details", "set_current_client_cert_details",
              "normalize_path", "merge_slashes", "path_with_escaped_slashes_action", "stream_idle_timeout")),
      Map.entry("envoy.extensions.filters.network.http_connection_manager.v3.HttpConnectionManager"
          + ".SetCurrentClientCertDetails", Set.of("uri")),
      Map.entry("envoy.extensions.filters.network.http_connection_manager.v3.HttpConnectionManager.UpgradeConfig",
          Set.of("upgrade_type", "enabled")),
      Map.entry("envoy.extensions.filters.network.http_connection_manager.v3.HttpFilter",
          Set.of("name", "typed_config")),
      Map.entry("envoy.extensions.filters.http.router.v3.Router", Set.of()),

      // RBAC: the HTTP and network filters, and the rule subset Weft evaluates.
      Map.entry("envoy.extensions.filters.http.rbac.v3.RBAC", Set.of("rules", "rules_stat_prefix")),
      Map.entry("envoy.extensions.filters.network.rbac.v3.RBAC", Set.of("rules", "stat_prefix")),
      Map.entry("envoy.config.rbac.v3.RBAC", Set.of("action", "policies")),
      Map.entry("envoy.config.rbac.v3.Policy", Set.of("permissions", "principals")),
      Map.entry("envoy.config.rbac.v3.Permission", Set.of("any", "and_rules", "or_rules", "not_rule", "header",
          "url_path", "destination_port")),
      Map.entry("envoy.config.rbac.v3.Permission.Set", Set.of("rules")),
      Map.entry("envoy.config.rbac.v3.Principal", Set.of("any", "and_ids", "or_ids", "not_id", "authenticated",
          "header")),
      Map.entry("envoy.config.rbac.v3.Principal.Set", Set.of("ids")),
      Map.entry("envoy.config.rbac.v3.Principal.Authenticated", Set.of("principal_name")),
      Map.entry("envoy.type.matcher.v3.PathMatcher", Set.of("path")),
      Map.entry("envoy.config.core.v3.HttpProtocolOptions", Set.of("idle_timeout", "max_headers_count",
          "max_requests_per_connection", "max_stream_duration")),
      Map.entry("envoy.config.core.v3.Http1ProtocolOptions", Set.of()),
      Map.entry("envoy.config.core.v3.Http2ProtocolOptions", Set.of("max_concurrent_streams",
          "initial_stream_window_size", "initial_connection_window_size")),

      Map.entry("envoy.config.route.v3.RouteConfiguration", Set.of("name", "virtual_hosts",
          "request_headers_to_add", "request_headers_to_remove", "response_headers_to_add",
          "response_headers_to_remove", "ignore_port_in_host_matching")),
      Map.entry("envoy.config.route.v3.VirtualHost", Set.of("name", "domains", "routes", "request_headers_to_add",
          "request_headers_to_remove", "response_headers_to_add", "response_headers_to_remove",
          "retry_policy", "typed_per_filter_config", "include_request_attempt_count",
          "per_request_buffer_limit_bytes")),
      Map.entry("envoy.config.route.v3.Route", Set.of("name", "match", "route", "direct_response",
          "request_headers_to_add", "request_headers_to_remove", "response_headers_to_add",
          "response_headers_to_remove", "metadata", "typed_per_filter_config", "per_request_buffer_limit_bytes")),
      Map.entry("envoy.config.route.v3.RouteMatch", Set.of("prefix", "path", "safe_regex", "path_separated_prefix",
          "case_sensitive", "headers", "grpc")),
      Map.entry("envoy.config.route.v3.RouteMatch.GrpcRouteMatchOptions", Set.of()),
      Map.entry("envoy.type.matcher.v3.RegexMatcher", Set.of("regex", "google_re2")),
      Map.entry("envoy.type.matcher.v3.RegexMatcher.GoogleRE2", Set.of()),
      Map.entry("envoy.config.route.v3.HeaderMatcher", Set.of("name", "exact_match", "safe_regex_match",
          "present_match", "prefix_match", "suffix_match", "contains_match", "string_match", "invert_match")),
      Map.entry("envoy.type.matcher.v3.StringMatcher", Set.of("exact", "prefix", "suffix", "contains",
          "safe_regex", "ignore_case")),
      Map.entry("envoy.config.route.v3.RouteAction", Set.of("cluster", "weighted_clusters", "timeout",
          "host_rewrite_literal", "prefix_rewrite", "max_stream_duration", "cluster_not_found_response_code",
          "retry_policy", "idle_timeout", "hash_policy")),
      Map.entry("envoy.config.route.v3.RouteAction.MaxStreamDuration", Set.of("grpc_timeout_header_max",
          "grpc_timeout_header_offset", "max_stream_duration")),
      // Retries and fault injection.
      Map.entry("envoy.config.route.v3.RetryPolicy", Set.of("retry_on", "num_retries", "per_try_timeout",
          "retry_back_off", "retriable_status_codes", "retry_host_predicate", "host_selection_retry_max_attempts")),
      Map.entry("envoy.config.route.v3.RetryPolicy.RetryBackOff", Set.of("base_interval", "max_interval")),
      Map.entry("envoy.config.route.v3.RetryPolicy.RetryHostPredicate", Set.of("name", "typed_config")),
      Map.entry("envoy.extensions.retry.host.previous_hosts.v3.PreviousHostsPredicate", Set.of()),
      Map.entry("envoy.extensions.filters.http.fault.v3.HTTPFault", Set.of("delay", "abort", "headers",
          "max_active_faults")),
      Map.entry("envoy.extensions.filters.common.fault.v3.FaultDelay", Set.of("fixed_delay", "percentage")),
      Map.entry("envoy.extensions.filters.http.fault.v3.FaultAbort", Set.of("http_status", "grpc_status",
          "percentage")),
      Map.entry("envoy.type.v3.FractionalPercent", Set.of("numerator", "denominator")),
      Map.entry("envoy.config.cluster.v3.CircuitBreakers.Thresholds.RetryBudget", Set.of("budget_percent",
          "min_retry_concurrency")),
      // Load balancing: route hash policies, cluster LB settings, priorities and localities.
      Map.entry("envoy.config.route.v3.RouteAction.HashPolicy", Set.of("header", "cookie", "connection_properties",
          "terminal")),
      Map.entry("envoy.config.route.v3.RouteAction.HashPolicy.Header", Set.of("header_name")),
      Map.entry("envoy.config.route.v3.RouteAction.HashPolicy.Cookie", Set.of("name", "ttl", "path")),
      Map.entry("envoy.config.route.v3.RouteAction.HashPolicy.ConnectionProperties", Set.of("source_ip")),
      Map.entry("envoy.config.cluster.v3.Cluster.RingHashLbConfig", Set.of("minimum_ring_size", "maximum_ring_size",
          "hash_function")),
      Map.entry("envoy.config.cluster.v3.Cluster.MaglevLbConfig", Set.of("table_size")),
      Map.entry("envoy.config.cluster.v3.Cluster.LeastRequestLbConfig", Set.of("choice_count",
          "active_request_bias")),
      Map.entry("envoy.config.core.v3.RuntimeDouble", Set.of("default_value")),
      Map.entry("envoy.config.cluster.v3.Cluster.CommonLbConfig", Set.of("healthy_panic_threshold",
          "locality_weighted_lb_config")),
      Map.entry("envoy.config.cluster.v3.Cluster.CommonLbConfig.LocalityWeightedLbConfig", Set.of()),
      Map.entry("envoy.config.endpoint.v3.ClusterLoadAssignment.Policy", Set.of("overprovisioning_factor")),
      Map.entry("envoy.config.route.v3.WeightedCluster", Set.of("clusters", "total_weight")),
      Map.entry("envoy.config.route.v3.WeightedCluster.ClusterWeight", Set.of("name", "weight",
          "request_headers_to_add", "request_headers_to_remove", "response_headers_to_add",
          "response_headers_to_remove")),
      Map.entry("envoy.config.route.v3.DirectResponseAction", Set.of("status", "body")),
      Map.entry("envoy.config.core.v3.DataSource", Set.of("inline_string", "inline_bytes", "filename")),
      Map.entry("envoy.config.core.v3.HeaderValueOption", Set.of("header", "append", "append_action",
          "keep_empty_value")),
      Map.entry("envoy.config.core.v3.HeaderValue", Set.of("key", "value")),

      Map.entry("envoy.config.cluster.v3.Cluster", Set.of("name", "type", "connect_timeout", "lb_policy",
          "load_assignment", "http2_protocol_options", "typed_extension_protocol_options",
          "common_http_protocol_options", "per_connection_buffer_limit_bytes", "max_requests_per_connection",
          "metadata", "transport_socket", "eds_cluster_config", "circuit_breakers", "outlier_detection",
          "health_checks", "ring_hash_lb_config", "maglev_lb_config", "least_request_lb_config",
          "common_lb_config")),
      // Circuit breakers, outlier detection and active health checks (ClusterHealthTranslator).
      Map.entry("envoy.config.cluster.v3.CircuitBreakers", Set.of("thresholds")),
      Map.entry("envoy.config.cluster.v3.CircuitBreakers.Thresholds", Set.of("priority", "max_connections",
          "max_pending_requests", "max_requests", "max_retries", "retry_budget")),
      Map.entry("envoy.config.cluster.v3.OutlierDetection", Set.of("consecutive_5xx", "interval",
          "base_ejection_time", "max_ejection_percent", "enforcing_consecutive_5xx", "enforcing_success_rate",
          "success_rate_minimum_hosts", "success_rate_request_volume", "success_rate_stdev_factor",
          "consecutive_gateway_failure", "enforcing_consecutive_gateway_failure",
          "split_external_local_origin_errors", "consecutive_local_origin_failure",
          "enforcing_consecutive_local_origin_failure", "enforcing_local_origin_success_rate",
          "failure_percentage_threshold", "enforcing_failure_percentage", "enforcing_failure_percentage_local_origin",
          "failure_percentage_minimum_hosts", "failure_percentage_request_volume", "max_ejection_time",
          "max_ejection_time_jitter", "successful_active_health_check_uneject_host")),
      Map.entry("envoy.config.core.v3.HealthCheck", Set.of("timeout", "interval", "initial_jitter",
          "interval_jitter", "unhealthy_threshold", "healthy_threshold", "http_health_check", "tcp_health_check",
          "no_traffic_interval")),
      Map.entry("envoy.config.core.v3.HealthCheck.HttpHealthCheck", Set.of("host", "path", "expected_statuses",
          "codec_client_type")),
      Map.entry("envoy.config.core.v3.HealthCheck.TcpHealthCheck", Set.of("send", "receive")),
      Map.entry("envoy.config.core.v3.HealthCheck.Payload", Set.of("text", "binary")),
      Map.entry("envoy.type.v3.Int64Range", Set.of("start", "end")),
      Map.entry("envoy.config.endpoint.v3.ClusterLoadAssignment", Set.of("cluster_name", "endpoints", "policy")),
      Map.entry("envoy.config.endpoint.v3.LocalityLbEndpoints", Set.of("locality", "lb_endpoints",
          "load_balancing_weight", "priority")),
      Map.entry("envoy.config.endpoint.v3.LbEndpoint", Set.of("endpoint", "load_balancing_weight", "metadata",
          "health_status")),
      Map.entry("envoy.config.endpoint.v3.Endpoint", Set.of("address", "hostname")),
      Map.entry("envoy.extensions.upstreams.http.v3.HttpProtocolOptions", Set.of("common_http_protocol_options",
          "explicit_http_config", "use_downstream_protocol_config")),
      Map.entry("envoy.extensions.upstreams.http.v3.HttpProtocolOptions.ExplicitHttpConfig",
          Set.of("http_protocol_options", "http2_protocol_options")),
      Map.entry("envoy.extensions.upstreams.http.v3.HttpProtocolOptions.UseDownstreamHttpConfig",
          Set.of("http_protocol_options", "http2_protocol_options")));

  private final AnyTypes anyTypes;

  /** @param anyTypes the payload types accepted inside {@code Any} fields */
  public SupportedFields(AnyTypes anyTypes) {
    this.anyTypes = anyTypes;
  }

  /**
   * Adds an error for every set field under {@code message} that Weft does not support.
   *
   * @param path      the field path of {@code message} ("" at the root)
   * @param locations field path to "file:line:col", for messages parsed from text
   */
  public void check(Message message, String path, Map<String, String> locations, List<ConfigError> errors) {
    // Walked as a DynamicMessage: reading a generated message by descriptor (getAllFields) would
    // initialize its reflection tables, a java.lang.reflect.Method per accessor of every type.
    walk(dynamic(Protos.descriptorOf(message), message.toByteString()), path, locations, errors);
  }

  private static DynamicMessage dynamic(Descriptor type, ByteString bytes) {
    try {
      return DynamicMessage.parseFrom(type, bytes);
    } catch (InvalidProtocolBufferException e) {
      throw new IllegalStateException("a message of " + type.getFullName() + " does not re-parse", e);
    }
  }

  private void walk(Message message, String path, Map<String, String> locations, List<ConfigError> errors) {
    String type = message.getDescriptorForType().getFullName();
    if (type.equals("google.protobuf.Any")) {
      checkAny(message, path, locations, errors);
      return;
    }
    Set<String> allowed = SUPPORTED.getOrDefault(type, Set.of());
    if (allowed == ALL) {
      return;
    }
    for (Map.Entry<FieldDescriptor, Object> e : message.getAllFields().entrySet()) {
      FieldDescriptor f = e.getKey();
      String fieldPath = path.isEmpty() ? f.getName() : path + "." + f.getName();
      if (!allowed.contains(f.getName())) {
        errors.add(new ConfigError(locations.get(fieldPath), fieldPath,
            "field '" + f.getName() + "' of " + type + " is not supported by Weft"));
        continue;
      }
      if (f.getJavaType() != FieldDescriptor.JavaType.MESSAGE) {
        continue;
      }
      if (f.isMapField()) {
        // Map entries: the key is a scalar; check each message value under path[key].
        FieldDescriptor keyField = f.getMessageType().findFieldByName("key");
        FieldDescriptor valueField = f.getMessageType().findFieldByName("value");
        for (Object entry : (List<?>) e.getValue()) {
          Message m = (Message) entry;
          if (valueField.getJavaType() == FieldDescriptor.JavaType.MESSAGE) {
            walk((Message) m.getField(valueField), fieldPath + "[" + m.getField(keyField) + "]", locations, errors);
          }
        }
      } else if (f.isRepeated()) {
        List<?> items = (List<?>) e.getValue();
        for (int i = 0; i < items.size(); i++) {
          walk((Message) items.get(i), fieldPath + "[" + i + "]", locations, errors);
        }
      } else {
        walk((Message) e.getValue(), fieldPath, locations, errors);
      }
    }
    if (!message.getUnknownFields().asMap().isEmpty()) {
      errors.add(new ConfigError(locations.get(path), path, "unknown field numbers "
          + message.getUnknownFields().asMap().keySet() + " in " + type));
    }
  }

  private void checkAny(Message any, String path, Map<String, String> locations, List<ConfigError> errors) {
    Descriptor anyType = any.getDescriptorForType();
    String typeUrl = (String) any.getField(anyType.findFieldByName("type_url"));
    ByteString value = (ByteString) any.getField(anyType.findFieldByName("value"));
    String typeName = typeUrl.substring(typeUrl.lastIndexOf('/') + 1);
    Descriptor inType = anyTypes.descriptor(typeName);
    if (inType == null) {
      errors.add(new ConfigError(locations.get(path), path, "'" + typeName + "' is not a type Weft supports here"));
      return;
    }
    try {
      Message inner = DynamicMessage.parseFrom(inType, value);
      walk(inner, path, locations, errors);
    } catch (InvalidProtocolBufferException e) {
      errors.add(new ConfigError(locations.get(path), path, "cannot decode " + typeName + ": " + e.getMessage()));
    }
  }
}

package dev.weft.proxy.bootstrap;

import static org.assertj.core.api.Assertions.assertThat;
import static org.assertj.core.api.Assertions.assertThatThrownBy;

import dev.weft.proxy.config.FaultConfig;
import dev.weft.proxy.config.HttpConnectionManagerConfig;
import dev.weft.proxy.config.ProxyConfig;
import dev.weft.proxy.config.RetryBudgetConfig;
import dev.weft.proxy.config.RetryPolicy;
import dev.weft.proxy.config.RetryPolicy.Condition;
import dev.weft.proxy.config.RouteAction;
import dev.weft.proxy.testkit.Bootstraps;
import java.time.Duration;
import org.junit.jupiter.api.Test;

/** Translation of route retry policies, timeouts, the fault filter and cluster retry budgets. */
class RetryFaultTranslationTest {

  private static ProxyConfig load(String yaml) throws ConfigException {
    return BootstrapLoader.parse(yaml, "b.yaml").config();
  }

  private static String withRoutes(String virtualHosts, String extraHcm) {
    return Bootstraps.bootstrap(Bootstraps.httpListener("http", virtualHosts, extraHcm),
        Bootstraps.cluster("app", false, 8080));
  }

  private static HttpConnectionManagerConfig hcm(ProxyConfig c) {
    return (HttpConnectionManagerConfig) c.listeners().getFirst().filterChains().getFirst().filter();
  }

  private static RouteAction.Forward forward(ProxyConfig c, int route) {
    return (RouteAction.Forward) hcm(c).routes().virtualHosts().getFirst().routes().get(route).action();
  }

  private static final String FAULT_FILTER = """
      - name: envoy.filters.http.fault
        typed_config:
          "@type": type.googleapis.com/envoy.extensions.filters.http.fault.v3.HTTPFault
          delay: { fixed_delay: 0.05s, percentage: { numerator: 25, denominator: HUNDRED } }
          abort: { http_status: 503, percentage: { numerator: 1500, denominator: TEN_THOUSAND } }
          headers: [ { name: x-fault, present_match: true } ]
          max_active_faults: 7
      """;

  /** An HCM whose http_filters are {@code filters} then the router. */
  private static String withFilters(String virtualHosts, String filters) {
    return filters.isBlank() ? withRoutes(virtualHosts, "") : Bootstraps.withHttpFilters(withRoutes(virtualHosts, ""), filters);
  }

  @Test
  void routeRetryPolicyWithEnvoyDefaults() throws Exception {
    ProxyConfig c = load(withRoutes("""
        - name: all
          domains: ["*"]
          routes:
          - match: { prefix: "/a" }
            route:
              cluster: app
              idle_timeout: 2s
              max_stream_duration: { max_stream_duration: 9s, grpc_timeout_header_max: 0s, grpc_timeout_header_offset: 0.1s }
              retry_policy:
                retry_on: "5xx, reset,retriable-status-codes,unavailable"
                per_try_timeout: 0.25s
                retriable_status_codes: [429]
                retry_host_predicate:
                - name: envoy.retry_host_predicates.previous_hosts
                host_selection_retry_max_attempts: 3
          - match: { prefix: "/" }
            route: { cluster: app }
        """, ""));
    RouteAction.Forward a = forward(c, 0);
    RetryPolicy p = a.retryPolicy();
    assertThat(p.numRetries()).as("Envoy's default num_retries").isEqualTo(1);
    assertThat(p.on(Condition.FIVE_XX)).isTrue();
    assertThat(p.on(Condition.RESET)).isTrue();
    assertThat(p.on(Condition.GRPC_UNAVAILABLE)).isTrue();
    assertThat(p.on(Condition.GATEWAY_ERROR)).isFalse();
    assertThat(p.retriableStatusCodes()).containsExactly(429);
    assertThat(p.perTryTimeout()).isEqualTo(Duration.ofMillis(250));
    assertThat(p.baseInterval()).isEqualTo(Duration.ofMillis(25));
    assertThat(p.maxInterval()).isEqualTo(Duration.ofMillis(250));
    assertThat(p.avoidPreviousHosts()).isTrue();
    assertThat(p.hostSelectionRetryMaxAttempts()).isEqualTo(3);
    assertThat(p.bufferLimitBytes()).as("the listener's buffer limit").isEqualTo(1024 * 1024);
    assertThat(a.idleTimeout()).isEqualTo(Duration.ofSeconds(2));
    assertThat(a.maxStreamDuration()).isEqualTo(Duration.ofSeconds(9));
    assertThat(a.grpcTimeoutOffset()).isEqualTo(Duration.ofMillis(100));

    RouteAction.Forward plain = forward(c, 1);
    assertThat(plain.retryPolicy()).isEqualTo(RetryPolicy.NONE);
    assertThat(plain.idleTimeout()).as("the HCM's stream_idle_timeout applies").isNull();
    assertThat(hcm(c).streamIdleTimeout()).isEqualTo(Duration.ofMinutes(5));
    assertThat(hcm(c).maxStreamDuration()).isEqualTo(Duration.ZERO);
  }

  @Test
  void virtualHostRetryPolicyAppliesToRoutesWithoutTheirOwn() throws Exception {
    ProxyConfig c = load(withRoutes("""
        - name: all
          domains: ["*"]
          include_request_attempt_count: true
          per_request_buffer_limit_bytes: 4096
          retry_policy:
            retry_on: gateway-error
            num_retries: 4
            retry_back_off: { base_interval: 0.01s, max_interval: 0.05s }
          routes:
          - match: { prefix: "/own" }
            route: { cluster: app, retry_policy: { retry_on: connect-failure } }
            per_request_buffer_limit_bytes: 100
          - match: { prefix: "/" }
            route: { cluster: app }
        """, ""));
    RouteAction.Forward own = forward(c, 0);
    assertThat(own.retryPolicy().on(Condition.CONNECT_FAILURE)).isTrue();
    assertThat(own.retryPolicy().on(Condition.GATEWAY_ERROR)).as("the route's policy replaces the host's").isFalse();
    assertThat(own.retryPolicy().bufferLimitBytes()).isEqualTo(100);
    RouteAction.Forward inherited = forward(c, 1);
    assertThat(inherited.retryPolicy().on(Condition.GATEWAY_ERROR)).isTrue();
    assertThat(inherited.retryPolicy().numRetries()).isEqualTo(4);
    assertThat(inherited.retryPolicy().baseInterval()).isEqualTo(Duration.ofMillis(10));
    assertThat(inherited.retryPolicy().maxInterval()).isEqualTo(Duration.ofMillis(50));
    assertThat(inherited.retryPolicy().bufferLimitBytes()).isEqualTo(4096);
    assertThat(inherited.includeAttemptCount()).isTrue();
  }

  @Test
  void badRetryPoliciesNameTheFieldAndTheValue() {
    assertThatThrownBy(() -> load(withRoutes("""
        - name: all
          domains: ["*"]
          routes:
          - match: { prefix: "/" }
            route:
              cluster: app
              retry_policy:
                retry_on: "5xx,retriable-headers"
                retry_back_off: { base_interval: 0.1s, max_interval: 0.05s }
                retriable_status_codes: [700]
                retry_host_predicate: [ { name: envoy.retry_host_predicates.omit_canary_hosts } ]
        """, "")))
        .isInstanceOf(ConfigException.class)
        .hasMessageMatching("(?s).*b\\.yaml:\\d+:\\d+: .*retry_policy\\.retry_on: 'retriable-headers' is not a retry "
            + "condition Weft supports \\(supported: 5xx, gateway-error, .*")
        .hasMessageContaining("retry_policy.retry_back_off.max_interval: PT0.05S (expected: >= base_interval PT0.1S)")
        .hasMessageContaining("retry_policy.retriable_status_codes[0]: 700 (expected: 100 to 599)")
        .hasMessageContaining("retry_policy.retry_host_predicate[0]: retry host predicate "
            + "'envoy.retry_host_predicates.omit_canary_hosts' is not supported");
  }

  @Test
  void faultFilterAndItsPerRouteOverride() throws Exception {
    ProxyConfig c = load(withFilters("""
        - name: all
          domains: ["*"]
          routes:
          - match: { prefix: "/quiet" }
            route: { cluster: app }
            typed_per_filter_config:
              envoy.filters.http.fault:
                "@type": type.googleapis.com/envoy.extensions.filters.http.fault.v3.HTTPFault
                abort: { grpc_status: 14, percentage: { numerator: 100 } }
          - match: { prefix: "/" }
            route: { cluster: app }
        """, FAULT_FILTER));
    FaultConfig f = hcm(c).faults().getFirst();
    assertThat(f.filterName()).isEqualTo("envoy.filters.http.fault");
    assertThat(f.delay()).isEqualTo(Duration.ofMillis(50));
    assertThat(f.delayPercent().numerator()).isEqualTo(25);
    assertThat(f.delayPercent().denominator()).isEqualTo(100);
    assertThat(f.abortHttpStatus()).isEqualTo(503);
    assertThat(f.abortPercent().denominator()).isEqualTo(10_000);
    assertThat(f.headers()).hasSize(1);
    assertThat(f.maxActiveFaults()).isEqualTo(7);
    FaultConfig override = hcm(c).routes().virtualHosts().getFirst().routes().getFirst().faults()
        .get("envoy.filters.http.fault");
    assertThat(override.abortGrpcStatus()).isEqualTo(14);
    assertThat(override.hasDelay()).isFalse();
    assertThat(override.maxActiveFaults()).isEqualTo(Integer.MAX_VALUE);
  }

  @Test
  void badFaultConfigsNameTheField() {
    assertThatThrownBy(() -> load(withFilters("""
        - name: all
          domains: ["*"]
          routes:
          - match: { prefix: "/" }
            route: { cluster: app }
            typed_per_filter_config:
              envoy.filters.http.other:
                "@type": type.googleapis.com/envoy.extensions.filters.http.fault.v3.HTTPFault
                abort: { http_status: 503 }
        """, """
        - name: envoy.filters.http.fault
          typed_config:
            "@type": type.googleapis.com/envoy.extensions.filters.http.fault.v3.HTTPFault
            delay: { percentage: { numerator: 25 } }
            abort: { http_status: 99 }
        """)))
        .isInstanceOf(ConfigException.class)
        .hasMessageContaining("http_filters[0].typed_config.delay: a fixed_delay is required")
        .hasMessageContaining("http_filters[0].typed_config.abort.http_status: 99 (expected: 200 to 599)")
        .hasMessageContaining("typed_per_filter_config[envoy.filters.http.other]: no fault filter named "
            + "'envoy.filters.http.other'");
  }

  @Test
  void unsupportedFaultFieldsAreRejected() {
    assertThatThrownBy(() -> load(withFilters(Bootstraps.routeAllTo("app"), """
        - name: envoy.filters.http.fault
          typed_config:
            "@type": type.googleapis.com/envoy.extensions.filters.http.fault.v3.HTTPFault
            abort: { header_abort: {}, percentage: { numerator: 100 } }
        """)))
        .isInstanceOf(ConfigException.class)
        .hasMessageContaining("abort.header_abort: field 'header_abort' of "
            + "envoy.extensions.filters.http.fault.v3.FaultAbort is not supported by Weft");
  }

  @Test
  void retryBudgetOfTheDefaultPriority() throws Exception {
    String yaml = Bootstraps.simple(false, 8080).replace("connect_timeout: 1s", """
        connect_timeout: 1s
            circuit_breakers:
              thresholds:
              - retry_budget: { budget_percent: { value: 12.5 } }
              - priority: HIGH
                retry_budget: { min_retry_concurrency: 9 }""");
    RetryBudgetConfig budget = load(yaml).cluster("app").retryBudget();
    assertThat(budget).isEqualTo(new RetryBudgetConfig(12.5, 3));
    assertThat(load(Bootstraps.simple(false, 8080)).cluster("app").retryBudget()).isNull();

    String bad = Bootstraps.simple(false, 8080).replace("connect_timeout: 1s", """
        connect_timeout: 1s
            circuit_breakers: { thresholds: [ { retry_budget: { budget_percent: { value: 120 } } } ] }""");
    assertThatThrownBy(() -> load(bad)).hasMessageContaining(
        "static_resources.clusters[0].circuit_breakers.thresholds[0].retry_budget.budget_percent: 120.0 "
            + "(expected: 0 to 100)");
  }

  @Test
  void maxStreamDurationIsOnlyForDownstreams() {
    String yaml = Bootstraps.simple(false, 8080).replace("connect_timeout: 1s", """
        connect_timeout: 1s
            common_http_protocol_options: { max_stream_duration: 1s }""");
    assertThatThrownBy(() -> load(yaml)).hasMessageContaining(
        "common_http_protocol_options.max_stream_duration: not supported on upstream connections");
  }
}

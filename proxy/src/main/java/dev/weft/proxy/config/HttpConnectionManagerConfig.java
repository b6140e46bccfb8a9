package dev.weft.proxy.config;

import java.time.Duration;
import java.util.List;
import java.util.Set;

/**
 * HTTP handling on a filter chain (Envoy's HTTP connection manager).
 *
 * @param codec               which downstream protocols are accepted
 * @param routes              the route table
 * @param maxRequestHeadersBytes limit on the request line plus headers; beyond it, 431
 * @param maxHeadersCount     limit on the number of request headers; beyond it, 431
 * @param idleTimeout         close a downstream connection idle this long; ZERO disables
 * @param generateRequestId   add {@code x-request-id} when the request has none
 * @param stripAnyHostPort    ignore the port of Host/:authority when matching virtual hosts
 * @param upgradeTypes        upgrade protocols (lower case, e.g. "websocket") allowed through
 * @param http2               HTTP/2 server settings
 * @param forwardClientCert   what to do with {@code x-forwarded-client-cert} (Envoy's
 *                            {@code forward_client_cert_details})
 * @param setClientCertUri    add the peer's URI SAN to the header we set
 * @param rbac                RBAC HTTP filters, in order, applied before the router
 * @param pathNormalization   how request paths are normalized before routing and authorization
 * @param rdsRouteConfigName  the route configuration's name when it comes by RDS (then
 *                            {@code routes} is empty and the current table is looked up per
 *                            request), or {@code null} for an inline {@code route_config}
 * @param faults              fault filters ({@code envoy.filters.http.fault}), in order, applied
 *                            after RBAC and before the router
 * @param streamIdleTimeout   reset a request stream when no byte moved either way for this long
 *                            (Envoy's {@code stream_idle_timeout}, default 5 min); a route's
 *                            {@code idle_timeout} replaces it; ZERO disables
 * @param maxStreamDuration   the longest a request may last ({@code common_http_protocol_options
 *                            .max_stream_duration}); a route's {@code max_stream_duration} replaces it;
 *                            ZERO disables
 */
public record HttpConnectionManagerConfig(
    String statPrefix,
    Codec codec,
    RouteTable routes,
    int maxRequestHeadersBytes,
    int maxHeadersCount,
    Duration idleTimeout,
    boolean generateRequestId,
    boolean stripAnyHostPort,
    Set<String> upgradeTypes,
    Http2Settings http2,
    ForwardClientCert forwardClientCert,
    boolean setClientCertUri,
    List<RbacConfig> rbac,
    PathNormalization pathNormalization,
    String rdsRouteConfigName,
    List<FaultConfig> faults,
    Duration streamIdleTimeout,
    Duration maxStreamDuration) implements NetworkFilterConfig {

  public HttpConnectionManagerConfig {
    upgradeTypes = Set.copyOf(upgradeTypes);
    rbac = List.copyOf(rbac);
    faults = List.copyOf(faults);
  }

  /** Envoy's {@code ForwardClientCertDetails}. */
  public enum ForwardClientCert { SANITIZE, FORWARD_ONLY, APPEND_FORWARD, SANITIZE_SET, ALWAYS_FORWARD_ONLY }

  /** Downstream codec selection, as Envoy's {@code codec_type}. */
  public enum Codec { AUTO, HTTP1, HTTP2 }
}

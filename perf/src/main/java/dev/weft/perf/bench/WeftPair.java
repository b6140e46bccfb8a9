package dev.weft.perf.bench;

import java.io.IOException;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.ArrayList;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Map;

/**
 * Two Weft sidecars as in the mesh: {@code weft-out} takes plain HTTP/1.1 from the client and
 * forwards over HTTP/2 to {@code weft-in}, which forwards over HTTP/1.1 to the upstream. Both are
 * started with the launcher's JVM flags and {@code --concurrency}; the inbound sidecar first, so
 * the outbound one can be pointed at it.
 *
 * <p>The hop between them is chosen by {@link Hop}. {@link Hop#MTLS} (the default) is the hop as
 * the control plane configures the mesh: Envoy's {@code envoy.transport_sockets.tls} —
 * {@code UpstreamTlsContext} on the outbound cluster and {@code DownstreamTlsContext} with
 * {@code require_client_certificate} on the inbound listener, ECDSA P-256 certificates, SPIFFE
 * SAN match — and the downstream protocol kept across the hop
 * ({@code use_downstream_protocol_config}, ALPN {@code h2,http/1.1}), as Istio does by default:
 * an HTTP/1.1 client's requests cross the hop as HTTP/1.1 on pooled keep-alive connections.
 * {@link Hop#MTLS_H2} forces HTTP/2 over the same mTLS (as Linkerd does between proxies);
 * {@link Hop#H2C} is plaintext HTTP/2, to separate TLS costs from the rest.
 */
final class WeftPair {
  /** The hop between the two sidecars: the switch for mutual TLS. */
  enum Hop {
    /** Plaintext HTTP/2 with prior knowledge. */
    H2C,
    /** Mutual TLS keeping the downstream protocol, as the mesh runs by default. */
    MTLS,
    /** HTTP/2 over mutual TLS whatever the downstream protocol. */
    MTLS_H2;

    static Hop parse(String value) {
      return switch (value.trim().toLowerCase(java.util.Locale.ROOT)) {
        case "h2c" -> H2C;
        case "mtls" -> MTLS;
        case "mtls-h2" -> MTLS_H2;
        default -> throw new IllegalArgumentException("weft hop: '" + value + "' (expected: mtls, mtls-h2 or h2c)");
      };
    }

    boolean tls() {
      return this != H2C;
    }

    /** The client-side cluster's protocol options and ALPN for this hop. */
    String protocolOptions() {
      return this == MTLS
          ? "use_downstream_protocol_config: { http_protocol_options: {}, http2_protocol_options: {} }"
          : "explicit_http_config: { http2_protocol_options: {} }";
    }

    String alpn() {
      return this == MTLS ? "[\"h2\", \"http/1.1\"]" : "[\"h2\"]";
    }
  }

  static final String OUT = "weft-out";
  static final String IN = "weft-in";

  private WeftPair() {}

  static Deployment start(BenchEnvironment env) throws IOException, InterruptedException, ScenarioUnavailableException {
    Path dir = Files.createDirectories(env.runDir().resolve("weft"));
    int inPort = FreePorts.next();
    int outPort = FreePorts.next();
    BenchCertificates.Files inCerts = null;
    BenchCertificates.Files outCerts = null;
    if (env.weftHop().tls()) {
      inCerts = env.certificates().writeTo(dir.resolve("certs"), "sidecar-in");
      outCerts = env.certificates().writeTo(dir.resolve("certs"), "sidecar-out");
    }
    int inAdmin = FreePorts.next();
    int outAdmin = FreePorts.next();
    Path inBootstrap = dir.resolve(IN + ".yaml");
    Files.writeString(inBootstrap, inboundBootstrap(inPort, inAdmin, env.upstreamPort(), inCerts, env.weftHop()));
    Path outBootstrap = dir.resolve(OUT + ".yaml");
    Files.writeString(outBootstrap, outboundBootstrap(outPort, outAdmin, inPort, outCerts, env.weftHop()));

    List<ManagedProcess> started = new ArrayList<>();
    Map<String, Double> ready = new LinkedHashMap<>();
    try {
      record Side(String name, Path bootstrap, int adminPort) {}
      for (Side side : List.of(new Side(IN, inBootstrap, inAdmin), new Side(OUT, outBootstrap, outAdmin))) {
        ManagedProcess p = startSidecar(env, side.name(), side.bootstrap(), dir);
        started.add(p);
        long readyAt = Readiness.awaitHttp200(p, side.adminPort(), "/ready", env.startTimeout());
        ready.put(side.name(), (readyAt - p.startNanos()) / 1e6);
      }
      return new Deployment(outPort, started, ready);
    } catch (IllegalStateException e) {
      started.reversed().forEach(ManagedProcess::close);
      throw new ScenarioUnavailableException("Weft sidecar did not start: " + e.getMessage(), e);
    } catch (IOException | InterruptedException | RuntimeException e) {
      started.reversed().forEach(ManagedProcess::close);
      throw e;
    }
  }

  private static ManagedProcess startSidecar(BenchEnvironment env, String name, Path bootstrap, Path dir)
      throws IOException {
    List<String> cmd = new ArrayList<>(env.weft().command());
    cmd.addAll(List.of("--bootstrap", bootstrap.toString(), "--concurrency", Integer.toString(env.proxyWorkers())));
    return ManagedProcess.start(name, env.pinning().wrapProxy(cmd), dir, env.weft().env(), dir.resolve(name + ".log"));
  }

  /** Bootstrap of the client-side sidecar: HTTP/1.1 (or h2c) in, the hop's protocol to the peer sidecar. */
  static String outboundBootstrap(int listenPort, int adminPort, int peerPort, BenchCertificates.Files certs, Hop hop) {
    String tls = certs == null ? "" : """
            transport_socket:
              name: envoy.transport_sockets.tls
              typed_config:
                "@type": type.googleapis.com/envoy.extensions.transport_sockets.tls.v3.UpstreamTlsContext
                sni: %s
                common_tls_context:
                  alpn_protocols: %s
                  tls_certificates:
                  - certificate_chain: { filename: %s }
                    private_key: { filename: %s }
                  validation_context:
                    trusted_ca: { filename: %s }
                    match_typed_subject_alt_names:
                    - san_type: URI
                      matcher: { exact: "%s" }
        """.formatted(BenchCertificates.dnsName("sidecar-in"), hop.alpn(), certs.certificate(), certs.key(), certs.ca(),
            BenchCertificates.spiffeId("sidecar-in"));
    return """
        # Weft benchmark: outbound sidecar (client side of the mesh hop).
        node: { id: bench-weft-out, cluster: bench }
        admin:
          address: { socket_address: { address: 127.0.0.1, port_value: %d } }
        static_resources:
          listeners:
          - name: outbound
            address: { socket_address: { address: 127.0.0.1, port_value: %d } }
            filter_chains:
            - filters:
              - name: envoy.filters.network.http_connection_manager
                typed_config:
                  "@type": type.googleapis.com/envoy.extensions.filters.network.http_connection_manager.v3.HttpConnectionManager
                  stat_prefix: outbound
                  codec_type: AUTO
                  route_config:
                    name: outbound
                    virtual_hosts:
                    - name: peer
                      domains: ["*"]
                      routes:
                      - match: { prefix: "/" }
                        route: { cluster: peer, timeout: 15s }
                  http_filters:
                  - name: envoy.filters.http.router
                    typed_config: { "@type": type.googleapis.com/envoy.extensions.filters.http.router.v3.Router }
          clusters:
          - name: peer
            type: STATIC
            connect_timeout: 1s
            lb_policy: ROUND_ROBIN
            typed_extension_protocol_options:
              envoy.extensions.upstreams.http.v3.HttpProtocolOptions:
                "@type": type.googleapis.com/envoy.extensions.upstreams.http.v3.HttpProtocolOptions
                %s
        %s    load_assignment:
              cluster_name: peer
              endpoints:
              - lb_endpoints:
                - endpoint: { address: { socket_address: { address: 127.0.0.1, port_value: %d } } }
        """.formatted(adminPort, listenPort, hop.protocolOptions(), tls, peerPort);
  }

  /** Bootstrap of the server-side sidecar: the hop's protocol from the peer sidecar, HTTP/1.1 to the upstream. */
  static String inboundBootstrap(int listenPort, int adminPort, int upstreamPort, BenchCertificates.Files certs, Hop hop) {
    String tls = certs == null ? "" : """
              transport_socket:
                name: envoy.transport_sockets.tls
                typed_config:
                  "@type": type.googleapis.com/envoy.extensions.transport_sockets.tls.v3.DownstreamTlsContext
                  require_client_certificate: true
                  common_tls_context:
                    alpn_protocols: %s
                    tls_certificates:
                    - certificate_chain: { filename: %s }
                      private_key: { filename: %s }
                    validation_context:
                      trusted_ca: { filename: %s }
                      match_typed_subject_alt_names:
                      - san_type: URI
                        matcher: { exact: "%s" }
        """.formatted(hop.alpn(), certs.certificate(), certs.key(), certs.ca(), BenchCertificates.spiffeId("sidecar-out"));
    return """
        # Weft benchmark: inbound sidecar (server side of the mesh hop).
        node: { id: bench-weft-in, cluster: bench }
        admin:
          address: { socket_address: { address: 127.0.0.1, port_value: %d } }
        static_resources:
          listeners:
          - name: inbound
            address: { socket_address: { address: 127.0.0.1, port_value: %d } }
            filter_chains:
            - filters:
              - name: envoy.filters.network.http_connection_manager
                typed_config:
                  "@type": type.googleapis.com/envoy.extensions.filters.network.http_connection_manager.v3.HttpConnectionManager
                  stat_prefix: inbound
                  codec_type: %s
                  route_config:
                    name: inbound
                    virtual_hosts:
                    - name: app
                      domains: ["*"]
                      routes:
                      - match: { prefix: "/" }
                        route: { cluster: app, timeout: 15s }
                  http_filters:
                  - name: envoy.filters.http.router
                    typed_config: { "@type": type.googleapis.com/envoy.extensions.filters.http.router.v3.Router }
        %s  clusters:
          - name: app
            type: STATIC
            connect_timeout: 1s
            lb_policy: ROUND_ROBIN
            load_assignment:
              cluster_name: app
              endpoints:
              - lb_endpoints:
                - endpoint: { address: { socket_address: { address: 127.0.0.1, port_value: %d } } }
        """.formatted(adminPort, listenPort, certs == null ? "HTTP2" : "AUTO", tls, upstreamPort);
  }
}

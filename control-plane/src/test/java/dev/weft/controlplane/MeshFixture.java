package dev.weft.controlplane;

import com.sun.net.httpserver.HttpHandler;
import com.sun.net.httpserver.HttpServer;
import dev.weft.controlplane.translate.MeshOptions;
import dev.weft.controlplane.translate.MeshTranslator;
import dev.weft.controlplane.xds.ControlPlane;
import dev.weft.controlplane.xds.XdsServer;
import dev.weft.proxy.Sidecar;
import dev.weft.proxy.bootstrap.BootstrapLoader;
import dev.weft.proxy.tls.TlsMaterial;
import java.io.IOException;
import java.io.InputStream;
import java.io.OutputStream;
import java.io.PrintWriter;
import java.io.StringWriter;
import java.net.InetAddress;
import java.net.InetSocketAddress;
import java.net.ServerSocket;
import java.net.Socket;
import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.Path;
import java.nio.file.StandardCopyOption;
import java.time.Duration;
import java.util.ArrayList;
import java.util.List;
import java.util.Map;
import java.util.concurrent.ConcurrentHashMap;
import java.util.concurrent.Executors;

/**
 * The mesh-in-one-process setup shared by the mesh ITs: the control plane in local mode on
 * {@code dir} (registry.yaml and policies/, both watched), apps on their workloads' loopback
 * addresses, and a Weft sidecar per workload configured over ADS (delta).
 */
final class MeshFixture implements AutoCloseable {
  final Path dir;
  final int outboundPort;
  final int inboundPort;
  int xdsPort;
  ControlPlane controlPlane;
  final StringWriter cpErrors = new StringWriter();
  final Map<String, Sidecar> sidecars = new ConcurrentHashMap<>();
  private List<AutoCloseable> local = List.of();
  private final List<AutoCloseable> closeables = new ArrayList<>();

  MeshFixture(Path dir) throws IOException {
    this.dir = dir;
    this.outboundPort = freePort();
    this.inboundPort = freePort();
    Files.createDirectories(dir.resolve("policies"));
  }

  MeshOptions options() {
    return new MeshOptions("cluster.local", false, outboundPort, inboundPort);
  }

  /** Starts the control plane (xDS on loopback {@code port}, 0: any) and its local-mode watchers. */
  void startControlPlane(int port) throws Exception {
    MeshOptions options = options();
    controlPlane = new ControlPlane((p, r, n) -> MeshTranslator.translate(p, r, n, options), MeshTranslator::validate,
        Duration.ofMillis(100));
    XdsServer xds = controlPlane.serve(XdsServer.builder()
        .address(new InetSocketAddress(InetAddress.getLoopbackAddress(), port)));
    xdsPort = xds.address().getPort();
    local = ControlPlaneCommand.startLocal(controlPlane, dir, new PrintWriter(cpErrors, true));
  }

  void stopControlPlane() throws Exception {
    for (AutoCloseable c : local) {
      c.close();
    }
    controlPlane.close();
  }

  /** Replaces {@code relative} (under the mesh directory) atomically, as an editor or kubectl would. */
  void write(String relative, String content) throws IOException {
    Path target = dir.resolve(relative);
    Path tmp = target.resolveSibling(target.getFileName() + ".tmp");
    Files.writeString(tmp, content);
    Files.move(tmp, target, StandardCopyOption.REPLACE_EXISTING, StandardCopyOption.ATOMIC_MOVE);
  }

  /** An HTTP/1.1 app on {@code address:port}, stopped on close. */
  HttpServer app(String address, int port, HttpHandler handler) throws IOException {
    HttpServer server = HttpServer.create(new InetSocketAddress(InetAddress.getByName(address), port), 100);
    server.createContext("/", handler);
    server.setExecutor(Executors.newVirtualThreadPerTaskExecutor());
    server.start();
    closeables.add(() -> server.stop(0));
    return server;
  }

  /** Something else to close (in reverse order) when the mesh stops. */
  <T extends AutoCloseable> T closeLater(T c) {
    closeables.add(c);
    return c;
  }

  Sidecar sidecar(String workload) throws Exception {
    return sidecar(workload, TlsMaterial.SecretProvider.NONE);
  }

  /** The sidecar of {@code workload} (node {@code <workload>.default}), its TLS secrets from {@code secrets}. */
  Sidecar sidecar(String workload, TlsMaterial.SecretProvider secrets) throws Exception {
    String yaml = """
        node: { id: %s.default, cluster: %s }
        dynamic_resources:
          ads_config:
            api_type: DELTA_GRPC
            transport_api_version: V3
            grpc_services:
            - envoy_grpc:
                cluster_name: xds
                retry_policy: { retry_back_off: { base_interval: 0.1s, max_interval: 1s } }
          lds_config: { ads: {}, resource_api_version: V3 }
          cds_config: { ads: {}, resource_api_version: V3 }
        static_resources:
          clusters:
          - name: xds
            type: STATIC
            connect_timeout: 1s
            typed_extension_protocol_options:
              envoy.extensions.upstreams.http.v3.HttpProtocolOptions:
                "@type": type.googleapis.com/envoy.extensions.upstreams.http.v3.HttpProtocolOptions
                explicit_http_config: { http2_protocol_options: {} }
            load_assignment:
              cluster_name: xds
              endpoints:
              - lb_endpoints:
                - endpoint: { address: { socket_address: { address: 127.0.0.1, port_value: %d } } }
        """.formatted(workload, workload, xdsPort);
    var loaded = BootstrapLoader.parse(yaml, workload + ".yaml");
    Sidecar s = Sidecar.start(loaded.config(), loaded.bootstrap(), new Sidecar.Options(1, true, Duration.ofSeconds(1)),
        secrets);
    sidecars.put(workload, s);
    return s;
  }

  /**
   * One HTTP/1.1 request (Connection: close) on a plain socket to {@code address:port} with
   * {@code host}; returns the whole response as text.
   */
  static String exchange(String address, int port, String host, String path) throws IOException {
    return exchange(address, port, host, path, "");
  }

  /** As {@link #exchange(String, int, String, String)} with {@code extraHeaders} ("Name: value\r\n" each). */
  static String exchange(String address, int port, String host, String path, String extraHeaders) throws IOException {
    try (Socket s = new Socket()) {
      s.connect(new InetSocketAddress(address, port), 2000);
      s.setSoTimeout(5000);
      OutputStream out = s.getOutputStream();
      out.write(("GET " + path + " HTTP/1.1\r\nHost: " + host + "\r\nConnection: close\r\n" + extraHeaders + "\r\n")
          .getBytes(StandardCharsets.US_ASCII));
      out.flush();
      InputStream in = s.getInputStream();
      return new String(in.readAllBytes(), StandardCharsets.ISO_8859_1);
    }
  }

  @Override
  public void close() throws Exception {
    for (Sidecar s : sidecars.values()) {
      s.close();
    }
    if (controlPlane != null) {
      stopControlPlane();
    }
    for (int i = closeables.size() - 1; i >= 0; i--) {
      closeables.get(i).close();
    }
  }

  static int freePort() throws IOException {
    try (ServerSocket s = new ServerSocket(0, 1, InetAddress.getLoopbackAddress())) {
      return s.getLocalPort();
    }
  }
}

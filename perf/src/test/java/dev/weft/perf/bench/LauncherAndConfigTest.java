package dev.weft.perf.bench;

import static org.assertj.core.api.Assertions.assertThat;

import java.io.IOException;
import java.nio.file.Files;
import java.nio.file.Path;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

class LauncherAndConfigTest {
  @TempDir
  Path dir;

  @Test
  void rebuildsTheProxyCommandFromTheLauncherScript() throws IOException {
    Path script = dir.resolve("weft");
    Files.writeString(script, """
        JVM_FLAGS=(
          --enable-native-access=ALL-UNNAMED   # comment
          -XX:+UseSerialGC
        )
        PROXY_HEAP=(${WEFT_PROXY_HEAP:--Xms16m -Xmx128m})
        export MALLOC_ARENA_MAX="${MALLOC_ARENA_MAX:-2}"
        """);
    WeftLaunch launch = WeftLaunch.fromScript(script, "/jdk/bin/java", "a.jar:lib/*");
    assertThat(launch.command()).startsWith("/jdk/bin/java", "--enable-native-access=ALL-UNNAMED", "-XX:+UseSerialGC")
        .endsWith("-cp", "a.jar:lib/*", WeftLaunch.MAIN_CLASS);
    if (System.getenv("WEFT_PROXY_HEAP") == null) {
      assertThat(launch.command()).contains("-Xms16m", "-Xmx128m");
    }
  }

  @Test
  void readsTheRealLauncherScript() throws IOException {
    Path root = Path.of(System.getProperty("user.dir")).getParent();
    assertThat(WeftLaunch.jvmFlags(Files.readString(root.resolve("weft")))).isNotEmpty().allMatch(f -> f.startsWith("-"));
  }

  @Test
  void parsesKernelCpuLists() {
    assertThat(CpuPinning.parseCpuList("0-2,5,7-8")).containsExactly(0, 1, 2, 5, 7, 8);
  }

  @Test
  void haproxyMaxconnFitsTheOpenFileLimit() {
    assertThat(PeerProxyPair.haproxyMaxconn(1024)).isEqualTo(384);
    assertThat(PeerProxyPair.haproxyMaxconn(1_048_576)).isEqualTo(4096);
    assertThat(PeerProxyPair.haproxyMaxconn(100)).isEqualTo(64);
  }

  @Test
  void mtlsSwitchWritesEnvoyTlsTransportSockets() throws Exception {
    var certs = new BenchCertificates.Files(Path.of("/c/ca.crt"), Path.of("/c/x.crt"), Path.of("/c/x.key"),
        Path.of("/c/x.pem"));
    String out = WeftPair.outboundBootstrap(1001, 1002, 1003, certs, WeftPair.Hop.MTLS_H2);
    String in = WeftPair.inboundBootstrap(1004, 1005, 1006, certs, WeftPair.Hop.MTLS_H2);
    assertThat(out).contains("UpstreamTlsContext", "envoy.transport_sockets.tls", "alpn_protocols: [\"h2\"]",
        "explicit_http_config", BenchCertificates.spiffeId("sidecar-in"));
    assertThat(in).contains("DownstreamTlsContext", "require_client_certificate: true",
        BenchCertificates.spiffeId("sidecar-out"));
    assertThat(WeftPair.outboundBootstrap(1001, 1002, 1003, null, WeftPair.Hop.H2C)).doesNotContain("transport_socket");
    assertThat(WeftPair.inboundBootstrap(1004, 1005, 1006, null, WeftPair.Hop.H2C)).doesNotContain("transport_socket")
        .contains("codec_type: HTTP2");
  }

  @Test
  void defaultHopKeepsTheDownstreamProtocolOverMutualTls() throws Exception {
    assertThat(WeftPair.Hop.parse("mtls")).isEqualTo(WeftPair.Hop.MTLS);
    var certs = new BenchCertificates.Files(Path.of("/c/ca.crt"), Path.of("/c/x.crt"), Path.of("/c/x.key"),
        Path.of("/c/x.pem"));
    String out = WeftPair.outboundBootstrap(1001, 1002, 1003, certs, WeftPair.Hop.MTLS);
    String in = WeftPair.inboundBootstrap(1004, 1005, 1006, certs, WeftPair.Hop.MTLS);
    assertThat(out).contains("use_downstream_protocol_config", "alpn_protocols: [\"h2\", \"http/1.1\"]")
        .doesNotContain("explicit_http_config");
    assertThat(in).contains("alpn_protocols: [\"h2\", \"http/1.1\"]", "codec_type: AUTO");
    // Both are bootstraps the sidecar accepts (the translator does not read the certificate files).
    var outConfig = dev.weft.proxy.bootstrap.BootstrapLoader.parse(out, "out.yaml").config();
    assertThat(outConfig.cluster("peer").protocol())
        .isEqualTo(dev.weft.proxy.config.ClusterConfig.UpstreamProtocol.DOWNSTREAM);
    dev.weft.proxy.bootstrap.BootstrapLoader.parse(in, "in.yaml");
  }
}

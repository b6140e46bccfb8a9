package dev.weft.controlplane;

import static org.assertj.core.api.Assertions.assertThat;
import static org.awaitility.Awaitility.await;

import dev.weft.controlplane.xds.AdsTestClient;
import io.envoyproxy.controlplane.cache.Resources;
import io.envoyproxy.envoy.config.cluster.v3.Cluster;
import io.envoyproxy.envoy.config.listener.v3.Listener;
import java.io.PrintWriter;
import java.io.StringWriter;
import java.net.InetSocketAddress;
import java.nio.file.Files;
import java.nio.file.Path;
import java.time.Duration;
import java.util.List;
import java.util.concurrent.atomic.AtomicInteger;
import java.util.regex.Matcher;
import java.util.regex.Pattern;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;
import picocli.CommandLine;

/** {@code weft control-plane --config DIR} as a user runs it: files in, xDS out, edits followed, errors printed. */
class ControlPlaneCommandIT {

  @TempDir
  Path dir;

  @Test
  void servesTheRegistryAndPoliciesOfTheConfigDirectoryAndFollowsEdits() throws Exception {
    Files.writeString(dir.resolve("registry.yaml"), """
        workloads:
        - {name: web, address: 127.0.0.21, labels: {app: web}}
        - {name: api-1, address: 127.0.0.22, labels: {app: api}}
        services:
        - {name: api, ports: [{name: http, port: 8080}], selector: {app: api}}
        """);
    Files.createDirectories(dir.resolve("policies"));
    ControlPlaneCommand command = new ControlPlaneCommand();
    StringWriter out = new StringWriter();
    StringWriter err = new StringWriter();
    CommandLine cl = new CommandLine(command).setOut(new PrintWriter(out, true)).setErr(new PrintWriter(err, true));
    AtomicInteger exit = new AtomicInteger(-1);
    Thread t = Thread.ofVirtual().start(() -> exit.set(cl.execute("--config", dir.toString(),
        "--address", "127.0.0.1:0", "--debounce", "50")));
    try {
      await().atMost(Duration.ofSeconds(30)).until(() -> out.toString().contains("xds listening on"));
      Matcher m = Pattern.compile("xds listening on 127.0.0.1:(\\d+)").matcher(out.toString());
      assertThat(m.find()).isTrue();
      InetSocketAddress xds = new InetSocketAddress("127.0.0.1", Integer.parseInt(m.group(1)));
      try (AdsTestClient web = new AdsTestClient(xds, "web.default")) {
        List<Listener> listeners = web.fetch(Resources.V3.LISTENER_TYPE_URL, List.of(), Listener.class);
        assertThat(listeners).extracting(l -> l.getAddress().getSocketAddress().getAddress()).contains("127.0.0.21");
        assertThat(web.fetch(Resources.V3.CLUSTER_TYPE_URL, List.of(), Cluster.class)).extracting(Cluster::getName)
            .contains("outbound|8080||api.default.svc.cluster.local");
      }

      // A policy file with an error is rejected with file, line, column, path, value and expectation.
      Files.writeString(dir.resolve("policies/api.yaml"), """
          apiVersion: weft.dev/v1alpha1
          kind: TrafficRoute
          metadata: {name: api}
          spec:
            service: api
            retries:
              attempts: -1
          """);
      await().atMost(Duration.ofSeconds(30)).untilAsserted(() -> assertThat(err.toString()).contains(
          "api.yaml:7:5: spec.retries.attempts: -1 (expected: >= 0)"));

      // A registry edit reaches a new stream.
      Files.writeString(dir.resolve("registry.yaml"), """
          workloads:
          - {name: web, address: 127.0.0.21, labels: {app: web}}
          services:
          - {name: api, ports: [{name: http, port: 8080}], endpoints: [{address: 127.0.0.30}]}
          - {name: cart, ports: [{name: http, port: 8081}], endpoints: [{address: 127.0.0.31}]}
          """);
      await().atMost(Duration.ofSeconds(30)).untilAsserted(() -> {
        try (AdsTestClient web = new AdsTestClient(xds, "web.default")) {
          assertThat(web.fetch(Resources.V3.CLUSTER_TYPE_URL, List.of(), Cluster.class)).extracting(Cluster::getName)
              .contains("outbound|8081||cart.default.svc.cluster.local");
        }
      });
    } finally {
      command.stopped.countDown();
      t.join(Duration.ofSeconds(10));
    }
    assertThat(exit.get()).isZero();
  }
}

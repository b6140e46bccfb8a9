package dev.weft.controlplane.policy;

import static org.assertj.core.api.Assertions.assertThat;

import java.io.PrintWriter;
import java.io.StringWriter;
import java.nio.file.Files;
import java.nio.file.Path;
import java.nio.file.Paths;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;
import picocli.CommandLine;

/** {@code weft policy validate}: exit codes and output, on the shipped examples and on broken files. */
class PolicyCommandTest {

  /** The repository's examples directory (tests run in the module directory). */
  private static final Path EXAMPLES = Paths.get("..", "examples").toAbsolutePath().normalize();

  private record Run(int exit, String out, String err) {}

  private static Run run(String... args) {
    StringWriter out = new StringWriter();
    StringWriter err = new StringWriter();
    CommandLine cl = PolicyCommand.commandLine();
    cl.setOut(new PrintWriter(out, true));
    cl.setErr(new PrintWriter(err, true));
    int exit = cl.execute(args);
    return new Run(exit, out.toString(), err.toString());
  }

  @Test
  void theShippedExamplesAreValid() {
    Run r = run("validate", "--registry", EXAMPLES.resolve("registry.yaml").toString(),
        EXAMPLES.resolve("policies").toString());
    assertThat(r.out()).isEqualTo("ok: 7 policies in 4 files\n");
    assertThat(r.exit()).isZero();
  }

  @Test
  void theResilienceExamplesAreAcceptedByTheSidecar() {
    Run r = run("validate", "--registry", EXAMPLES.resolve("registry.yaml").toString(),
        EXAMPLES.resolve("policies").toString(), EXAMPLES.resolve("policies/resilience").toString());
    assertThat(r.out()).isEqualTo("ok: 10 policies in 6 files\n");
    assertThat(r.exit()).isZero();
  }

  @Test
  void everyErrorIsPrintedAndTheExitCodeIsOne(@TempDir Path dir) throws Exception {
    Path reviews = dir.resolve("reviews.yaml");
    Files.writeString(reviews, """
        apiVersion: weft.dev/v1alpha1
        kind: TrafficRoute
        metadata:
          name: reviews
          namespace: shop
        spec:
          service: reviews
          routes:
          - match:
            - headers:
              - name: end-user
                exact: jason
            backends: [{subset: v2}]
            retries:
              attempts: -1
            timout: 1s
        """);
    Path mtls = dir.resolve("mtls.yaml");
    Files.writeString(mtls, """
        apiVersion: weft.dev/v1alpha1
        kind: MTLSPolicy
        metadata: {name: m, namespace: shop}
        spec: {mode: STRICTER}
        """);
    Run r = run("validate", reviews.toString(), mtls.toString());
    assertThat(r.exit()).isEqualTo(1);
    assertThat(r.out()).isEqualTo(
        reviews + ":15:7: spec.routes[0].retries.attempts: -1 (expected: >= 0)\n"
        + reviews + ":16:5: spec.routes[0].timout: unknown field (did you mean 'timeout'?) (expected one of: name, "
        + "match, backends, timeout, retries, fault, requestHeaders, responseHeaders, rewrite)\n"
        + mtls + ":4:8: spec.mode: 'STRICTER' (expected: one of STRICT, PERMISSIVE, DISABLE) (did you mean 'STRICT'?)\n");
    assertThat(r.err()).isEqualTo("3 errors in 2 files\n");
  }

  @Test
  void registryReferencesAreChecked(@TempDir Path dir) throws Exception {
    Path route = dir.resolve("route.yaml");
    Files.writeString(route, """
        apiVersion: weft.dev/v1alpha1
        kind: TrafficRoute
        metadata: {name: r}
        spec:
          service: reveiws
          routes:
          - backends: [{service: ratings, port: 8080}]
        """);
    Run r = run("validate", "--registry", EXAMPLES.resolve("registry.yaml").toString(), route.toString());
    assertThat(r.exit()).isEqualTo(1);
    assertThat(r.out()).isEqualTo(
        route + ":5:3: spec.service: 'reveiws' (expected: a service in namespace default: productpage, ratings, "
        + "reviews) (did you mean 'reviews'?)\n"
        + route + ":7:35: spec.routes[0].backends[0].port: 8080 (expected: a port of service 'ratings': 9090)\n");
  }

  @Test
  void withoutARegistryThePoliciesAreTranslatedForWorkloadsMadeFromThem(@TempDir Path dir) throws Exception {
    Path route = dir.resolve("route.yaml");
    Files.writeString(route, """
        apiVersion: weft.dev/v1alpha1
        kind: TrafficRoute
        metadata: {name: r, namespace: shop}
        spec:
          service: reviews
          routes:
          - match: [{path: {regex: "/api/.*"}}]
            backends: [{subset: v1, weight: 80}, {service: ratings, port: 9090, weight: 20}]
        ---
        apiVersion: weft.dev/v1alpha1
        kind: DestinationPolicy
        metadata: {name: d, namespace: shop}
        spec: {service: reviews, subsets: [{name: v1, labels: {version: v1}}]}
        ---
        apiVersion: weft.dev/v1alpha1
        kind: AuthorizationPolicy
        metadata: {name: a, namespace: shop}
        spec: {selector: {matchLabels: {app: x}}, rules: [{from: [{namespaces: [shop]}]}]}
        """);
    var policies = PolicyLoader.loadFiles(java.util.List.of(route)).policies();
    var registry = PolicyCommand.synthesize(policies);
    assertThat(registry.services()).extracting(s -> s.namespace() + "/" + s.name() + s.ports().stream()
        .map(p -> ":" + p.port()).toList()).containsExactly("shop/ratings[:9090]", "shop/reviews[:80]",
        "shop/selected-3[:80]");
    assertThat(registry.workloads()).extracting(w -> w.name() + " " + new java.util.TreeMap<>(w.labels())).containsExactly(
        "ratings-1 {app=ratings}", "reviews-2 {app=reviews, version=v1}", "selected-3 {app=x}");
    Run r = run("validate", route.toString());
    assertThat(r.out()).isEqualTo("ok: 3 policies in 1 file\n");
    assertThat(r.exit()).isZero();
  }

  @Test
  void usageErrorsExitWithTwo(@TempDir Path dir) {
    assertThat(run("validate").exit()).isEqualTo(2);
    Run missing = run("validate", dir.resolve("nope.yaml").toString());
    assertThat(missing.exit()).isEqualTo(2);
    assertThat(missing.err()).contains("nope.yaml: no such file or directory");
    assertThat(run().exit()).isEqualTo(2);
  }
}

package dev.weft.controlplane;

import dev.weft.certs.TrustDomain;
import dev.weft.controlplane.ca.Authenticator;
import dev.weft.controlplane.ca.BootstrapTokenAuthenticator;
import dev.weft.controlplane.ca.CaMaterial;
import dev.weft.controlplane.ca.CaServer;
import dev.weft.controlplane.ca.KubernetesTokenAuthenticator;
import dev.weft.controlplane.discovery.KubernetesDiscovery;
import dev.weft.controlplane.discovery.PathWatcher;
import dev.weft.controlplane.discovery.PolicyDirectory;
import dev.weft.controlplane.discovery.PolicyStatusWriter;
import dev.weft.controlplane.discovery.RegistryFile;
import dev.weft.controlplane.policy.PolicyError;
import dev.weft.controlplane.policy.PolicyLoad;
import dev.weft.controlplane.policy.PolicyLoader;
import dev.weft.controlplane.policy.PolicySet;
import dev.weft.controlplane.translate.MeshOptions;
import dev.weft.controlplane.translate.MeshTranslator;
import dev.weft.controlplane.xds.ControlPlane;
import dev.weft.controlplane.xds.XdsServer;
import io.fabric8.kubernetes.client.KubernetesClient;
import io.fabric8.kubernetes.client.KubernetesClientBuilder;
import java.io.IOException;
import java.io.PrintWriter;
import java.net.InetAddress;
import java.net.InetSocketAddress;
import java.nio.file.Files;
import java.nio.file.Path;
import java.time.Clock;
import java.time.Duration;
import java.util.ArrayList;
import java.util.HashMap;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Map;
import java.util.Optional;
import java.util.Set;
import java.util.TreeMap;
import java.util.concurrent.Callable;
import java.util.concurrent.CountDownLatch;
import java.util.concurrent.ExecutorService;
import java.util.concurrent.Executors;
import java.util.concurrent.atomic.AtomicBoolean;
import org.slf4j.Logger;
import org.slf4j.LoggerFactory;
import picocli.CommandLine;
import picocli.CommandLine.Command;
import picocli.CommandLine.Option;

/**
 * {@code weft control-plane}: discovery, translation and the ADS server, with the CA.
 *
 * <pre>
 * weft control-plane --config DIR            # local: DIR/registry.yaml, DIR/policies/, DIR/ca/ + DIR/tokens.yaml
 * weft control-plane --kubernetes [--ca DIR] # informers on the cluster of the current kubeconfig (or in-cluster)
 * </pre>
 *
 * <p>xDS (state of the world and delta) is served in plaintext on {@code --address} (15010); when
 * a CA is configured, the CA service and the same ADS service are served over TLS on {@code
 * --ca-address} (15012): the CA's callers authenticate with bearer tokens, which must not travel in
 * the clear. Exit codes: 0 stopped, 1 failure, 2 usage error.
 */
@Command(name = "control-plane", mixinStandardHelpOptions = true,
    description = "Run the Weft control plane: service discovery, policy translation, the xDS server and the CA.")
public final class ControlPlaneCommand implements Callable<Integer> {

  private static final Logger log = LoggerFactory.getLogger(ControlPlaneCommand.class);

  /** The policy kinds' CRD plural names (as in {@code deploy/crds/}; {@code CrdSchemaTest} checks them). */
  public static final Map<String, String> POLICY_PLURALS = dev.weft.controlplane.policy.PolicyLoader.PLURALS;

  @Option(names = "--config", paramLabel = "DIR",
      description = "Local mode: directory with registry.yaml, policies/ and optionally ca/ and tokens.yaml.")
  Path config;

  @Option(names = "--kubernetes", description = "Kubernetes mode: discover services and policies from the cluster.")
  boolean kubernetes;

  @Option(names = "--ca", paramLabel = "DIR", description = "CA directory (default: <config>/ca when it exists).")
  Path ca;

  @Option(names = "--address", defaultValue = "127.0.0.1:15010", description = "xDS address, plaintext (default: ${DEFAULT-VALUE}).")
  String address;

  @Option(names = "--ca-address", defaultValue = "127.0.0.1:15012",
      description = "CA + xDS address over TLS (default: ${DEFAULT-VALUE}).")
  String caAddress;

  @Option(names = "--trust-domain", defaultValue = "cluster.local", description = "Trust domain (default: ${DEFAULT-VALUE}).")
  String trustDomain;

  @Option(names = "--debounce", defaultValue = "100", description = "Milliseconds to gather changes before pushing (default: ${DEFAULT-VALUE}).")
  long debounceMillis;

  @CommandLine.Spec
  CommandLine.Model.CommandSpec spec;

  /** Counted down by the shutdown hook (or a test) to stop. */
  final CountDownLatch stopped = new CountDownLatch(1);

  /** Runs {@code weft control-plane} and exits with its status. */
  public static void main(String[] args) {
    System.exit(commandLine().execute(args));
  }

  /** The configured command line, for embedding and tests. */
  public static CommandLine commandLine() {
    CommandLine cl = new CommandLine(new ControlPlaneCommand());
    cl.setExecutionExceptionHandler((e, c, parsed) -> {
      c.getErr().println("weft control-plane: " + e.getMessage());
      return 1;
    });
    return cl;
  }

  @Override
  public Integer call() throws Exception {
    PrintWriter err = spec.commandLine().getErr();
    if ((config == null) == !kubernetes) {
      err.println("weft control-plane: give exactly one of --config DIR and --kubernetes");
      return 2;
    }
    MeshOptions options = kubernetes ? MeshOptions.kubernetes(trustDomain) : MeshOptions.local(trustDomain);
    List<AutoCloseable> closeables = new ArrayList<>();
    try {
      ControlPlane cp = new ControlPlane((p, r, n) -> MeshTranslator.translate(p, r, n, options),
          MeshTranslator::validate, Duration.ofMillis(debounceMillis));
      closeables.add(cp);
      XdsServer xds = cp.serve(XdsServer.builder().address(parseAddress(address)));
      PrintWriter out = spec.commandLine().getOut();
      out.println("xds listening on " + xds.address().getAddress().getHostAddress() + ":" + xds.address().getPort());
      Path caDir = ca != null ? ca : config != null && Files.isDirectory(config.resolve("ca")) ? config.resolve("ca") : null;
      KubernetesClient client = kubernetes ? new KubernetesClientBuilder().build() : null;
      if (client != null) {
        closeables.add(client);
      }
      if (caDir != null) {
        CaMaterial material = CaMaterial.load(caDir);
        TrustDomain domain = TrustDomain.of(trustDomain);
        Authenticator auth = kubernetes ? new KubernetesTokenAuthenticator(client, domain, List.of("weft-ca"))
            : new BootstrapTokenAuthenticator(config.resolve("tokens.yaml"), domain);
        CaServer caServer = CaServer.builder(material, auth).address(parseAddress(caAddress)).trustDomain(domain)
            .addService(xds.service()).start();
        closeables.add(caServer);
        out.println("ca + xds (TLS) listening on " + caServer.address().getAddress().getHostAddress() + ":"
            + caServer.address().getPort());
      }
      if (kubernetes) {
        closeables.add(startKubernetes(cp, client));
      } else {
        closeables.addAll(startLocal(cp, config, err));
      }
      out.flush();
      Runtime.getRuntime().addShutdownHook(new Thread(stopped::countDown, "weft-control-plane-shutdown"));
      stopped.await();
      return 0;
    } finally {
      for (int i = closeables.size() - 1; i >= 0; i--) {
        try {
          closeables.get(i).close();
        } catch (Exception e) {
          log.warn("closing: {}", e.toString());
        }
      }
    }
  }

  /** Local mode: the registry file and the policy directory, each watched. */
  static List<AutoCloseable> startLocal(ControlPlane cp, Path config, PrintWriter err) throws IOException {
    Path registryFile = config.resolve("registry.yaml");
    Path policyDir = config.resolve("policies");
    Files.createDirectories(policyDir);
    PolicyDirectory policies = new PolicyDirectory(policyDir);
    Runnable loadPolicies = () -> {
      PolicyDirectory.Result r = policies.reload();
      for (PolicyError e : r.errors()) {
        err.println("policy rejected: " + e);
      }
      err.flush();
      cp.policies(r.policies());
    };
    Runnable loadRegistry = () -> {
      try {
        cp.registry(RegistryFile.load(registryFile));
      } catch (RegistryFile.InvalidRegistryException e) {
        e.errors().forEach(m -> err.println("registry rejected (keeping the last good one): " + m));
        err.flush();
      } catch (IOException e) {
        err.println("registry: cannot read " + registryFile + ": " + e.getMessage());
        err.flush();
      }
    };
    cp.runtimeErrors(errorsByNode -> errorsByNode.forEach((node, errors) -> errors.forEach(m ->
        err.println("node " + node + ": " + m + " (policies: " + cp.policiesNamedIn(node, m) + ")"))));
    loadPolicies.run();
    loadRegistry.run();
    // Each watcher reloads on its own thread, in the order it saw the changes (see PathWatcher).
    PathWatcher pw = PathWatcher.start(List.of(policyDir), Duration.ofSeconds(2), loadPolicies);
    PathWatcher rw = PathWatcher.start(List.of(registryFile), Duration.ofSeconds(2), loadRegistry);
    return List.of(pw, rw);
  }

  /**
   * Kubernetes mode: informers feed the registry and the policies; every policy resource gets an
   * Accepted condition (Invalid with the message when its YAML, the translation or a sidecar
   * rejected it). A resource with an error keeps its last good version in force.
   */
  public static AutoCloseable startKubernetes(ControlPlane cp, KubernetesClient client) {
    KubernetesPolicies state = new KubernetesPolicies(cp, new PolicyStatusWriter(client, POLICY_PLURALS, Clock.systemUTC()));
    KubernetesDiscovery discovery = KubernetesDiscovery.start(client, POLICY_PLURALS, Duration.ofMinutes(10),
        state::changed);
    state.discovery = discovery;
    cp.runtimeErrors(state::runtimeErrors);
    state.changed();
    return () -> {
      discovery.close();
      state.executor.shutdownNow();
    };
  }

  /** Kubernetes-mode policy state: last good versions and status conditions (blocking work on its own thread). */
  static final class KubernetesPolicies {
    final ExecutorService executor = Executors.newSingleThreadExecutor(Thread.ofVirtual().name("weft-k8s-sync").factory());
    private final ControlPlane cp;
    private final PolicyStatusWriter status;
    private final AtomicBoolean pending = new AtomicBoolean();
    private final Map<String, String> lastGood = new HashMap<>();
    private volatile Map<String, List<String>> runtime = Map.of();
    private Map<String, String> parseErrors = Map.of();
    private List<KubernetesDiscovery.PolicyResource> resources = List.of();
    volatile KubernetesDiscovery discovery;

    KubernetesPolicies(ControlPlane cp, PolicyStatusWriter status) {
      this.cp = cp;
      this.status = status;
    }

    void changed() {
      if (pending.compareAndSet(false, true)) {
        executor.execute(() -> {
          pending.set(false);
          try {
            sync();
          } catch (RuntimeException e) {
            log.error("Kubernetes sync failed", e);
          }
        });
      }
    }

    void runtimeErrors(Map<String, List<String>> byNode) {
      Map<String, List<String>> byPolicy = new TreeMap<>();
      byNode.forEach((node, errors) -> errors.forEach(m -> cp.policiesNamedIn(node, m).forEach(p ->
          byPolicy.computeIfAbsent(p, k -> new ArrayList<>()).add("node " + node + ": " + m))));
      runtime = byPolicy;
      executor.execute(this::writeStatuses);
    }

    private void sync() {
      KubernetesDiscovery d = discovery;
      if (d == null) {
        return;
      }
      cp.registry(d.registry());
      resources = d.policies();
      PolicyLoad load = parse(resources, Map.of());
      Map<String, String> errors = new LinkedHashMap<>();
      for (PolicyError e : load.errors()) {
        String id = e.resource().isEmpty() ? e.source() : e.resource();
        errors.merge(id, e.path() + ": " + e.message(), (a, b) -> a + "; " + b);
      }
      parseErrors = errors;
      PolicySet effective = load.policies();
      if (!errors.isEmpty()) {
        Map<String, String> substitutes = new HashMap<>();
        errors.keySet().forEach(id -> Optional.ofNullable(lastGood.get(id)).ifPresent(j -> substitutes.put(id, j)));
        PolicyLoad withLastGood = parse(resources, substitutes);
        if (withLastGood.errors().stream().allMatch(e -> errors.containsKey(e.resource()) && !substitutes.containsKey(e.resource()))) {
          effective = withLastGood.policies();
        }
      }
      for (KubernetesDiscovery.PolicyResource r : resources) {
        if (!errors.containsKey(r.id())) {
          lastGood.put(r.id(), r.json());
        }
      }
      lastGood.keySet().retainAll(resources.stream().map(KubernetesDiscovery.PolicyResource::id).toList());
      cp.policies(effective);
      writeStatuses();
    }

    /** All policy resources in one load (references between them are checked), some replaced by their last good text. */
    private static PolicyLoad parse(List<KubernetesDiscovery.PolicyResource> resources, Map<String, String> substitutes) {
      if (resources.isEmpty()) {
        return new PolicyLoad(PolicySet.EMPTY, List.of());
      }
      StringBuilder all = new StringBuilder();
      for (KubernetesDiscovery.PolicyResource r : resources) {
        all.append("---\n").append(substitutes.getOrDefault(r.id(), r.json())).append('\n');
      }
      return PolicyLoader.parse(all.toString(), "kubernetes");
    }

    private void writeStatuses() {
      Map<String, List<String>> rt = runtime;
      for (KubernetesDiscovery.PolicyResource r : resources) {
        String message = parseErrors.get(r.id());
        if (message == null && rt.containsKey(r.id())) {
          message = String.join("; ", Set.copyOf(rt.get(r.id())));
        }
        status.write(r.kind(), r.namespace(), r.name(), message);
      }
    }
  }

  /** Parses {@code HOST:PORT}. */
  static InetSocketAddress parseAddress(String text) throws IOException {
    int colon = text.lastIndexOf(':');
    if (colon <= 0) {
      throw new IllegalArgumentException("address \"" + text + "\" (expected: HOST:PORT such as 127.0.0.1:15010)");
    }
    String host = text.substring(0, colon).replace("[", "").replace("]", "");
    return new InetSocketAddress(InetAddress.getByName(host), Integer.parseInt(text.substring(colon + 1)));
  }
}

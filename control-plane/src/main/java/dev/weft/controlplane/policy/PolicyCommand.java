package dev.weft.controlplane.policy;

import dev.weft.controlplane.discovery.Endpoint;
import dev.weft.controlplane.discovery.Locality;
import dev.weft.controlplane.discovery.RegistryFile;
import dev.weft.controlplane.discovery.RegistrySnapshot;
import dev.weft.controlplane.discovery.Service;
import dev.weft.controlplane.discovery.ServicePort;
import dev.weft.controlplane.discovery.Workload;
import dev.weft.controlplane.translate.MeshOptions;
import dev.weft.controlplane.translate.MeshTranslator;
import dev.weft.controlplane.translate.ProxyNode;
import dev.weft.controlplane.translate.XdsResources;
import java.io.IOException;
import java.io.PrintWriter;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.ArrayList;
import java.util.LinkedHashMap;
import java.util.LinkedHashSet;
import java.util.List;
import java.util.Map;
import java.util.Set;
import java.util.TreeMap;
import java.util.concurrent.Callable;
import java.util.stream.Stream;
import picocli.CommandLine;
import picocli.CommandLine.Command;
import picocli.CommandLine.Option;
import picocli.CommandLine.Parameters;

/**
 * {@code weft policy}: work with traffic-policy files.
 *
 * <pre>
 * weft policy validate [--registry FILE] [--trust-domain TD] FILE|DIR...
 * </pre>
 *
 * <p>{@code validate} checks every document (fields, values, references between policies), then
 * translates the policies for every workload and runs the result through the sidecar's own
 * config translator, so a policy that would be NACKed is caught here. With {@code --registry}
 * (the local registry file of {@code weft control-plane}) it also checks that the services and
 * ports the policies name exist, and translates for the registry's workloads; without it, for a
 * registry made from the policies themselves (each named service with port 80, one workload per
 * subset and per selector). Exit codes: 0 valid, 1 errors found (each printed), 2 usage error.
 */
@Command(name = "policy", mixinStandardHelpOptions = true,
    description = "Traffic policies: validate policy files.",
    subcommands = {PolicyCommand.Validate.class})
public final class PolicyCommand implements Callable<Integer> {

  @CommandLine.Spec
  CommandLine.Model.CommandSpec spec;

  /** Runs {@code weft policy} with the given arguments and exits with its status. */
  public static void main(String[] args) {
    System.exit(commandLine().execute(args));
  }

  /** The configured command line, for embedding and tests. */
  public static CommandLine commandLine() {
    CommandLine commandLine = new CommandLine(new PolicyCommand());
    commandLine.setExecutionExceptionHandler((e, cl, parsed) -> {
      cl.getErr().println("weft policy " + cl.getCommandName() + ": " + e.getMessage());
      return 1;
    });
    return commandLine;
  }

  @Override
  public Integer call() {
    spec.commandLine().usage(spec.commandLine().getErr());
    return 2;
  }

  /** {@code weft policy validate}. */
  @Command(name = "validate", mixinStandardHelpOptions = true,
      description = "Check policy files (YAML or JSON; directories: every .yaml/.yml/.json in them). "
          + "Prints every error as file:line:column: field.path: value (expected: ...) and exits 1 if any.")
  static final class Validate implements Callable<Integer> {

    @CommandLine.Spec
    CommandLine.Model.CommandSpec spec;

    @Parameters(arity = "1..*", paramLabel = "FILE|DIR", description = "Policy files or directories.")
    List<Path> paths;

    @Option(names = "--registry", paramLabel = "FILE",
        description = "Local registry file: also check the services and ports the policies name.")
    Path registry;

    @Option(names = "--trust-domain", paramLabel = "TD", defaultValue = "cluster.local",
        description = "Trust domain when no MeshConfig sets one (default: ${DEFAULT-VALUE}).")
    String trustDomain;

    @Override
    public Integer call() throws IOException {
      PrintWriter out = spec.commandLine().getOut();
      PrintWriter err = spec.commandLine().getErr();
      List<Path> files = new ArrayList<>();
      for (Path p : paths) {
        if (Files.isDirectory(p)) {
          try (Stream<Path> s = Files.list(p)) {
            s.filter(Files::isRegularFile).filter(PolicyLoader::isPolicyFile).sorted().forEach(files::add);
          }
        } else if (Files.isRegularFile(p)) {
          files.add(p);
        } else {
          err.println("weft policy validate: " + p + ": no such file or directory");
          return 2;
        }
      }
      PolicyLoad load = PolicyLoader.loadFiles(files);
      List<String> problems = new ArrayList<>();
      load.errors().forEach(e -> problems.add(e.toString()));

      RegistrySnapshot snapshot;
      if (registry != null) {
        try {
          snapshot = RegistryFile.load(registry);
        } catch (RegistryFile.InvalidRegistryException e) {
          e.errors().forEach(problems::add);
          snapshot = null;
        }
        if (snapshot != null) {
          PolicyReferences.check(load.policies(), snapshot).forEach(e -> problems.add(e.toString()));
        }
      } else {
        snapshot = synthesize(load.policies());
      }
      if (snapshot != null) {
        problems.addAll(translationProblems(load.policies(), snapshot, MeshOptions.local(trustDomain)));
      }
      problems.forEach(out::println);
      int documents = load.policies().trafficRoutes().size() + load.policies().destinationPolicies().size()
          + load.policies().mtlsPolicies().size() + load.policies().authorizationPolicies().size()
          + (load.policies().mesh().meta() != null ? 1 : 0);
      if (problems.isEmpty()) {
        out.println("ok: " + documents + " polic" + (documents == 1 ? "y" : "ies") + " in " + files.size()
            + " file" + (files.size() == 1 ? "" : "s"));
        return 0;
      }
      err.println(problems.size() + " error" + (problems.size() == 1 ? "" : "s") + " in " + files.size() + " file"
          + (files.size() == 1 ? "" : "s"));
      return 1;
    }
  }

  /**
   * Translates the policies for every workload of {@code registry} and runs each result through
   * the sidecar's translator; each problem is reported on the policy it comes from.
   */
  static List<String> translationProblems(PolicySet policies, RegistrySnapshot registry, MeshOptions options) {
    Map<String, PolicyMeta> metas = new LinkedHashMap<>();
    policies.trafficRoutes().forEach(t -> metas.put(t.meta().resource(), t.meta()));
    policies.destinationPolicies().forEach(d -> metas.put(d.meta().resource(), d.meta()));
    Set<String> seen = new LinkedHashSet<>();
    List<String> out = new ArrayList<>();
    for (Workload w : registry.workloads()) {
      ProxyNode node = new ProxyNode(w.name() + "." + w.namespace(), w.namespace(), w.name());
      XdsResources resources = MeshTranslator.translate(policies, registry, node, options);
      for (MeshTranslator.Rejection r : MeshTranslator.check(resources)) {
        PolicyMeta meta = metas.get(r.policy());
        String line = meta != null
            ? meta.error("spec", "the sidecar would reject its translation: " + r.message()).toString()
            : "sidecar " + node.id() + ": the sidecar would reject its configuration: " + r.message();
        // The same problem usually shows for every workload: report it once.
        if (seen.add(meta != null ? line : r.message())) {
          out.add(line);
        }
      }
    }
    return out;
  }

  /**
   * A registry in which every service the policies name exists (port 80, or the ports backends
   * name), with one workload per subset and one per workload selector, so that every policy is
   * translated at least once.
   */
  static RegistrySnapshot synthesize(PolicySet policies) {
    Map<String, Set<Integer>> services = new TreeMap<>();
    for (TrafficRoute t : policies.trafficRoutes()) {
      services.computeIfAbsent(t.meta().namespace() + "/" + t.service(), k -> new LinkedHashSet<>());
      for (TrafficRoute.HttpRoute r : t.routes()) {
        for (TrafficRoute.Backend b : r.backends()) {
          Set<Integer> ports = services.computeIfAbsent(t.meta().namespace() + "/" + b.service(),
              k -> new LinkedHashSet<>());
          if (b.port() != 0) {
            ports.add(b.port());
          }
        }
      }
    }
    policies.destinationPolicies().forEach(d ->
        services.computeIfAbsent(d.meta().namespace() + "/" + d.service(), k -> new LinkedHashSet<>()));
    List<Workload> workloads = new ArrayList<>();
    List<Service> out = new ArrayList<>();
    int[] next = {1};
    for (Map.Entry<String, Set<Integer>> e : services.entrySet()) {
      String ns = e.getKey().substring(0, e.getKey().indexOf('/'));
      String name = e.getKey().substring(e.getKey().indexOf('/') + 1);
      List<Map<String, String>> labelSets = new ArrayList<>();
      policies.destinationPolicy(ns, name).ifPresent(d -> d.subsets().forEach(s -> labelSets.add(s.labels())));
      if (labelSets.isEmpty()) {
        labelSets.add(Map.of());
      }
      List<Endpoint> endpoints = new ArrayList<>();
      for (Map<String, String> labels : labelSets) {
        Map<String, String> all = new TreeMap<>(labels);
        all.putIfAbsent("app", name);
        Workload w = new Workload(ns, name + "-" + next[0], name, address(next[0]++), all, Locality.UNKNOWN);
        workloads.add(w);
        endpoints.add(new Endpoint(w.address(), w.name(), all, w.locality(), w.serviceAccount(), true, true, false));
      }
      Set<Integer> ports = e.getValue().isEmpty() ? Set.of(80) : e.getValue();
      out.add(new Service(ns, name, ports.stream().map(p -> new ServicePort("http-" + p, p, p,
          ServicePort.AppProtocol.HTTP)).toList(), endpoints));
    }
    // Workloads the mTLS and authorization selectors pick, each backing a service of its own.
    List<Map.Entry<String, Map<String, String>>> selectors = new ArrayList<>();
    policies.mtlsPolicies().forEach(m -> selectors.add(Map.entry(m.meta().namespace(), m.selector())));
    policies.authorizationPolicies().forEach(a -> selectors.add(Map.entry(a.meta().namespace(), a.selector())));
    for (var s : selectors) {
      String name = "selected-" + next[0];
      Workload w = new Workload(s.getKey(), name, name, address(next[0]++), s.getValue(), Locality.UNKNOWN);
      workloads.add(w);
      out.add(new Service(s.getKey(), name, List.of(new ServicePort("http", 80, 8080, ServicePort.AppProtocol.HTTP)),
          List.of(new Endpoint(w.address(), w.name(), w.labels(), w.locality(), w.serviceAccount(), true, true,
              false))));
    }
    return new RegistrySnapshot(out, workloads);
  }

  private static String address(int i) {
    return "127.0." + (1 + i / 250) + "." + (1 + i % 250);
  }
}

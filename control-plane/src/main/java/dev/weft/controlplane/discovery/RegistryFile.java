package dev.weft.controlplane.discovery;

import dev.weft.controlplane.discovery.ServicePort.AppProtocol;
import java.io.IOException;
import java.net.InetAddress;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.ArrayList;
import java.util.Comparator;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Locale;
import java.util.Map;
import java.util.Optional;
import java.util.Set;
import org.snakeyaml.engine.v2.api.LoadSettings;
import org.snakeyaml.engine.v2.composer.Composer;
import org.snakeyaml.engine.v2.exceptions.Mark;
import org.snakeyaml.engine.v2.exceptions.MarkedYamlEngineException;
import org.snakeyaml.engine.v2.exceptions.YamlEngineException;
import org.snakeyaml.engine.v2.nodes.MappingNode;
import org.snakeyaml.engine.v2.nodes.Node;
import org.snakeyaml.engine.v2.nodes.NodeTuple;
import org.snakeyaml.engine.v2.nodes.ScalarNode;
import org.snakeyaml.engine.v2.nodes.SequenceNode;
import org.snakeyaml.engine.v2.parser.ParserImpl;
import org.snakeyaml.engine.v2.scanner.StreamReader;

/**
 * The local-mode service registry: a YAML file of workloads and services, read into a {@link
 * RegistrySnapshot} (the same snapshot the Kubernetes informers produce).
 *
 * <pre>{@code
 * workloads:                        # every process that runs a sidecar (node id <name>.<namespace>)
 * - name: reviews-v1
 *   namespace: default              # default: default
 *   address: 127.0.0.11             # its own loopback address: sidecar listeners and the app bind it
 *   serviceAccount: reviews         # default: default; identity spiffe://<td>/ns/<namespace>/sa/<serviceAccount>
 *   labels: {app: reviews, version: v1}
 *   locality: {region: eu, zone: eu-1a, subZone: rack1}
 *   ready: true                     # default true; false: its endpoints get no traffic yet (its sidecar gets its config)
 * services:
 * - name: reviews
 *   namespace: default
 *   ports:
 *   - {name: http, port: 9080, targetPort: 9080, protocol: HTTP}   # HTTP | HTTP2 | GRPC | TCP
 *   selector: {app: reviews}        # endpoints: the workloads whose labels match (as Kubernetes does)
 *   endpoints:                      # optional: more endpoints by hand
 *   - {address: 127.0.0.20, labels: {version: v3}, serviceAccount: reviews, ready: true}
 * }</pre>
 *
 * <p>Unknown fields are errors, so a typo never silently means a default. Every error names the
 * file, line, column and field path: {@code registry.yaml:7:11: workloads[0].address: "x" (expected: an IP address)}.
 */
public final class RegistryFile {

  private static final Set<String> TOP = Set.of("workloads", "services");
  private static final Set<String> WORKLOAD = Set.of("name", "namespace", "address", "serviceAccount", "labels", "locality",
      "ready");
  private static final Set<String> SERVICE = Set.of("name", "namespace", "ports", "selector", "endpoints");
  private static final Set<String> PORT = Set.of("name", "port", "targetPort", "protocol");
  private static final Set<String> ENDPOINT = Set.of("address", "workload", "labels", "locality", "serviceAccount",
      "ready", "serving", "terminating");
  private static final Set<String> LOCALITY = Set.of("region", "zone", "subZone");

  private final String source;
  private final List<String> errors = new ArrayList<>();
  private final Set<String> notReady = new java.util.HashSet<>();

  private RegistryFile(String source) {
    this.source = source;
  }

  /** A registry file that could not be read: every problem found, in file order. */
  public static final class InvalidRegistryException extends Exception {
    private final List<String> errors;

    InvalidRegistryException(List<String> errors) {
      super(String.join("\n", errors));
      this.errors = List.copyOf(errors);
    }

    /** Each error as {@code file:line:column: path: message}. */
    public List<String> errors() {
      return errors;
    }
  }

  /** Reads and validates {@code file}. */
  public static RegistrySnapshot load(Path file) throws IOException, InvalidRegistryException {
    return parse(Files.readString(file), file.getFileName().toString());
  }

  /** Parses registry YAML; {@code source} names it in errors. */
  public static RegistrySnapshot parse(String yaml, String source) throws InvalidRegistryException {
    RegistryFile parser = new RegistryFile(source);
    RegistrySnapshot snapshot = parser.read(yaml);
    if (!parser.errors.isEmpty()) {
      throw new InvalidRegistryException(parser.errors.stream().sorted(Comparator
          .comparingInt((String e) -> position(e, 1)).thenComparingInt(e -> position(e, 2))).toList());
    }
    return snapshot;
  }

  /** Line ({@code part} 1) or column (2) of a formatted error. */
  private static int position(String error, int part) {
    String[] parts = error.split(":", 4);
    try {
      return Integer.parseInt(parts[part]);
    } catch (RuntimeException e) {
      return 0;
    }
  }

  private RegistrySnapshot read(String yaml) {
    Optional<Node> root;
    try {
      LoadSettings settings = LoadSettings.builder().setLabel(source).build();
      root = new Composer(settings, new ParserImpl(settings, new StreamReader(settings, yaml))).getSingleNode();
    } catch (MarkedYamlEngineException e) {
      Mark m = e.getProblemMark().orElse(null);
      errors.add(source + ":" + (m == null ? "0:0" : (m.getLine() + 1) + ":" + (m.getColumn() + 1))
          + ": invalid YAML: " + e.getProblem());
      return RegistrySnapshot.EMPTY;
    } catch (YamlEngineException e) {
      errors.add(source + ":0:0: invalid YAML: " + e.getMessage());
      return RegistrySnapshot.EMPTY;
    }
    if (root.isEmpty() || isNull(root.get())) {
      return RegistrySnapshot.EMPTY;
    }
    Map<String, Node> top = mapping(root.get(), "", TOP);
    if (top == null) {
      return RegistrySnapshot.EMPTY;
    }
    List<Workload> workloads = new ArrayList<>();
    forEach(top.get("workloads"), "workloads", (n, path) -> {
      Workload w = workload(n, path);
      if (w != null) {
        if (workloads.stream().anyMatch(o -> o.namespace().equals(w.namespace()) && o.name().equals(w.name()))) {
          error(n, path + ".name", quote(w.name()) + " (expected: unique per namespace)");
        } else {
          workloads.add(w);
        }
      }
    });
    workloads.sort(Comparator.comparing(Workload::namespace).thenComparing(Workload::name));
    List<Service> services = new ArrayList<>();
    forEach(top.get("services"), "services", (n, path) -> {
      Service s = service(n, path, workloads);
      if (s != null) {
        if (services.stream().anyMatch(o -> o.namespace().equals(s.namespace()) && o.name().equals(s.name()))) {
          error(n, path + ".name", quote(s.name()) + " (expected: unique per namespace)");
        } else {
          services.add(s);
        }
      }
    });
    services.sort(Comparator.comparing(Service::namespace).thenComparing(Service::name));
    return new RegistrySnapshot(services, workloads);
  }

  private Workload workload(Node node, String path) {
    Map<String, Node> m = mapping(node, path, WORKLOAD);
    if (m == null) {
      return null;
    }
    String name = requiredName(m, node, path);
    String namespace = optionalName(m, path, "namespace", "default");
    String address = address(m.get("address"), node, path + ".address", true);
    String sa = optionalName(m, path, "serviceAccount", "default");
    Map<String, String> labels = labels(m.get("labels"), path + ".labels");
    Locality locality = locality(m.get("locality"), path + ".locality");
    if (!bool(m.get("ready"), path + ".ready", true) && name != null) {
      notReady.add(namespace + "/" + name);
    }
    if (name == null || address == null) {
      return null;
    }
    return new Workload(namespace, name, sa, address, labels, locality);
  }

  private Service service(Node node, String path, List<Workload> workloads) {
    Map<String, Node> m = mapping(node, path, SERVICE);
    if (m == null) {
      return null;
    }
    String name = requiredName(m, node, path);
    String namespace = optionalName(m, path, "namespace", "default");
    List<ServicePort> ports = new ArrayList<>();
    if (m.get("ports") == null) {
      error(node, path + ".ports", "missing (expected: at least one port)");
    }
    forEach(m.get("ports"), path + ".ports", (n, p) -> {
      ServicePort port = port(n, p);
      if (port != null) {
        ports.add(port);
      }
    });
    List<Endpoint> endpoints = new ArrayList<>();
    if (m.containsKey("selector")) {
      Map<String, String> selector = labels(m.get("selector"), path + ".selector");
      for (Workload w : workloads) {
        if (w.namespace().equals(namespace) && w.labels().entrySet().containsAll(selector.entrySet())) {
          boolean ready = !notReady.contains(w.namespace() + "/" + w.name());
          endpoints.add(new Endpoint(w.address(), w.name(), w.labels(), w.locality(), w.serviceAccount(),
              ready, ready, false));
        }
      }
    }
    forEach(m.get("endpoints"), path + ".endpoints", (n, p) -> {
      Endpoint e = endpoint(n, p);
      if (e != null) {
        endpoints.add(e);
      }
    });
    if (name == null) {
      return null;
    }
    return new Service(namespace, name, ports, endpoints);
  }

  private ServicePort port(Node node, String path) {
    Map<String, Node> m = mapping(node, path, PORT);
    if (m == null) {
      return null;
    }
    String name = m.containsKey("name") ? scalar(m.get("name"), path + ".name") : "";
    Integer port = portNumber(m.get("port"), node, path + ".port", true);
    Integer target = m.containsKey("targetPort") ? portNumber(m.get("targetPort"), node, path + ".targetPort", true) : port;
    AppProtocol protocol = AppProtocol.HTTP;
    if (m.containsKey("protocol")) {
      String p = scalar(m.get("protocol"), path + ".protocol");
      try {
        protocol = AppProtocol.valueOf(p == null ? "" : p.toUpperCase(Locale.ROOT));
      } catch (IllegalArgumentException e) {
        error(m.get("protocol"), path + ".protocol", quote(p) + " (expected: HTTP, HTTP2, GRPC or TCP)");
      }
    }
    if (port == null || target == null) {
      return null;
    }
    return new ServicePort(name == null ? "" : name, port, target, protocol);
  }

  private Endpoint endpoint(Node node, String path) {
    Map<String, Node> m = mapping(node, path, ENDPOINT);
    if (m == null) {
      return null;
    }
    String address = address(m.get("address"), node, path + ".address", true);
    String workload = m.containsKey("workload") ? scalar(m.get("workload"), path + ".workload") : "";
    Map<String, String> labels = labels(m.get("labels"), path + ".labels");
    Locality locality = locality(m.get("locality"), path + ".locality");
    String sa = m.containsKey("serviceAccount") ? scalar(m.get("serviceAccount"), path + ".serviceAccount") : "default";
    boolean ready = bool(m.get("ready"), path + ".ready", true);
    boolean serving = bool(m.get("serving"), path + ".serving", ready);
    boolean terminating = bool(m.get("terminating"), path + ".terminating", false);
    if (address == null) {
      return null;
    }
    return new Endpoint(address, workload == null ? "" : workload, labels, locality, sa == null ? "default" : sa,
        ready, serving, terminating);
  }

  private Locality locality(Node node, String path) {
    if (node == null) {
      return Locality.UNKNOWN;
    }
    Map<String, Node> m = mapping(node, path, LOCALITY);
    if (m == null) {
      return Locality.UNKNOWN;
    }
    return new Locality(str(m, "region", path), str(m, "zone", path), str(m, "subZone", path));
  }

  private String str(Map<String, Node> m, String key, String path) {
    String v = m.containsKey(key) ? scalar(m.get(key), path + "." + key) : "";
    return v == null ? "" : v;
  }

  private Map<String, String> labels(Node node, String path) {
    Map<String, String> labels = new LinkedHashMap<>();
    if (node == null || isNull(node)) {
      return labels;
    }
    if (!(node instanceof MappingNode map)) {
      error(node, path, "a " + kind(node) + " (expected: a map of label to value)");
      return labels;
    }
    for (NodeTuple t : map.getValue()) {
      String key = scalar(t.getKeyNode(), path);
      String value = scalar(t.getValueNode(), path + "." + key);
      if (key != null && value != null) {
        labels.put(key, value);
      }
    }
    return labels;
  }

  private String requiredName(Map<String, Node> m, Node parent, String path) {
    Node n = m.get("name");
    if (n == null) {
      error(parent, path + ".name", "missing (expected: a name)");
      return null;
    }
    String name = scalar(n, path + ".name");
    if (name != null && !name.matches("[a-z0-9]([-a-z0-9.]*[a-z0-9])?")) {
      error(n, path + ".name", quote(name) + " (expected: a DNS name: lower-case letters, digits, '-' and '.')");
      return null;
    }
    return name;
  }

  private String optionalName(Map<String, Node> m, String path, String key, String dflt) {
    Node n = m.get(key);
    if (n == null) {
      return dflt;
    }
    String v = scalar(n, path + "." + key);
    if (v != null && !v.matches("[a-z0-9]([-a-z0-9]*[a-z0-9])?")) {
      error(n, path + "." + key, quote(v) + " (expected: a DNS label: lower-case letters, digits and '-')");
      return dflt;
    }
    return v == null ? dflt : v;
  }

  private String address(Node n, Node parent, String path, boolean required) {
    if (n == null) {
      if (required) {
        error(parent, path, "missing (expected: an IP address)");
      }
      return null;
    }
    String v = scalar(n, path);
    if (v == null) {
      return null;
    }
    if (!v.matches("[0-9.]+|[0-9a-fA-F:]*:[0-9a-fA-F:.]*")) {
      error(n, path, quote(v) + " (expected: an IP address)");
      return null;
    }
    try {
      return InetAddress.ofLiteral(v).getHostAddress();
    } catch (IllegalArgumentException e) {
      error(n, path, quote(v) + " (expected: an IP address)");
      return null;
    }
  }

  private Integer portNumber(Node n, Node parent, String path, boolean required) {
    if (n == null) {
      if (required) {
        error(parent, path, "missing (expected: 1-65535)");
      }
      return null;
    }
    String v = scalar(n, path);
    try {
      int p = Integer.parseInt(v == null ? "" : v);
      if (p >= 1 && p <= 65535) {
        return p;
      }
    } catch (NumberFormatException ignored) {
      // reported below
    }
    error(n, path, quote(v) + " (expected: 1-65535)");
    return null;
  }

  private boolean bool(Node n, String path, boolean dflt) {
    if (n == null) {
      return dflt;
    }
    String v = scalar(n, path);
    if ("true".equals(v) || "false".equals(v)) {
      return Boolean.parseBoolean(v);
    }
    error(n, path, quote(v) + " (expected: true or false)");
    return dflt;
  }

  // ---- YAML nodes

  private interface ItemVisitor {
    void visit(Node node, String path);
  }

  private void forEach(Node node, String path, ItemVisitor visitor) {
    if (node == null || isNull(node)) {
      return;
    }
    if (!(node instanceof SequenceNode seq)) {
      error(node, path, "a " + kind(node) + " (expected: a list)");
      return;
    }
    for (int i = 0; i < seq.getValue().size(); i++) {
      visitor.visit(seq.getValue().get(i), path + "[" + i + "]");
    }
  }

  private Map<String, Node> mapping(Node node, String path, Set<String> allowed) {
    if (!(node instanceof MappingNode map)) {
      error(node, path.isEmpty() ? "(document)" : path, "a " + kind(node) + " (expected: a map)");
      return null;
    }
    Map<String, Node> out = new LinkedHashMap<>();
    for (NodeTuple t : map.getValue()) {
      String key = t.getKeyNode() instanceof ScalarNode s ? s.getValue() : null;
      String fieldPath = path.isEmpty() ? key : path + "." + key;
      if (key == null) {
        error(t.getKeyNode(), path, "a non-scalar key (expected: a field name)");
      } else if (!allowed.contains(key)) {
        error(t.getKeyNode(), fieldPath, "unknown field (expected one of: " + String.join(", ", allowed.stream().sorted().toList()) + ")");
      } else if (out.containsKey(key)) {
        error(t.getKeyNode(), fieldPath, "duplicate field");
      } else {
        out.put(key, t.getValueNode());
      }
    }
    return out;
  }

  private String scalar(Node n, String path) {
    if (n instanceof ScalarNode s) {
      return s.getValue();
    }
    error(n, path, "a " + kind(n) + " (expected: a single value)");
    return null;
  }

  private static boolean isNull(Node n) {
    return n instanceof ScalarNode s && (s.getTag().getValue().endsWith(":null"));
  }

  private static String kind(Node n) {
    return n instanceof MappingNode ? "map" : n instanceof SequenceNode ? "list" : "value";
  }

  private static String quote(String v) {
    return v == null ? "null" : "\"" + v + "\"";
  }

  private void error(Node at, String path, String message) {
    Optional<Mark> mark = at == null ? Optional.empty() : at.getStartMark();
    String pos = mark.map(m -> (m.getLine() + 1) + ":" + (m.getColumn() + 1)).orElse("0:0");
    errors.add(source + ":" + pos + ": " + path + ": " + message);
  }
}

package dev.weft.controlplane.xds;

import dev.weft.controlplane.discovery.RegistrySnapshot;
import dev.weft.controlplane.policy.PolicySet;
import dev.weft.controlplane.translate.ProxyNode;
import dev.weft.controlplane.translate.XdsResources;
import io.envoyproxy.envoy.config.core.v3.Node;
import java.time.Duration;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Map;
import java.util.Objects;
import java.util.Set;
import java.util.TreeSet;
import java.util.concurrent.ConcurrentHashMap;
import java.util.concurrent.Executors;
import java.util.concurrent.ScheduledExecutorService;
import java.util.concurrent.TimeUnit;
import java.util.concurrent.atomic.AtomicBoolean;
import org.slf4j.Logger;
import org.slf4j.LoggerFactory;

/**
 * The running control plane: holds the policies and the registry in force, and on any change
 * (debounced, {@code 100 ms} by default) translates the config of every connected node, runs it
 * through the proxy's own validation, and publishes it on the {@link XdsServer} — which pushes it
 * only to the nodes whose content changed. A node that connects gets its config at once.
 *
 * <p>A config that fails validation is not published (the node keeps its last good config) and the
 * errors are reported, like NACKs from the sidecars, through {@link RuntimeErrors}. All work runs on
 * one control-plane thread; inputs may be set from any thread.
 */
public final class ControlPlane implements XdsEventListener, AutoCloseable {

  private static final Logger log = LoggerFactory.getLogger(ControlPlane.class);

  /** The pure translation: (policies, registry, node) to the node's resources. */
  @FunctionalInterface
  public interface Translator {
    XdsResources translate(PolicySet policies, RegistrySnapshot registry, ProxyNode node);
  }

  /** The proxy's validation of a node's resources: every error, none when valid. */
  @FunctionalInterface
  public interface Validator {
    List<String> validate(XdsResources resources);
  }

  /**
   * Errors that appear only when config meets a sidecar: per node, the validation errors of its
   * latest translation and the NACKs of its sidecar (by resource type), until fixed.
   */
  public interface RuntimeErrors {
    void changed(Map<String, List<String>> errorsByNode);
  }

  private final Translator translator;
  private final Validator validator;
  private final Duration debounce;
  private final ScheduledExecutorService executor;
  private final AtomicBoolean pending = new AtomicBoolean();
  private final Map<String, Map<String, String>> nacks = new ConcurrentHashMap<>();
  private final Map<String, List<String>> invalid = new ConcurrentHashMap<>();
  private final Map<String, Node> nodes = new ConcurrentHashMap<>();
  private final Map<String, XdsResources> translated = new ConcurrentHashMap<>();
  private volatile RuntimeErrors runtimeErrors = errors -> {};
  private volatile PolicySet policies = PolicySet.EMPTY;
  private volatile RegistrySnapshot registry = RegistrySnapshot.EMPTY;
  private volatile XdsServer xds;
  private volatile boolean ready;

  /**
   * @param debounce how long to gather changes before translating (about 100 ms)
   */
  public ControlPlane(Translator translator, Validator validator, Duration debounce) {
    this.translator = Objects.requireNonNull(translator, "translator");
    this.validator = Objects.requireNonNull(validator, "validator");
    this.debounce = Objects.requireNonNull(debounce, "debounce");
    this.executor = Executors.newSingleThreadScheduledExecutor(
        Thread.ofPlatform().name("weft-control-plane").daemon().factory());
  }

  /** Starts serving on {@code builder}'s server (this control plane becomes its event listener). */
  public XdsServer serve(XdsServer.Builder builder) throws java.io.IOException {
    this.xds = builder.listener(this).start();
    return xds;
  }

  /** Sets who hears of validation errors and NACKs. */
  public void runtimeErrors(RuntimeErrors sink) {
    this.runtimeErrors = Objects.requireNonNull(sink, "sink");
  }

  /**
   * The policies ({@code Kind/namespace/name}) behind the resources an error message names in
   * quotes (validation: {@code cluster 'outbound|80||a.b.svc.cluster.local': ...}; NACKs name
   * resources the same way), from the {@code weft.policy} metadata the translator puts on clusters
   * and routes.
   */
  public Set<String> policiesNamedIn(String nodeId, String message) {
    XdsResources resources = translated.get(nodeId);
    Set<String> out = new TreeSet<>();
    if (resources == null) {
      return out;
    }
    for (var c : resources.clusters()) {
      if (message.contains(c.getName())) {
        policyOf(c.getMetadata(), out);
      }
    }
    for (var rc : resources.routes()) {
      for (var vh : rc.getVirtualHostsList()) {
        for (var route : vh.getRoutesList()) {
          if (message.contains(vh.getName()) || (!route.getName().isEmpty() && message.contains(route.getName()))) {
            policyOf(route.getMetadata(), out);
          }
        }
      }
    }
    return out;
  }

  private static void policyOf(io.envoyproxy.envoy.config.core.v3.Metadata metadata, Set<String> out) {
    var struct = metadata.getFilterMetadataMap().get(dev.weft.controlplane.translate.MeshTranslator.POLICY_METADATA);
    if (struct != null && struct.containsFields("resource")) {
      out.add(struct.getFieldsOrThrow("resource").getStringValue());
    }
  }

  /** Sets the policies in force. */
  public void policies(PolicySet policies) {
    this.policies = Objects.requireNonNull(policies, "policies");
    changed();
  }

  /** Sets the registry in force. Until the first call, nodes get no config (they would get an empty one). */
  public void registry(RegistrySnapshot registry) {
    this.registry = Objects.requireNonNull(registry, "registry");
    this.ready = true;
    changed();
  }

  /** The policies in force. */
  public PolicySet policies() {
    return policies;
  }

  /** The registry in force. */
  public RegistrySnapshot registry() {
    return registry;
  }

  /** Schedules a rebuild of every node after the debounce interval (changes within it coalesce). */
  public void changed() {
    if (pending.compareAndSet(false, true)) {
      executor.schedule(guarded(() -> {
        pending.set(false);
        rebuildAll();
      }), debounce.toNanos(), TimeUnit.NANOSECONDS);
    }
  }

  /** The node id of a workload's sidecar: {@code <workload>.<namespace>}. */
  public static String nodeId(String workload, String namespace) {
    return workload + "." + namespace;
  }

  /** Parses {@code <workload>.<namespace>} (namespaces have no dots; workload names may). */
  public static ProxyNode proxyNode(String nodeId) {
    int dot = nodeId.lastIndexOf('.');
    if (dot <= 0 || dot == nodeId.length() - 1) {
      return new ProxyNode(nodeId, "default", nodeId);
    }
    return new ProxyNode(nodeId, nodeId.substring(dot + 1), nodeId.substring(0, dot));
  }

  private void rebuildAll() {
    XdsServer server = xds;
    if (server == null || !ready) {
      return;
    }
    Set<String> nodes = new TreeSet<>(server.connectedNodes());
    nodes.addAll(server.publishedNodes());
    long start = System.nanoTime();
    int pushed = 0;
    for (String node : nodes) {
      if (rebuild(server, node)) {
        pushed++;
      }
    }
    if (pushed > 0) {
      log.info("config changed for {} of {} nodes ({} ms)", pushed, nodes.size(),
          TimeUnit.NANOSECONDS.toMillis(System.nanoTime() - start));
    }
  }

  private boolean rebuild(XdsServer server, String nodeId) {
    XdsResources resources;
    List<String> errors;
    try {
      resources = translator.translate(policies, registry, proxyNode(nodeId));
      translated.put(nodeId, resources);
      errors = validator.validate(resources);
      Node node = nodes.get(nodeId);
      if (errors.isEmpty() && node != null && ProxylessListeners.isProxyless(node)) {
        resources = ProxylessListeners.addTo(resources);
      }
    } catch (RuntimeException e) {
      log.error("translating the config of {} failed", nodeId, e);
      errors = List.of("translation failed: " + e);
      resources = null;
    }
    boolean changedErrors;
    if (!errors.isEmpty()) {
      changedErrors = !errors.equals(invalid.put(nodeId, List.copyOf(errors)));
      if (changedErrors) {
        log.warn("config of {} rejected by validation, not published (it keeps its last good config): {}",
            nodeId, errors);
        reportErrors();
      }
      return false;
    }
    if (invalid.remove(nodeId) != null) {
      reportErrors();
    }
    return server.publish(nodeId, resources);
  }

  private void reportErrors() {
    Map<String, List<String>> all = new LinkedHashMap<>();
    new TreeSet<>(invalid.keySet()).forEach(n -> all.put(n, invalid.get(n)));
    nacks.forEach((node, byType) -> {
      if (!byType.isEmpty()) {
        List<String> list = new java.util.ArrayList<>(all.getOrDefault(node, List.of()));
        byType.forEach((type, message) -> list.add("rejected by the sidecar (" + AdsService.shortType(type) + "): "
            + message));
        all.put(node, List.copyOf(list));
      }
    });
    try {
      runtimeErrors.changed(all);
    } catch (RuntimeException e) {
      log.warn("reporting errors failed: {}", e.toString());
    }
  }

  // ---- XdsEventListener (gRPC threads: hand off)

  @Override
  public void onStreamOpened(Node node, boolean delta) {
    nodes.put(node.getId(), node);
    log.info("node {} connected ({}, {})", node.getId(), delta ? "delta" : "state of the world",
        node.getUserAgentName().isEmpty() ? "unnamed client" : node.getUserAgentName());
    executor.execute(guarded(() -> {
      XdsServer server = xds;
      if (server != null && ready) {
        rebuild(server, node.getId());
      }
    }));
  }

  @Override
  public void onAck(String nodeId, String typeUrl, String version) {
    Map<String, String> byType = nacks.get(nodeId);
    if (byType != null && byType.remove(typeUrl) != null) {
      executor.execute(guarded(this::reportErrors));
    }
  }

  @Override
  public void onNack(String nodeId, String typeUrl, String version, String message) {
    nacks.computeIfAbsent(nodeId, k -> new ConcurrentHashMap<>()).put(typeUrl, message);
    executor.execute(guarded(this::reportErrors));
  }

  /** Tasks on the executor log what they throw (a scheduled executor would keep it silently). */
  private static Runnable guarded(Runnable task) {
    return () -> {
      try {
        task.run();
      } catch (Throwable t) {
        log.error("control-plane task failed", t);
      }
    };
  }

  @Override
  public void close() {
    executor.shutdownNow();
    XdsServer server = xds;
    if (server != null) {
      server.close();
    }
  }
}

package dev.weft.controlplane.discovery;

import dev.weft.controlplane.discovery.ServicePort.AppProtocol;
import io.fabric8.kubernetes.api.model.GenericKubernetesResource;
import io.fabric8.kubernetes.api.model.HasMetadata;
import io.fabric8.kubernetes.api.model.Namespace;
import io.fabric8.kubernetes.api.model.Pod;
import io.fabric8.kubernetes.api.model.discovery.v1.EndpointConditions;
import io.fabric8.kubernetes.api.model.discovery.v1.EndpointPort;
import io.fabric8.kubernetes.api.model.discovery.v1.EndpointSlice;
import io.fabric8.kubernetes.client.KubernetesClient;
import io.fabric8.kubernetes.client.dsl.base.ResourceDefinitionContext;
import io.fabric8.kubernetes.client.informers.ResourceEventHandler;
import io.fabric8.kubernetes.client.informers.SharedIndexInformer;
import io.fabric8.kubernetes.client.utils.Serialization;
import java.time.Duration;
import java.util.ArrayList;
import java.util.Comparator;
import java.util.HashMap;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Locale;
import java.util.Map;
import java.util.Objects;
import java.util.Optional;
import java.util.Set;
import java.util.stream.Collectors;
import org.slf4j.Logger;
import org.slf4j.LoggerFactory;

/**
 * Kubernetes-mode discovery: fabric8 informers on Services, EndpointSlices, Pods, Namespaces and
 * the Weft policy custom resources, turned into the same {@link RegistrySnapshot} as the local
 * registry file, and the policy resources as text for the policy loader.
 *
 * <p>EndpointSlice semantics follow the API: an endpoint's {@code ready} condition unset means
 * ready, {@code serving} unset means the same as {@code ready}, {@code terminating} unset means
 * false; endpoints of slices labelled {@code kubernetes.io/service-name} belong to that service;
 * FQDN slices are ignored; a named {@code targetPort} is resolved through the slice's ports. Pods
 * give endpoints their labels (for subsets) and service accounts (for identities). Objects in a
 * terminating namespace are left out.
 *
 * <p>The listener is called on the informers' thread after any change; it must hand work off.
 */
public final class KubernetesDiscovery implements AutoCloseable {

  private static final Logger log = LoggerFactory.getLogger(KubernetesDiscovery.class);

  /** The API group and version of the policy custom resources. */
  public static final String GROUP = "weft.dev";
  public static final String VERSION = "v1alpha1";

  /** A policy custom resource as read from the API server. */
  public record PolicyResource(String kind, String namespace, String name, long generation, String json) {
    /** {@code Kind/namespace/name}: the policy loader's source name and the status target. */
    public String id() {
      return kind + "/" + namespace + "/" + name;
    }
  }

  /** Hears of changes; called on an informer thread, must not block. */
  public interface Listener {
    void changed();
  }

  private final KubernetesClient client;
  private final SharedIndexInformer<io.fabric8.kubernetes.api.model.Service> services;
  private final SharedIndexInformer<EndpointSlice> slices;
  private final SharedIndexInformer<Pod> pods;
  private final SharedIndexInformer<Namespace> namespaces;
  private final Map<String, SharedIndexInformer<GenericKubernetesResource>> policies = new LinkedHashMap<>();

  private KubernetesDiscovery(KubernetesClient client, Listener listener, Map<String, String> policyKinds,
      Duration resync) {
    this.client = client;
    ResourceEventHandler<HasMetadata> handler = new ResourceEventHandler<>() {
      @Override
      public void onAdd(HasMetadata obj) {
        listener.changed();
      }

      @Override
      public void onUpdate(HasMetadata oldObj, HasMetadata newObj) {
        if (!Objects.equals(oldObj.getMetadata().getResourceVersion(), newObj.getMetadata().getResourceVersion())) {
          listener.changed();
        }
      }

      @Override
      public void onDelete(HasMetadata obj, boolean deletedFinalStateUnknown) {
        listener.changed();
      }
    };
    long resyncMillis = resync.toMillis();
    this.namespaces = client.namespaces().inform(handler, resyncMillis);
    this.services = client.services().inAnyNamespace().inform(handler, resyncMillis);
    this.slices = client.discovery().v1().endpointSlices().inAnyNamespace().inform(handler, resyncMillis);
    this.pods = client.pods().inAnyNamespace().inform(handler, resyncMillis);
    policyKinds.forEach((kind, plural) -> policies.put(kind, client.genericKubernetesResources(context(kind, plural))
        .inAnyNamespace().inform(handler, resyncMillis)));
  }

  /**
   * Starts the informers and waits until each has listed once.
   *
   * @param policyKinds policy kind to its plural resource name (the CRDs in {@code deploy/})
   */
  public static KubernetesDiscovery start(KubernetesClient client, Map<String, String> policyKinds, Duration resync,
      Listener listener) {
    KubernetesDiscovery d = new KubernetesDiscovery(client, listener, policyKinds, resync);
    log.info("watching Services, EndpointSlices, Pods, Namespaces and {} through {}", policyKinds.keySet(),
        client.getMasterUrl());
    return d;
  }

  /** The resource definition of policy {@code kind} (namespaced, with a status subresource). */
  public static ResourceDefinitionContext context(String kind, String plural) {
    return new ResourceDefinitionContext.Builder().withGroup(GROUP).withVersion(VERSION).withKind(kind)
        .withPlural(plural).withNamespaced(true).build();
  }

  /** True once every informer has listed its resources. */
  public boolean synced() {
    return namespaces.hasSynced() && services.hasSynced() && slices.hasSynced() && pods.hasSynced()
        && policies.values().stream().allMatch(SharedIndexInformer::hasSynced);
  }

  /** The registry as the informers see it now. */
  public RegistrySnapshot registry() {
    Set<String> terminating = namespaces.getStore().list().stream()
        .filter(n -> n.getStatus() != null && "Terminating".equals(n.getStatus().getPhase()))
        .map(n -> n.getMetadata().getName()).collect(Collectors.toSet());
    Map<String, Pod> podsByKey = new HashMap<>();
    List<Workload> workloads = new ArrayList<>();
    for (Pod pod : pods.getStore().list()) {
      String ns = pod.getMetadata().getNamespace();
      if (terminating.contains(ns)) {
        continue;
      }
      podsByKey.put(ns + "/" + pod.getMetadata().getName(), pod);
      String ip = pod.getStatus() == null ? null : pod.getStatus().getPodIP();
      String phase = pod.getStatus() == null ? null : pod.getStatus().getPhase();
      if (ip == null || ip.isEmpty() || "Succeeded".equals(phase) || "Failed".equals(phase)) {
        continue;
      }
      workloads.add(new Workload(ns, pod.getMetadata().getName(), serviceAccount(pod), ip, labels(pod),
          Locality.UNKNOWN));
    }
    workloads.sort(Comparator.comparing(Workload::namespace).thenComparing(Workload::name));

    Map<String, List<EndpointSlice>> slicesByService = new HashMap<>();
    for (EndpointSlice slice : slices.getStore().list()) {
      String svc = slice.getMetadata().getLabels() == null ? null
          : slice.getMetadata().getLabels().get("kubernetes.io/service-name");
      if (svc != null && !"FQDN".equals(slice.getAddressType())) {
        slicesByService.computeIfAbsent(slice.getMetadata().getNamespace() + "/" + svc, k -> new ArrayList<>())
            .add(slice);
      }
    }
    List<Service> out = new ArrayList<>();
    for (io.fabric8.kubernetes.api.model.Service svc : services.getStore().list()) {
      String ns = svc.getMetadata().getNamespace();
      if (terminating.contains(ns) || svc.getSpec() == null || svc.getSpec().getPorts() == null) {
        continue;
      }
      List<EndpointSlice> svcSlices = slicesByService.getOrDefault(ns + "/" + svc.getMetadata().getName(), List.of());
      List<ServicePort> ports = new ArrayList<>();
      for (io.fabric8.kubernetes.api.model.ServicePort p : svc.getSpec().getPorts()) {
        if (p.getProtocol() != null && !"TCP".equals(p.getProtocol())) {
          continue; // UDP and SCTP are not proxied
        }
        int target = targetPort(p, svcSlices);
        if (target > 0) {
          ports.add(new ServicePort(p.getName() == null ? "" : p.getName(), p.getPort(), target, protocol(p)));
        }
      }
      out.add(new Service(ns, svc.getMetadata().getName(), ports, endpoints(svcSlices, podsByKey)));
    }
    out.sort(Comparator.comparing(Service::namespace).thenComparing(Service::name));
    return new RegistrySnapshot(out, workloads);
  }

  /** Every policy custom resource now, as JSON without status and server-set metadata. */
  public List<PolicyResource> policies() {
    List<PolicyResource> out = new ArrayList<>();
    policies.forEach((kind, informer) -> {
      for (GenericKubernetesResource r : informer.getStore().list()) {
        Map<String, Object> doc = new LinkedHashMap<>();
        doc.put("apiVersion", r.getApiVersion());
        doc.put("kind", r.getKind() == null ? kind : r.getKind());
        Map<String, Object> meta = new LinkedHashMap<>();
        meta.put("name", r.getMetadata().getName());
        meta.put("namespace", r.getMetadata().getNamespace());
        doc.put("metadata", meta);
        Map<String, Object> extra = new LinkedHashMap<>(r.getAdditionalProperties());
        extra.remove("status");
        doc.putAll(extra);
        long generation = r.getMetadata().getGeneration() == null ? 0 : r.getMetadata().getGeneration();
        out.add(new PolicyResource(kind, r.getMetadata().getNamespace(), r.getMetadata().getName(), generation,
            Serialization.asJson(doc)));
      }
    });
    out.sort(Comparator.comparing(PolicyResource::id));
    return out;
  }

  /** The client the informers use (for status writes). */
  public KubernetesClient client() {
    return client;
  }

  private static List<Endpoint> endpoints(List<EndpointSlice> slices, Map<String, Pod> pods) {
    Map<String, Endpoint> byAddress = new LinkedHashMap<>();
    for (EndpointSlice slice : slices) {
      if (slice.getEndpoints() == null) {
        continue;
      }
      for (io.fabric8.kubernetes.api.model.discovery.v1.Endpoint e : slice.getEndpoints()) {
        if (e.getAddresses() == null || e.getAddresses().isEmpty()) {
          continue;
        }
        EndpointConditions c = e.getConditions();
        boolean ready = c == null || c.getReady() == null || c.getReady();
        boolean serving = c == null || c.getServing() == null ? ready : c.getServing();
        boolean terminating = c != null && c.getTerminating() != null && c.getTerminating();
        Pod pod = null;
        if (e.getTargetRef() != null && "Pod".equals(e.getTargetRef().getKind())) {
          String ns = e.getTargetRef().getNamespace() != null ? e.getTargetRef().getNamespace()
              : slice.getMetadata().getNamespace();
          pod = pods.get(ns + "/" + e.getTargetRef().getName());
        }
        Locality locality = new Locality("", e.getZone() == null ? "" : e.getZone(), "");
        Endpoint endpoint = new Endpoint(e.getAddresses().getFirst(),
            pod == null ? (e.getTargetRef() == null ? "" : e.getTargetRef().getName()) : pod.getMetadata().getName(),
            pod == null ? Map.of() : labels(pod), locality, pod == null ? "default" : serviceAccount(pod),
            ready, serving, terminating);
        // The same address in two slices (a slice being replaced): keep the readier one.
        byAddress.merge(endpoint.address(), endpoint, (a, b) -> b.ready() && !a.ready() ? b : a);
      }
    }
    return byAddress.values().stream().sorted(Comparator.comparing(Endpoint::address)).toList();
  }

  private static int targetPort(io.fabric8.kubernetes.api.model.ServicePort p, List<EndpointSlice> slices) {
    // The slices carry the resolved port for the service port's name (also for a named targetPort).
    String name = p.getName() == null ? "" : p.getName();
    for (EndpointSlice s : slices) {
      if (s.getPorts() != null) {
        for (EndpointPort ep : s.getPorts()) {
          if (Objects.equals(ep.getName() == null ? "" : ep.getName(), name) && ep.getPort() != null) {
            return ep.getPort();
          }
        }
      }
    }
    if (p.getTargetPort() == null) {
      return p.getPort();
    }
    Integer value = p.getTargetPort().getIntVal();
    return value != null ? value : 0;
  }

  /** {@code appProtocol} first, then Istio's port-name prefixes ({@code http-}, {@code grpc-}, ...); HTTP otherwise. */
  static AppProtocol protocol(io.fabric8.kubernetes.api.model.ServicePort p) {
    String app = Optional.ofNullable(p.getAppProtocol()).orElse("").toLowerCase(Locale.ROOT);
    switch (app) {
      case "http", "http1", "http/1.1" -> { return AppProtocol.HTTP; }
      case "http2", "h2c", "kubernetes.io/h2c" -> { return AppProtocol.HTTP2; }
      case "grpc" -> { return AppProtocol.GRPC; }
      case "tcp", "tls", "https", "mongo", "mysql", "redis" -> { return AppProtocol.TCP; }
      default -> { }
    }
    String name = Optional.ofNullable(p.getName()).orElse("").toLowerCase(Locale.ROOT);
    String prefix = name.contains("-") ? name.substring(0, name.indexOf('-')) : name;
    return switch (prefix) {
      case "http2", "h2c" -> AppProtocol.HTTP2;
      case "grpc" -> AppProtocol.GRPC;
      case "tcp", "tls", "https", "mongo", "mysql", "redis" -> AppProtocol.TCP;
      default -> AppProtocol.HTTP;
    };
  }

  private static Map<String, String> labels(Pod pod) {
    return pod.getMetadata().getLabels() == null ? Map.of() : pod.getMetadata().getLabels();
  }

  private static String serviceAccount(Pod pod) {
    String sa = pod.getSpec() == null ? null : pod.getSpec().getServiceAccountName();
    return sa == null || sa.isEmpty() ? "default" : sa;
  }

  @Override
  public void close() {
    namespaces.close();
    services.close();
    slices.close();
    pods.close();
    policies.values().forEach(SharedIndexInformer::close);
  }
}

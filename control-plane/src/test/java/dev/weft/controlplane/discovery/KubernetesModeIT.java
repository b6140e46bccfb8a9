package dev.weft.controlplane.discovery;

import static org.assertj.core.api.Assertions.assertThat;
import static org.awaitility.Awaitility.await;

import dev.weft.controlplane.ControlPlaneCommand;
import dev.weft.controlplane.translate.MeshOptions;
import dev.weft.controlplane.translate.MeshTranslator;
import dev.weft.controlplane.xds.ControlPlane;
import dev.weft.controlplane.xds.XdsServer;
import io.envoyproxy.controlplane.cache.Resources;
import io.envoyproxy.envoy.config.cluster.v3.Cluster;
import io.envoyproxy.envoy.config.endpoint.v3.ClusterLoadAssignment;
import io.envoyproxy.envoy.config.route.v3.RouteConfiguration;
import io.fabric8.kubernetes.api.model.GenericKubernetesResource;
import io.fabric8.kubernetes.api.model.IntOrString;
import io.fabric8.kubernetes.api.model.NamespaceBuilder;
import io.fabric8.kubernetes.api.model.PodBuilder;
import io.fabric8.kubernetes.api.model.ServiceBuilder;
import io.fabric8.kubernetes.api.model.discovery.v1.EndpointSliceBuilder;
import io.fabric8.kubernetes.client.KubernetesClient;
import io.fabric8.kubernetes.client.dsl.base.CustomResourceDefinitionContext;
import io.fabric8.kubernetes.client.server.mock.EnableKubernetesMockClient;
import io.fabric8.kubernetes.client.server.mock.KubernetesMockServer;
import io.fabric8.kubernetes.client.utils.Serialization;
import java.net.InetAddress;
import java.net.InetSocketAddress;
import java.time.Duration;
import java.util.List;
import java.util.Map;
import org.junit.jupiter.api.AfterEach;
import org.junit.jupiter.api.BeforeEach;
import org.junit.jupiter.api.Test;

/**
 * Kubernetes mode against fabric8's mock API server in CRUD mode (real HTTP, real watches): a
 * Service, its EndpointSlices, Pods and policy custom resources become xDS resources served to a
 * sidecar's ADS stream, and every policy resource gets an Accepted condition — Invalid, with the
 * loader's message, for the one with an error, whose last good version stays in force.
 */
@EnableKubernetesMockClient(crud = true)
class KubernetesModeIT {
  static KubernetesMockServer server;
  static KubernetesClient client;

  private ControlPlane controlPlane;
  private AutoCloseable kubernetes;
  private XdsServer xds;

  @BeforeEach
  void start() throws Exception {
    ControlPlaneCommand.POLICY_PLURALS.forEach((kind, plural) -> server.expectCustomResource(
        new CustomResourceDefinitionContext.Builder().withGroup(KubernetesDiscovery.GROUP)
            .withVersion(KubernetesDiscovery.VERSION).withKind(kind).withPlural(plural).withScope("Namespaced")
            .withStatusSubresource(true).build()));
    client.namespaces().resource(new NamespaceBuilder().withNewMetadata().withName("shop").endMetadata().build())
        .create();
    MeshOptions options = MeshOptions.kubernetes("cluster.local");
    controlPlane = new ControlPlane((p, r, n) -> MeshTranslator.translate(p, r, n, options), MeshTranslator::validate,
        Duration.ofMillis(50));
    xds = controlPlane.serve(XdsServer.builder().address(new InetSocketAddress(InetAddress.getLoopbackAddress(), 0)));
    kubernetes = ControlPlaneCommand.startKubernetes(controlPlane, client);
  }

  @AfterEach
  void stop() throws Exception {
    kubernetes.close();
    controlPlane.close();
  }

  private static void pod(String name, String ip, Map<String, String> labels, String serviceAccount) {
    client.pods().inNamespace("shop").resource(new PodBuilder().withNewMetadata().withName(name).withLabels(labels)
        .endMetadata().withNewSpec().withServiceAccountName(serviceAccount).endSpec()
        .withNewStatus().withPhase("Running").withPodIP(ip).endStatus().build()).create();
  }

  private static void policy(String yaml) {
    GenericKubernetesResource r = Serialization.unmarshal(yaml, GenericKubernetesResource.class);
    String plural = ControlPlaneCommand.POLICY_PLURALS.get(r.getKind());
    client.genericKubernetesResources(KubernetesDiscovery.context(r.getKind(), plural)).inNamespace("shop")
        .resource(r).create();
  }

  @SuppressWarnings("unchecked")
  private static Map<String, Object> accepted(String kind, String name) {
    GenericKubernetesResource r = client.genericKubernetesResources(
        KubernetesDiscovery.context(kind, ControlPlaneCommand.POLICY_PLURALS.get(kind))).inNamespace("shop")
        .withName(name).get();
    Object status = r.getAdditionalProperties().get("status");
    if (!(status instanceof Map<?, ?> s) || !(s.get("conditions") instanceof List<?> conditions)) {
      return Map.of();
    }
    return conditions.stream().map(c -> (Map<String, Object>) c).filter(c -> "Accepted".equals(c.get("type")))
        .findFirst().orElse(Map.of());
  }

  @Test
  void servicesSlicesPodsAndPoliciesBecomeXdsResourcesAndPoliciesGetStatusConditions() throws Exception {
    pod("reviews-v1-abc", "10.0.0.11", Map.of("app", "reviews", "version", "v1"), "reviews");
    pod("reviews-v2-def", "10.0.0.12", Map.of("app", "reviews", "version", "v2"), "reviews");
    pod("reviews-v2-old", "10.0.0.13", Map.of("app", "reviews", "version", "v2"), "reviews");
    pod("productpage-1", "10.0.0.20", Map.of("app", "productpage"), "productpage");
    client.services().inNamespace("shop").resource(new ServiceBuilder().withNewMetadata().withName("reviews")
        .endMetadata().withNewSpec().addNewPort().withName("http").withPort(9080)
        .withTargetPort(new IntOrString("web")).endPort().endSpec().build()).create();
    client.discovery().v1().endpointSlices().inNamespace("shop").resource(new EndpointSliceBuilder()
        .withNewMetadata().withName("reviews-x1").addToLabels("kubernetes.io/service-name", "reviews").endMetadata()
        .withAddressType("IPv4")
        .addNewPort().withName("http").withPort(8080).endPort()
        .addNewEndpoint().withAddresses("10.0.0.11").withNewConditions().withReady(true).endConditions()
        .withNewTargetRef().withKind("Pod").withName("reviews-v1-abc").withNamespace("shop").endTargetRef()
        .withZone("zone-a").endEndpoint()
        .addNewEndpoint().withAddresses("10.0.0.12")   // conditions unset: ready
        .withNewTargetRef().withKind("Pod").withName("reviews-v2-def").endTargetRef().endEndpoint()
        .addNewEndpoint().withAddresses("10.0.0.13").withNewConditions().withReady(false).withServing(true)
        .withTerminating(true).endConditions()
        .withNewTargetRef().withKind("Pod").withName("reviews-v2-old").endTargetRef().endEndpoint()
        .build()).create();
    policy("""
        apiVersion: weft.dev/v1alpha1
        kind: DestinationPolicy
        metadata: {name: reviews, namespace: shop}
        spec:
          service: reviews
          subsets:
          - {name: v1, labels: {version: v1}}
          - {name: v2, labels: {version: v2}}
        """);
    policy("""
        apiVersion: weft.dev/v1alpha1
        kind: TrafficRoute
        metadata: {name: reviews, namespace: shop}
        spec:
          service: reviews
          routes:
          - backends:
            - {subset: v1, weight: 90}
            - {subset: v2, weight: 10}
        """);

    // A sidecar of productpage asks for its config.
    await().atMost(Duration.ofSeconds(10)).until(() ->
        controlPlane.registry().workload("shop", "productpage-1").isPresent()
            && controlPlane.policies().trafficRoutes().size() == 1);
    try (var sidecar = new dev.weft.controlplane.xds.AdsTestClient(xds.address(), "productpage-1.shop")) {
      List<Cluster> clusters = sidecar.fetch(Resources.V3.CLUSTER_TYPE_URL, List.of(), Cluster.class);
      String v2 = "outbound|9080|v2|reviews.shop.svc.cluster.local";
      assertThat(clusters).extracting(Cluster::getName).contains("outbound|9080||reviews.shop.svc.cluster.local",
          "outbound|9080|v1|reviews.shop.svc.cluster.local", v2);
      List<ClusterLoadAssignment> endpoints = sidecar.fetch(Resources.V3.ENDPOINT_TYPE_URL, List.of(v2),
          ClusterLoadAssignment.class);
      // Only the ready v2 endpoint, at its sidecar's inbound port; the terminating one is gone.
      assertThat(endpoints.getFirst().getEndpointsList()).flatExtracting(l -> l.getLbEndpointsList())
          .extracting(e -> e.getEndpoint().getAddress().getSocketAddress().getAddress() + ":"
              + e.getEndpoint().getAddress().getSocketAddress().getPortValue())
          .containsExactly("10.0.0.12:15006");
      List<RouteConfiguration> routes = sidecar.fetch(Resources.V3.ROUTE_TYPE_URL, List.of("outbound"),
          RouteConfiguration.class);
      var reviewsHost = routes.getFirst().getVirtualHostsList().stream()
          .filter(vh -> vh.getDomainsList().contains("reviews.shop.svc.cluster.local")).findFirst().orElseThrow();
      assertThat(reviewsHost.getRoutes(0).getRoute().getWeightedClusters().getClustersList())
          .extracting(c -> c.getName() + "=" + c.getWeight().getValue())
          .containsExactly("outbound|9080|v1|reviews.shop.svc.cluster.local=90", v2 + "=10");
    }
    // The named targetPort resolved through the slice's port.
    assertThat(controlPlane.registry().service("shop", "reviews").orElseThrow().ports().getFirst().targetPort())
        .isEqualTo(8080);
    await().atMost(Duration.ofSeconds(10)).until(() -> "True".equals(accepted("TrafficRoute", "reviews").get("status")));
    assertThat(accepted("DestinationPolicy", "reviews")).containsEntry("reason", "Accepted");

    // An edit with an error: Invalid with the message; the last good version stays in force.
    GenericKubernetesResource bad = client.genericKubernetesResources(
        KubernetesDiscovery.context("TrafficRoute", "trafficroutes")).inNamespace("shop").withName("reviews").get();
    @SuppressWarnings("unchecked")
    Map<String, Object> spec = (Map<String, Object>) bad.getAdditionalProperties().get("spec");
    spec.put("retries", Map.of("attempts", -1));
    client.genericKubernetesResources(KubernetesDiscovery.context("TrafficRoute", "trafficroutes"))
        .inNamespace("shop").resource(bad).update();
    await().atMost(Duration.ofSeconds(10)).until(() -> "False".equals(accepted("TrafficRoute", "reviews").get("status")));
    Map<String, Object> invalid = accepted("TrafficRoute", "reviews");
    assertThat(invalid).containsEntry("reason", "Invalid")
        .containsEntry("message", "spec.retries.attempts: -1 (expected: >= 0)");
    assertThat(controlPlane.policies().trafficRoutes()).hasSize(1);
    assertThat(controlPlane.policies().trafficRoutes().getFirst().retries()).isNull();

    // A sidecar's NACK is traced to the policy behind the rejected cluster and lands on its status.
    try (var sidecar = new dev.weft.controlplane.xds.AdsTestClient(xds.address(), "productpage-1.shop").sotw()) {
      sidecar.request(Resources.V3.CLUSTER_TYPE_URL, List.of(), "", "");
      var cds = sidecar.next(Duration.ofSeconds(30));
      sidecar.nack(cds, List.of(), "", "cluster 'outbound|9080|v2|reviews.shop.svc.cluster.local': "
          + "outlier_detection: not supported");
      await().atMost(Duration.ofSeconds(10)).until(() -> "False".equals(accepted("DestinationPolicy", "reviews")
          .get("status")));
      assertThat(String.valueOf(accepted("DestinationPolicy", "reviews").get("message")))
          .isEqualTo("node productpage-1.shop: rejected by the sidecar (Cluster): cluster "
              + "'outbound|9080|v2|reviews.shop.svc.cluster.local': outlier_detection: not supported");
      assertThat(xds.stats().nacks()).isEqualTo(1);
    }
  }
}

package dev.weft.controlplane.discovery;

import static org.assertj.core.api.Assertions.assertThat;
import static org.assertj.core.api.Assertions.assertThatThrownBy;

import dev.weft.controlplane.discovery.ServicePort.AppProtocol;
import java.util.Map;
import org.junit.jupiter.api.Test;

class RegistryFileTest {

  @Test
  void selectorsTurnWorkloadsIntoEndpointsWithLabelsLocalityAndIdentity() throws Exception {
    RegistrySnapshot r = RegistryFile.parse("""
        workloads:
        - name: reviews-v2
          address: 127.0.0.12
          serviceAccount: reviews
          labels: {app: reviews, version: v2}
          locality: {region: eu, zone: eu-1b}
        - name: reviews-v1
          address: 127.0.0.11
          serviceAccount: reviews
          labels: {app: reviews, version: v1}
        - name: other
          namespace: shop
          address: 127.0.0.13
          labels: {app: reviews}
        services:
        - name: reviews
          ports:
          - {name: http, port: 9080, targetPort: 8080, protocol: http}
          - {name: grpc, port: 9090, protocol: GRPC}
          selector: {app: reviews}
          endpoints:
          - {address: 127.0.0.20, labels: {version: v3}, ready: false, terminating: true}
        """, "registry.yaml");
    Service reviews = r.service("default", "reviews").orElseThrow();
    assertThat(reviews.ports()).containsExactly(new ServicePort("http", 9080, 8080, AppProtocol.HTTP),
        new ServicePort("grpc", 9090, 9090, AppProtocol.GRPC));
    assertThat(reviews.endpoints()).extracting(Endpoint::address)
        .containsExactly("127.0.0.11", "127.0.0.12", "127.0.0.20");
    Endpoint v2 = reviews.endpoints().get(1);
    assertThat(v2.workload()).isEqualTo("reviews-v2");
    assertThat(v2.labels()).containsEntry("version", "v2");
    assertThat(v2.locality()).isEqualTo(new Locality("eu", "eu-1b", ""));
    assertThat(v2.serviceAccount()).isEqualTo("reviews");
    Endpoint manual = reviews.endpoints().get(2);
    assertThat(manual.ready()).isFalse();
    assertThat(manual.serving()).isFalse();
    assertThat(manual.terminating()).isTrue();
    assertThat(r.workload("shop", "other").orElseThrow().labels()).isEqualTo(Map.of("app", "reviews"));
    assertThat(r.workloads()).extracting(Workload::name).containsExactly("reviews-v1", "reviews-v2", "other");
  }

  @Test
  void everyErrorNamesFileLineColumnPathValueAndExpectation() {
    assertThatThrownBy(() -> RegistryFile.parse("""
        workloads:
        - name: a
          address: not-an-ip
          lables: {app: a}
        services:
        - name: s
          ports:
          - {port: 70000, protocol: SMTP}
        """, "registry.yaml"))
        .isInstanceOfSatisfying(RegistryFile.InvalidRegistryException.class, e -> assertThat(e.errors()).containsExactly(
            "registry.yaml:3:12: workloads[0].address: \"not-an-ip\" (expected: an IP address)",
            "registry.yaml:4:3: workloads[0].lables: unknown field (expected one of: address, labels, locality, name, namespace, ready, serviceAccount)",
            "registry.yaml:8:12: services[0].ports[0].port: \"70000\" (expected: 1-65535)",
            "registry.yaml:8:29: services[0].ports[0].protocol: \"SMTP\" (expected: HTTP, HTTP2, GRPC or TCP)"));
  }

  @Test
  void anEmptyFileIsAnEmptyRegistry() throws Exception {
    assertThat(RegistryFile.parse("", "r.yaml")).isEqualTo(RegistrySnapshot.EMPTY);
  }
}

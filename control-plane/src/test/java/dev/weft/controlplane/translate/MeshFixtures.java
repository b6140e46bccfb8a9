package dev.weft.controlplane.translate;

import dev.weft.controlplane.discovery.Endpoint;
import dev.weft.controlplane.discovery.Locality;
import dev.weft.controlplane.discovery.RegistrySnapshot;
import dev.weft.controlplane.discovery.Service;
import dev.weft.controlplane.discovery.ServicePort;
import dev.weft.controlplane.discovery.ServicePort.AppProtocol;
import dev.weft.controlplane.discovery.Workload;
import dev.weft.controlplane.policy.PolicyLoad;
import dev.weft.controlplane.policy.PolicyLoader;
import dev.weft.controlplane.policy.PolicySet;
import java.util.ArrayList;
import java.util.List;
import java.util.Map;

/**
 * A small mesh in namespace {@code shop}: {@code productpage} calls {@code reviews} (three
 * versions, in two zones) and {@code ratings} (gRPC); every workload runs a sidecar on its own
 * loopback address, as in local mode.
 */
final class MeshFixtures {

  static final Locality ZONE_A = new Locality("eu", "eu-a", "");
  static final Locality ZONE_B = new Locality("eu", "eu-b", "");

  static final Workload PRODUCTPAGE = workload("productpage-1", "productpage", "127.0.0.10",
      Map.of("app", "productpage"), ZONE_A);
  static final Workload REVIEWS_V1 = workload("reviews-v1", "reviews", "127.0.0.11",
      Map.of("app", "reviews", "version", "v1"), ZONE_A);
  static final Workload REVIEWS_V2 = workload("reviews-v2", "reviews", "127.0.0.12",
      Map.of("app", "reviews", "version", "v2"), ZONE_B);
  static final Workload REVIEWS_V3 = workload("reviews-v3", "reviews", "127.0.0.13",
      Map.of("app", "reviews", "version", "v3"), ZONE_B);
  static final Workload RATINGS = workload("ratings-1", "ratings", "127.0.0.14", Map.of("app", "ratings"), ZONE_A);

  static final RegistrySnapshot REGISTRY = new RegistrySnapshot(List.of(
      service("productpage", new ServicePort("http", 9080, 9080, AppProtocol.HTTP), PRODUCTPAGE),
      service("reviews", new ServicePort("http", 9080, 9080, AppProtocol.HTTP), REVIEWS_V1, REVIEWS_V2, REVIEWS_V3),
      service("ratings", new ServicePort("grpc", 9090, 9091, AppProtocol.GRPC), RATINGS)),
      List.of(PRODUCTPAGE, REVIEWS_V1, REVIEWS_V2, REVIEWS_V3, RATINGS));

  static final ProxyNode PRODUCTPAGE_NODE = new ProxyNode("productpage-1.shop", "shop", "productpage-1");
  static final ProxyNode REVIEWS_V1_NODE = new ProxyNode("reviews-v1.shop", "shop", "reviews-v1");
  static final MeshOptions LOCAL = MeshOptions.local("cluster.local");

  private MeshFixtures() {}

  static Workload workload(String name, String sa, String address, Map<String, String> labels, Locality locality) {
    return new Workload("shop", name, sa, address, labels, locality);
  }

  static Service service(String name, ServicePort port, Workload... workloads) {
    List<Endpoint> eps = new ArrayList<>();
    for (Workload w : workloads) {
      eps.add(new Endpoint(w.address(), w.name(), w.labels(), w.locality(), w.serviceAccount(), true, true, false));
    }
    return new Service("shop", name, List.of(port), eps);
  }

  /** Parses policy YAML that must be valid. */
  static PolicySet policies(String yaml) {
    PolicyLoad load = PolicyLoader.parse(yaml, "test.yaml");
    if (!load.errors().isEmpty()) {
      throw new AssertionError("policy errors: " + load.errors());
    }
    return load.policies();
  }
}

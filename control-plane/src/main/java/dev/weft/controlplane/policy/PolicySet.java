package dev.weft.controlplane.policy;

import java.util.List;
import java.util.Optional;

/**
 * Every valid traffic policy in force: the input of the translator. Immutable.
 * See the policy reference in the README for the kinds and their fields.
 *
 * @param trafficRoutes         {@code TrafficRoute}s
 * @param destinationPolicies   {@code DestinationPolicy}s
 * @param mtlsPolicies          {@code MTLSPolicy}s
 * @param authorizationPolicies {@code AuthorizationPolicy}s
 * @param mesh                  the {@code MeshConfig}, or {@link MeshConfig#DEFAULT}
 */
public record PolicySet(
    List<TrafficRoute> trafficRoutes,
    List<DestinationPolicy> destinationPolicies,
    List<MtlsPolicy> mtlsPolicies,
    List<AuthorizationPolicy> authorizationPolicies,
    MeshConfig mesh) {

  public static final PolicySet EMPTY = new PolicySet(List.of(), List.of(), List.of(), List.of(), MeshConfig.DEFAULT);

  public PolicySet {
    trafficRoutes = List.copyOf(trafficRoutes);
    destinationPolicies = List.copyOf(destinationPolicies);
    mtlsPolicies = List.copyOf(mtlsPolicies);
    authorizationPolicies = List.copyOf(authorizationPolicies);
    mesh = mesh == null ? MeshConfig.DEFAULT : mesh;
  }

  /** The TrafficRoute of service {@code name} in {@code namespace}. */
  public Optional<TrafficRoute> trafficRoute(String namespace, String name) {
    return trafficRoutes.stream()
        .filter(r -> r.meta().namespace().equals(namespace) && r.service().equals(name)).findFirst();
  }

  /** The DestinationPolicy of service {@code name} in {@code namespace}. */
  public Optional<DestinationPolicy> destinationPolicy(String namespace, String name) {
    return destinationPolicies.stream()
        .filter(p -> p.meta().namespace().equals(namespace) && p.service().equals(name)).findFirst();
  }
}

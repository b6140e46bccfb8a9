package dev.weft.controlplane.policy;

import dev.weft.controlplane.discovery.RegistrySnapshot;
import dev.weft.controlplane.discovery.Service;
import dev.weft.controlplane.discovery.ServicePort;
import java.util.ArrayList;
import java.util.List;

/**
 * The checks that need the registry: every service a policy names exists in its namespace, and a
 * backend's port is a port of its service. (References between policies are checked by
 * {@link PolicyLoader}.) A policy with such an error still loads: services come and go, and the
 * translator leaves out what it cannot resolve; the control plane reports these on the policy.
 */
public final class PolicyReferences {

  private PolicyReferences() {}

  /** Every reference in {@code policies} that {@code registry} cannot resolve. */
  public static List<PolicyError> check(PolicySet policies, RegistrySnapshot registry) {
    List<PolicyError> errors = new ArrayList<>();
    for (TrafficRoute t : policies.trafficRoutes()) {
      Service s = service(t.meta(), t.service(), "spec.service", registry, errors);
      for (int i = 0; i < t.routes().size(); i++) {
        List<TrafficRoute.Backend> backends = t.routes().get(i).backends();
        for (int j = 0; j < backends.size(); j++) {
          TrafficRoute.Backend b = backends.get(j);
          String path = "spec.routes[" + i + "].backends[" + j + "]";
          Service target = b.service().equals(t.service()) ? s
              : service(t.meta(), b.service(), path + ".service", registry, errors);
          if (target != null && b.port() != 0 && target.ports().stream().noneMatch(p -> p.port() == b.port())) {
            errors.add(t.meta().error(path + ".port", b.port() + " (expected: a port of service '" + b.service()
                + "': " + ports(target) + ")"));
          }
        }
      }
    }
    for (DestinationPolicy d : policies.destinationPolicies()) {
      service(d.meta(), d.service(), "spec.service", registry, errors);
    }
    return errors;
  }

  private static Service service(PolicyMeta meta, String name, String path, RegistrySnapshot registry,
      List<PolicyError> errors) {
    Service s = registry.service(meta.namespace(), name).orElse(null);
    if (s == null) {
      List<String> known = registry.services().stream().filter(x -> x.namespace().equals(meta.namespace()))
          .map(Service::name).sorted().toList();
      errors.add(meta.error(path, "'" + name + "' (expected: a service in namespace " + meta.namespace()
          + (known.isEmpty() ? "; it has none" : ": " + String.join(", ", known)) + ")"
          + YamlObject.suggestion(name, known)));
    }
    return s;
  }

  private static String ports(Service s) {
    return String.join(", ", s.ports().stream().map(ServicePort::port).map(String::valueOf).toList());
  }
}

package dev.weft.controlplane.policy;

import java.util.List;
import java.util.Map;

/**
 * {@code kind: AuthorizationPolicy}: who may call the selected workloads, and what (Istio's
 * AuthorizationPolicy, simplified). Per workload: a request matching any DENY rule is refused;
 * then, if any ALLOW policy selects the workload, the request must match one of their rules.
 *
 * @param meta     identity and source
 * @param selector pod labels that select workloads; empty for the whole namespace
 * @param action   ALLOW or DENY
 * @param rules    the rules; an ALLOW policy without rules denies everything
 */
public record AuthorizationPolicy(PolicyMeta meta, Map<String, String> selector, Action action, List<Rule> rules) {

  public AuthorizationPolicy {
    selector = Map.copyOf(selector);
    rules = List.copyOf(rules);
  }

  public enum Action { ALLOW, DENY }

  /** A rule matches when any {@code from} and any {@code to} match (an empty list matches all). */
  public record Rule(List<Source> from, List<Operation> to) {
    public Rule {
      from = List.copyOf(from);
      to = List.copyOf(to);
    }
  }

  /**
   * Callers, by SPIFFE identity. All given lists must match (each list: any of its values).
   *
   * @param principals      full SPIFFE IDs ({@code spiffe://td/ns/x/sa/y})
   * @param namespaces      caller namespaces
   * @param serviceAccounts caller service accounts as {@code namespace/name}
   */
  public record Source(List<String> principals, List<String> namespaces, List<String> serviceAccounts) {
    public Source {
      principals = List.copyOf(principals);
      namespaces = List.copyOf(namespaces);
      serviceAccounts = List.copyOf(serviceAccounts);
    }
  }

  /**
   * Requests: all given lists must match (each list: any of its values).
   *
   * @param paths   exact paths, {@code /prefix/*} or {@code *suffix}
   * @param methods HTTP methods
   */
  public record Operation(List<String> paths, List<String> methods) {
    public Operation {
      paths = List.copyOf(paths);
      methods = List.copyOf(methods);
    }
  }
}

package dev.weft.proxy.config;

import java.util.List;

/**
 * One RBAC filter (Envoy's {@code envoy.config.rbac.v3.RBAC}): an action and named policies.
 * An ALLOW filter lets through what some policy matches and denies the rest (so with no policy it
 * denies everything); a DENY filter denies what some policy matches. Several filters apply in
 * order and a request must pass all of them, which gives Istio's semantics: DENY policies win
 * over ALLOW policies.
 *
 * <p>Matching is fail-closed where the input is ambiguous (a header with several values): every
 * rule is evaluated with a {@link Bias} that resolves ambiguity towards denial, toward a match
 * in a DENY filter and toward no match in an ALLOW filter; negation flips it.
 *
 * @param name     the filter's name or stat prefix (metric label)
 * @param action   what a matching policy means
 * @param policies policies in name order
 */
public record RbacConfig(String name, Action action, List<Policy> policies) {

  public RbacConfig {
    policies = List.copyOf(policies);
  }

  /** Envoy's {@code RBAC.Action}, less LOG. */
  public enum Action { ALLOW, DENY }

  /**
   * How to resolve a rule whose input is ambiguous. {@code MATCH}: the rule matches if any
   * reading of the input matches; {@code NO_MATCH}: only if every reading does.
   */
  public enum Bias {
    MATCH, NO_MATCH;

    public Bias flip() {
      return this == MATCH ? NO_MATCH : MATCH;
    }
  }

  /**
   * A named policy: it matches when some permission and some principal match.
   *
   * @param permissions at least one
   * @param principals  at least one
   */
  public record Policy(String name, List<RbacPermission> permissions, List<RbacPrincipal> principals) {

    public Policy {
      permissions = List.copyOf(permissions);
      principals = List.copyOf(principals);
    }

    public boolean matches(RbacRequest r, Bias bias) {
      boolean permitted = false;
      for (RbacPermission p : permissions) {
        if (p.matches(r, bias)) {
          permitted = true;
          break;
        }
      }
      if (!permitted) {
        return false;
      }
      for (RbacPrincipal p : principals) {
        if (p.matches(r, bias)) {
          return true;
        }
      }
      return false;
    }
  }

  /** The first matching policy, or {@code null}. */
  public Policy matchingPolicy(RbacRequest r) {
    Bias bias = action == Action.DENY ? Bias.MATCH : Bias.NO_MATCH;
    for (Policy p : policies) {
      if (p.matches(r, bias)) {
        return p;
      }
    }
    return null;
  }

  /** Whether this filter lets {@code r} through. */
  public boolean allows(RbacRequest r) {
    boolean matched = matchingPolicy(r) != null;
    return action == Action.ALLOW ? matched : !matched;
  }

  /** The first of {@code filters} that denies {@code r}, or {@code null} when all allow it. */
  public static RbacConfig firstDenying(List<RbacConfig> filters, RbacRequest r) {
    for (int i = 0, n = filters.size(); i < n; i++) {
      RbacConfig f = filters.get(i);
      if (!f.allows(r)) {
        return f;
      }
    }
    return null;
  }
}

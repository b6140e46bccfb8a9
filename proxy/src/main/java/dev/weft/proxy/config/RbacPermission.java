package dev.weft.proxy.config;

import java.util.List;

/**
 * What an RBAC policy covers (Envoy's {@code envoy.config.rbac.v3.Permission}), the subset Weft
 * implements: any, and/or/not, a header, the URL path and the destination port.
 */
public sealed interface RbacPermission {

  /** Whether the request is covered, resolving ambiguous input by {@code bias}. */
  boolean matches(RbacRequest r, RbacConfig.Bias bias);

  /** Whether this rule needs an HTTP request (a header or the path). */
  boolean httpOnly();

  /** {@code any: true}. */
  record Any() implements RbacPermission {
    public boolean matches(RbacRequest r, RbacConfig.Bias bias) {
      return true;
    }

    public boolean httpOnly() {
      return false;
    }
  }

  /** {@code and_rules}: all must match. */
  record And(List<RbacPermission> rules) implements RbacPermission {
    public And {
      rules = List.copyOf(rules);
    }

    public boolean matches(RbacRequest r, RbacConfig.Bias bias) {
      for (RbacPermission p : rules) {
        if (!p.matches(r, bias)) {
          return false;
        }
      }
      return true;
    }

    public boolean httpOnly() {
      return rules.stream().anyMatch(RbacPermission::httpOnly);
    }
  }

  /** {@code or_rules}: one must match. */
  record Or(List<RbacPermission> rules) implements RbacPermission {
    public Or {
      rules = List.copyOf(rules);
    }

    public boolean matches(RbacRequest r, RbacConfig.Bias bias) {
      for (RbacPermission p : rules) {
        if (p.matches(r, bias)) {
          return true;
        }
      }
      return false;
    }

    public boolean httpOnly() {
      return rules.stream().anyMatch(RbacPermission::httpOnly);
    }
  }

  /** {@code not_rule}: the negation; ambiguity is resolved the other way inside it. */
  record Not(RbacPermission rule) implements RbacPermission {
    public boolean matches(RbacRequest r, RbacConfig.Bias bias) {
      return !rule.matches(r, bias.flip());
    }

    public boolean httpOnly() {
      return rule.httpOnly();
    }
  }

  /** {@code header}: a request header or pseudo-header, each value checked on its own. */
  record Header(HeaderMatcher matcher) implements RbacPermission {
    public boolean matches(RbacRequest r, RbacConfig.Bias bias) {
      return RbacHeaderMatch.matches(matcher, r, bias);
    }

    public boolean httpOnly() {
      return true;
    }
  }

  /** {@code url_path}: the normalized path without the query. */
  record UrlPath(StringMatcher matcher) implements RbacPermission {
    public boolean matches(RbacRequest r, RbacConfig.Bias bias) {
      return matcher.matches(r.path());
    }

    public boolean httpOnly() {
      return true;
    }
  }

  /** {@code destination_port}. */
  record DestinationPort(int port) implements RbacPermission {
    public boolean matches(RbacRequest r, RbacConfig.Bias bias) {
      return r.destinationPort() == port;
    }

    public boolean httpOnly() {
      return false;
    }
  }
}

package dev.weft.proxy.config;

import java.util.List;

/**
 * Who an RBAC policy covers (Envoy's {@code envoy.config.rbac.v3.Principal}), the subset Weft
 * implements: any, and/or/not, the authenticated peer principal and a header.
 */
public sealed interface RbacPrincipal {

  /** Whether the request's downstream is covered, resolving ambiguous input by {@code bias}. */
  boolean matches(RbacRequest r, RbacConfig.Bias bias);

  /** Whether this rule needs an HTTP request (a header). */
  boolean httpOnly();

  /** {@code any: true}. */
  record Any() implements RbacPrincipal {
    public boolean matches(RbacRequest r, RbacConfig.Bias bias) {
      return true;
    }

    public boolean httpOnly() {
      return false;
    }
  }

  /** {@code and_ids}: all must match. */
  record And(List<RbacPrincipal> ids) implements RbacPrincipal {
    public And {
      ids = List.copyOf(ids);
    }

    public boolean matches(RbacRequest r, RbacConfig.Bias bias) {
      for (RbacPrincipal p : ids) {
        if (!p.matches(r, bias)) {
          return false;
        }
      }
      return true;
    }

    public boolean httpOnly() {
      return ids.stream().anyMatch(RbacPrincipal::httpOnly);
    }
  }

  /** {@code or_ids}: one must match. */
  record Or(List<RbacPrincipal> ids) implements RbacPrincipal {
    public Or {
      ids = List.copyOf(ids);
    }

    public boolean matches(RbacRequest r, RbacConfig.Bias bias) {
      for (RbacPrincipal p : ids) {
        if (p.matches(r, bias)) {
          return true;
        }
      }
      return false;
    }

    public boolean httpOnly() {
      return ids.stream().anyMatch(RbacPrincipal::httpOnly);
    }
  }

  /** {@code not_id}: the negation; ambiguity is resolved the other way inside it. */
  record Not(RbacPrincipal id) implements RbacPrincipal {
    public boolean matches(RbacRequest r, RbacConfig.Bias bias) {
      return !id.matches(r, bias.flip());
    }

    public boolean httpOnly() {
      return id.httpOnly();
    }
  }

  /**
   * {@code authenticated}: the connection has a verified peer principal and, when
   * {@code principalName} is set, it matches (e.g. a prefix {@code spiffe://td/ns/foo/} for a
   * namespace). Never matches a plaintext connection.
   *
   * @param principalName matcher for the SPIFFE ID, or {@code null} for any authenticated peer
   */
  record Authenticated(StringMatcher principalName) implements RbacPrincipal {
    public boolean matches(RbacRequest r, RbacConfig.Bias bias) {
      String p = r.principal();
      return p != null && (principalName == null || principalName.matches(p));
    }

    public boolean httpOnly() {
      return false;
    }
  }

  /** {@code header}: a request header, each value checked on its own. */
  record Header(HeaderMatcher matcher) implements RbacPrincipal {
    public boolean matches(RbacRequest r, RbacConfig.Bias bias) {
      return RbacHeaderMatch.matches(matcher, r, bias);
    }

    public boolean httpOnly() {
      return true;
    }
  }
}

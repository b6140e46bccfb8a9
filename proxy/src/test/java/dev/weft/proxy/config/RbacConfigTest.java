package dev.weft.proxy.config;

import static org.assertj.core.api.Assertions.assertThat;

import com.google.re2j.Pattern;
import dev.weft.proxy.config.RbacConfig.Action;
import dev.weft.proxy.config.RbacConfig.Policy;
import java.util.List;
import java.util.Map;
import java.util.stream.Stream;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.params.ParameterizedTest;
import org.junit.jupiter.params.provider.Arguments;
import org.junit.jupiter.params.provider.MethodSource;

class RbacConfigTest {

  /** A request with a principal, a port, a path and headers (name → values, one per header line). */
  record Req(String principal, int destinationPort, String path, Map<String, List<String>> headers)
      implements RbacRequest {
    public List<String> headerValues(String name) {
      return headers.getOrDefault(name, List.of());
    }
  }

  private static Req req(String principal, String path, Map<String, List<String>> headers) {
    return new Req(principal, 15006, path, headers);
  }

  private static final String WEB = "spiffe://td/ns/foo/sa/web";

  static Stream<Arguments> stringMatchers() {
    return Stream.of(
        Arguments.of(StringMatcher.exact("/admin", false), "/admin", true),
        Arguments.of(StringMatcher.exact("/admin", false), "/ADMIN", false),
        Arguments.of(StringMatcher.exact("/admin", true), "/ADMIN", true),
        Arguments.of(StringMatcher.prefix("/admin", false), "/admin/x", true),
        Arguments.of(StringMatcher.prefix("/admin", false), "/Admin/x", false),
        Arguments.of(StringMatcher.prefix("/admin", true), "/Admin/x", true),
        Arguments.of(StringMatcher.prefix("/admin", false), "/adm", false),
        Arguments.of(StringMatcher.suffix(".json", false), "/a.json", true),
        Arguments.of(StringMatcher.suffix(".json", true), "/a.JSON", true),
        Arguments.of(StringMatcher.suffix(".json", false), "json", false),
        Arguments.of(StringMatcher.contains("min", false), "/admin", true),
        Arguments.of(StringMatcher.contains("MIN", true), "/admin", true),
        Arguments.of(StringMatcher.contains("MIN", false), "/admin", false),
        Arguments.of(StringMatcher.regex(Pattern.compile("spiffe://td/ns/[^/]+/sa/web")), WEB, true),
        Arguments.of(StringMatcher.regex(Pattern.compile("spiffe://td/ns/foo/")), WEB, false), // whole value
        Arguments.of(StringMatcher.exact("", false), null, false));
  }

  @ParameterizedTest(name = "[{index}] {0} on {1}")
  @MethodSource("stringMatchers")
  void stringMatcher(StringMatcher m, String value, boolean expected) {
    assertThat(m.matches(value)).isEqualTo(expected);
  }

  private static RbacConfig filter(Action action, RbacPermission permission, RbacPrincipal principal) {
    return new RbacConfig("test", action, List.of(new Policy("p", List.of(permission), List.of(principal))));
  }

  private static final RbacPermission ANY = new RbacPermission.Any();
  private static final RbacPrincipal ANYONE = new RbacPrincipal.Any();

  private static RbacPermission header(String name, String exact) {
    return new RbacPermission.Header(new HeaderMatcher(name, HeaderMatcher.Kind.EXACT, exact, null, false, false));
  }

  private static RbacPermission adminPath() {
    return new RbacPermission.UrlPath(StringMatcher.prefix("/admin", true));
  }

  static Stream<Arguments> decisions() {
    RbacPrincipal web = new RbacPrincipal.Authenticated(StringMatcher.exact(WEB, false));
    RbacPrincipal fooNamespace = new RbacPrincipal.Authenticated(StringMatcher.prefix("spiffe://td/ns/foo/", false));
    RbacPrincipal anyAuthenticated = new RbacPrincipal.Authenticated(null);
    Map<String, List<String>> none = Map.of();
    return Stream.of(
        // Principals.
        Arguments.of("allow exact principal", filter(Action.ALLOW, ANY, web), req(WEB, "/", none), true),
        Arguments.of("allow exact principal, other", filter(Action.ALLOW, ANY, web),
            req("spiffe://td/ns/foo/sa/api", "/", none), false),
        Arguments.of("allow exact principal, plaintext", filter(Action.ALLOW, ANY, web), req(null, "/", none), false),
        Arguments.of("allow namespace", filter(Action.ALLOW, ANY, fooNamespace),
            req("spiffe://td/ns/foo/sa/api", "/", none), true),
        Arguments.of("allow namespace, lookalike", filter(Action.ALLOW, ANY, fooNamespace),
            req("spiffe://td/ns/foobar/sa/api", "/", none), false),
        Arguments.of("allow any authenticated", filter(Action.ALLOW, ANY, anyAuthenticated), req(WEB, "/", none),
            true),
        Arguments.of("allow any authenticated, plaintext", filter(Action.ALLOW, ANY, anyAuthenticated),
            req(null, "/", none), false),
        Arguments.of("deny not-namespace, plaintext", filter(Action.DENY, ANY, new RbacPrincipal.Not(fooNamespace)),
            req(null, "/", none), false),
        Arguments.of("and_ids", filter(Action.ALLOW, ANY, new RbacPrincipal.And(List.of(fooNamespace,
            new RbacPrincipal.Not(web)))), req(WEB, "/", none), false),
        Arguments.of("or_ids", filter(Action.ALLOW, ANY, new RbacPrincipal.Or(List.of(web, fooNamespace))),
            req("spiffe://td/ns/foo/sa/x", "/", none), true),
        // Paths.
        Arguments.of("deny /admin", filter(Action.DENY, adminPath(), ANYONE), req(null, "/admin/x", none), false),
        Arguments.of("deny /admin, ignore case", filter(Action.DENY, adminPath(), ANYONE), req(null, "/ADMIN", none),
            false),
        Arguments.of("deny /admin, other path", filter(Action.DENY, adminPath(), ANYONE), req(null, "/api", none),
            true),
        // Methods and headers.
        Arguments.of("allow GET", filter(Action.ALLOW, header(":method", "GET"), ANYONE),
            req(null, "/", Map.of(":method", List.of("GET"))), true),
        Arguments.of("allow GET, POST", filter(Action.ALLOW, header(":method", "GET"), ANYONE),
            req(null, "/", Map.of(":method", List.of("POST"))), false),
        Arguments.of("and_rules", filter(Action.ALLOW, new RbacPermission.And(List.of(header(":method", "GET"),
            adminPath())), ANYONE), req(null, "/admin", Map.of(":method", List.of("GET"))), true),
        Arguments.of("or_rules", filter(Action.ALLOW, new RbacPermission.Or(List.of(header(":method", "PUT"),
            adminPath())), ANYONE), req(null, "/api", Map.of(":method", List.of("GET"))), false),
        // Repeated headers cannot hide a value.
        Arguments.of("deny evil, one value", filter(Action.DENY, header("x-a", "evil"), ANYONE),
            req(null, "/", Map.of("x-a", List.of("evil"))), false),
        Arguments.of("deny evil, second line", filter(Action.DENY, header("x-a", "evil"), ANYONE),
            req(null, "/", Map.of("x-a", List.of("ok", "evil"))), false),
        Arguments.of("deny evil, comma list", filter(Action.DENY, header("x-a", "evil"), ANYONE),
            req(null, "/", Map.of("x-a", List.of("ok, evil"))), false),
        Arguments.of("deny joined value", filter(Action.DENY, header("x-a", "ok,evil"), ANYONE),
            req(null, "/", Map.of("x-a", List.of("ok", "evil"))), false),
        Arguments.of("deny evil, absent", filter(Action.DENY, header("x-a", "evil"), ANYONE),
            req(null, "/", none), true),
        Arguments.of("deny evil, only ok", filter(Action.DENY, header("x-a", "evil"), ANYONE),
            req(null, "/", Map.of("x-a", List.of("ok", "ok"))), true),
        Arguments.of("allow ok, ok and evil", filter(Action.ALLOW, header("x-a", "ok"), ANYONE),
            req(null, "/", Map.of("x-a", List.of("ok", "evil"))), false),
        Arguments.of("allow ok, ok twice", filter(Action.ALLOW, header("x-a", "ok"), ANYONE),
            req(null, "/", Map.of("x-a", List.of("ok", "ok"))), true),
        Arguments.of("deny unless ok, ok and evil", filter(Action.DENY, new RbacPermission.Not(header("x-a", "ok")),
            ANYONE), req(null, "/", Map.of("x-a", List.of("ok", "evil"))), false),
        Arguments.of("deny unless ok, ok", filter(Action.DENY, new RbacPermission.Not(header("x-a", "ok")),
            ANYONE), req(null, "/", Map.of("x-a", List.of("ok"))), true),
        Arguments.of("deny inverted header, ok and evil", filter(Action.DENY, new RbacPermission.Header(
            new HeaderMatcher("x-a", HeaderMatcher.Kind.EXACT, "ok", null, false, true)), ANYONE),
            req(null, "/", Map.of("x-a", List.of("ok", "evil"))), false),
        // Ports and empty filters.
        Arguments.of("deny port", filter(Action.DENY, new RbacPermission.DestinationPort(15006), ANYONE),
            req(null, "/", none), false),
        Arguments.of("deny other port", filter(Action.DENY, new RbacPermission.DestinationPort(9090), ANYONE),
            req(null, "/", none), true),
        Arguments.of("allow with no policy", new RbacConfig("t", Action.ALLOW, List.of()), req(WEB, "/", none),
            false),
        Arguments.of("deny with no policy", new RbacConfig("t", Action.DENY, List.of()), req(WEB, "/", none), true));
  }

  @ParameterizedTest(name = "[{index}] {0}")
  @MethodSource("decisions")
  void decides(String name, RbacConfig filter, RbacRequest request, boolean allowed) {
    assertThat(filter.allows(request)).isEqualTo(allowed);
  }

  @Test
  void aDenyFilterWinsOverAnAllowFilterThatMatches() {
    RbacConfig deny = new RbacConfig("deny", Action.DENY,
        List.of(new Policy("no-admin", List.of(adminPath()), List.of(ANYONE))));
    RbacConfig allow = new RbacConfig("allow", Action.ALLOW, List.of(new Policy("web", List.of(ANY),
        List.of(new RbacPrincipal.Authenticated(StringMatcher.exact(WEB, false))))));
    List<RbacConfig> chain = List.of(deny, allow);

    assertThat(RbacConfig.firstDenying(chain, req(WEB, "/admin", Map.of()))).isSameAs(deny);
    assertThat(RbacConfig.firstDenying(chain, req(WEB, "/api", Map.of()))).isNull();
    assertThat(RbacConfig.firstDenying(chain, req("spiffe://td/ns/bar/sa/x", "/api", Map.of()))).isSameAs(allow);
  }

  @Test
  void aPolicyNeedsBothAPermissionAndAPrincipalToMatch() {
    Policy p = new Policy("p", List.of(adminPath()),
        List.of(new RbacPrincipal.Authenticated(StringMatcher.exact(WEB, false))));

    assertThat(p.matches(req(WEB, "/admin", Map.of()), RbacConfig.Bias.MATCH)).isTrue();
    assertThat(p.matches(req(WEB, "/api", Map.of()), RbacConfig.Bias.MATCH)).isFalse();
    assertThat(p.matches(req(null, "/admin", Map.of()), RbacConfig.Bias.MATCH)).isFalse();
  }
}

package dev.weft.proxy.route;

import static org.assertj.core.api.Assertions.assertThat;

import com.google.re2j.Pattern;
import dev.weft.proxy.config.HeaderMatcher;
import dev.weft.proxy.config.HeaderMutation;
import dev.weft.proxy.config.Route;
import dev.weft.proxy.config.RouteAction;
import dev.weft.proxy.config.RouteMatch;
import dev.weft.proxy.config.RouteTable;
import dev.weft.proxy.config.VirtualHost;
import io.netty.handler.codec.http.DefaultHttpRequest;
import io.netty.handler.codec.http.HttpMethod;
import io.netty.handler.codec.http.HttpRequest;
import io.netty.handler.codec.http.HttpVersion;
import java.util.List;
import org.junit.jupiter.api.Test;

class RouterTest {
  private static final RouteAction DIRECT = new RouteAction.DirectResponse(200, new byte[0]);

  private static VirtualHost vh(String name, List<String> domains, Route... routes) {
    return new VirtualHost(name, domains, List.of(routes), HeaderMutation.NONE, HeaderMutation.NONE);
  }

  private static Route route(String name, RouteMatch match) {
    return new Route(name, match, DIRECT, HeaderMutation.NONE, HeaderMutation.NONE);
  }

  private static HttpRequest get(String uri) {
    return new DefaultHttpRequest(HttpVersion.HTTP_1_1, HttpMethod.GET, uri);
  }

  @Test
  void picksVirtualHostsInEnvoyOrder() {
    RouteTable t = new RouteTable("t", List.of(
        vh("any", List.of("*")),
        vh("prefix", List.of("api.*")),
        vh("suffix", List.of("*.example.com")),
        vh("longer-suffix", List.of("*.foo.example.com")),
        vh("exact", List.of("www.example.com", "Mixed.Case"))),
        HeaderMutation.NONE, HeaderMutation.NONE, false);
    assertThat(t.findVirtualHost("www.example.com", false).name()).isEqualTo("exact");
    assertThat(t.findVirtualHost("WWW.EXAMPLE.COM", false).name()).isEqualTo("exact");
    assertThat(t.findVirtualHost("mixed.case", false).name()).isEqualTo("exact");
    assertThat(t.findVirtualHost("a.foo.example.com", false).name()).isEqualTo("longer-suffix");
    assertThat(t.findVirtualHost("a.example.com", false).name()).isEqualTo("suffix");
    assertThat(t.findVirtualHost("api.example.org", false).name()).isEqualTo("prefix");
    assertThat(t.findVirtualHost("other", false).name()).isEqualTo("any");
    assertThat(t.findVirtualHost(".example.com", false).name()).as("a wildcard matches at least one char")
        .isEqualTo("any");
  }

  @Test
  void portIsPartOfTheHostUnlessStripped() {
    RouteTable t = new RouteTable("t", List.of(vh("exact", List.of("svc"))), HeaderMutation.NONE,
        HeaderMutation.NONE, false);
    assertThat(t.findVirtualHost("svc:8080", false)).isNull();
    assertThat(t.findVirtualHost("svc:8080", true).name()).isEqualTo("exact");
    assertThat(RouteTable.stripPort("[::1]:80")).isEqualTo("[::1]");
    assertThat(RouteTable.stripPort("[::1]")).isEqualTo("[::1]");
  }

  @Test
  void pathExcludesQueryAndFragmentAndAbsoluteFormAuthority() {
    assertThat(Router.path("/a/b?x=1")).isEqualTo("/a/b");
    assertThat(Router.path("/a#frag")).isEqualTo("/a");
    assertThat(Router.path("http://host:80/p?q")).isEqualTo("/p");
    assertThat(Router.path("http://host")).isEqualTo("/");
    assertThat(Router.path("*")).isEqualTo("*");
  }

  @Test
  void firstMatchingRouteWins() {
    VirtualHost v = vh("v", List.of("*"),
        route("exact", new RouteMatch(new RouteMatch.PathMatch.Exact("/a", true), List.of(), false)),
        route("regex", new RouteMatch(new RouteMatch.PathMatch.Regex(Pattern.compile("/a/[0-9]+")), List.of(), false)),
        route("sep", new RouteMatch(new RouteMatch.PathMatch.SeparatedPrefix("/api"), List.of(), false)),
        route("prefix-ci", new RouteMatch(new RouteMatch.PathMatch.Prefix("/CI", false), List.of(), false)),
        route("all", new RouteMatch(new RouteMatch.PathMatch.Prefix("/", true), List.of(), false)));
    assertThat(Router.match(v, get("/a"), "/a", false).name()).isEqualTo("exact");
    assertThat(Router.match(v, get("/a/12"), "/a/12", false).name()).isEqualTo("regex");
    assertThat(Router.match(v, get("/a/12x"), "/a/12x", false).name()).as("regex must match the whole path")
        .isEqualTo("all");
    assertThat(Router.match(v, get("/api/x"), "/api/x", false).name()).isEqualTo("sep");
    assertThat(Router.match(v, get("/apix"), "/apix", false).name()).isEqualTo("all");
    assertThat(Router.match(v, get("/ci/x"), "/ci/x", false).name()).isEqualTo("prefix-ci");
  }

  @Test
  void matchesMethodHeadersAndGrpc() {
    HeaderMatcher post = new HeaderMatcher(":method", HeaderMatcher.Kind.EXACT, "POST", null, false, false);
    HeaderMatcher canary = new HeaderMatcher("x-canary", HeaderMatcher.Kind.PRESENT, null, null, false, false);
    HeaderMatcher notTest = new HeaderMatcher("x-env", HeaderMatcher.Kind.EXACT, "test", null, true, true);
    VirtualHost v = vh("v", List.of("*"),
        route("post", new RouteMatch(new RouteMatch.PathMatch.Prefix("/", true), List.of(post), false)),
        route("grpc", new RouteMatch(new RouteMatch.PathMatch.Prefix("/", true), List.of(), true)),
        route("canary", new RouteMatch(new RouteMatch.PathMatch.Prefix("/", true), List.of(canary, notTest), false)));
    HttpRequest p = new DefaultHttpRequest(HttpVersion.HTTP_1_1, HttpMethod.POST, "/");
    assertThat(Router.match(v, p, "/", false).name()).isEqualTo("post");
    assertThat(Router.match(v, get("/"), "/", true).name()).isEqualTo("grpc");
    HttpRequest c = get("/");
    c.headers().add("x-canary", "1");
    assertThat(Router.match(v, c, "/", false).name()).isEqualTo("canary");
    c.headers().add("x-env", "TEST");
    assertThat(Router.match(v, c, "/", false)).as("inverted, case-insensitive exact match").isNull();
  }

  @Test
  void repeatedHeadersAreJoinedWithCommas() {
    HttpRequest r = get("/");
    r.headers().add("x-a", "1").add("x-a", "2");
    assertThat(Router.headerValue(r, "x-a")).isEqualTo("1,2");
    assertThat(Router.headerValue(r, "x-missing")).isNull();
    assertThat(Router.headerValue(r, ":method")).isEqualTo("GET");
  }
}

package dev.weft.perf.jmh;

import dev.weft.proxy.config.HeaderMatcher;
import dev.weft.proxy.config.HeaderMutation;
import dev.weft.proxy.config.Route;
import dev.weft.proxy.config.RouteAction;
import dev.weft.proxy.config.RouteMatch;
import dev.weft.proxy.config.RouteTable;
import dev.weft.proxy.config.VirtualHost;
import dev.weft.proxy.route.Router;
import io.netty.handler.codec.http.DefaultHttpRequest;
import io.netty.handler.codec.http.HttpMethod;
import io.netty.handler.codec.http.HttpRequest;
import io.netty.handler.codec.http.HttpVersion;
import java.time.Duration;
import java.util.ArrayList;
import java.util.List;
import java.util.concurrent.TimeUnit;
import org.openjdk.jmh.annotations.Benchmark;
import org.openjdk.jmh.annotations.BenchmarkMode;
import org.openjdk.jmh.annotations.Fork;
import org.openjdk.jmh.annotations.Measurement;
import org.openjdk.jmh.annotations.Mode;
import org.openjdk.jmh.annotations.OutputTimeUnit;
import org.openjdk.jmh.annotations.Param;
import org.openjdk.jmh.annotations.Scope;
import org.openjdk.jmh.annotations.Setup;
import org.openjdk.jmh.annotations.State;
import org.openjdk.jmh.annotations.Warmup;

/**
 * {@link Router#match} over one virtual host with 1,000 routes, as the proxy runs it per request:
 * a mix of prefix, exact-path and header-conditioned routes (every fourth route also requires
 * {@code :method GET} and an {@code x-tenant} header), with the request matching the first,
 * middle or last route, or none. Also the virtual-host lookup over 1,000 domains.
 */
@State(Scope.Thread)
@BenchmarkMode(Mode.AverageTime)
@OutputTimeUnit(TimeUnit.NANOSECONDS)
@Warmup(iterations = 3, time = 1)
@Measurement(iterations = 5, time = 1)
@Fork(1)
public class RouteMatchBenchmark {
  static final int ROUTES = 1_000;

  /** Which route the request hits. */
  @Param({"first", "middle", "last", "miss"})
  public String target;

  private VirtualHost vh;
  private RouteTable table;
  private HttpRequest request;
  private String path;
  private String host;

  @Setup
  public void setUp() {
    List<Route> routes = new ArrayList<>(ROUTES);
    List<VirtualHost> hosts = new ArrayList<>(ROUTES);
    RouteAction action = new RouteAction.Forward(
        List.of(new RouteAction.WeightedTarget("app", 1, HeaderMutation.NONE, HeaderMutation.NONE)), 1,
        Duration.ofSeconds(15), null, null, null, 503);
    for (int i = 0; i < ROUTES; i++) {
      RouteMatch.PathMatch pm = i % 2 == 0
          ? new RouteMatch.PathMatch.Prefix("/svc" + i + "/", true)
          : new RouteMatch.PathMatch.Exact("/svc" + i + "/api/v1/items", true);
      List<HeaderMatcher> headers = i % 4 == 0
          ? List.of(new HeaderMatcher(":method", HeaderMatcher.Kind.EXACT, "GET", null, false, false),
              new HeaderMatcher("x-tenant", HeaderMatcher.Kind.PREFIX, "team-", null, false, false))
          : List.of();
      routes.add(new Route("r" + i, new RouteMatch(pm, headers, false), action, HeaderMutation.NONE,
          HeaderMutation.NONE));
      hosts.add(new VirtualHost("vh" + i, List.of("svc" + i + ".ns.svc.cluster.local"), List.of(), HeaderMutation.NONE,
          HeaderMutation.NONE));
    }
    vh = new VirtualHost("app", List.of("*"), routes, HeaderMutation.NONE, HeaderMutation.NONE);
    hosts.add(vh);
    table = new RouteTable("bench", hosts, HeaderMutation.NONE, HeaderMutation.NONE, false);
    int index = switch (target) {
      case "first" -> 0;
      case "middle" -> ROUTES / 2;
      case "last" -> ROUTES - 1;
      default -> -1;
    };
    String uri = index < 0 ? "/nowhere/at/all?x=1"
        : index % 2 == 0 ? "/svc" + index + "/api/v1/items?page=2" : "/svc" + index + "/api/v1/items";
    request = new DefaultHttpRequest(HttpVersion.HTTP_1_1, HttpMethod.GET, uri);
    request.headers().set("host", "svc" + Math.max(0, index) + ".ns.svc.cluster.local:8080");
    request.headers().set("x-tenant", "team-blue");
    request.headers().set("user-agent", "bench/1.0");
    path = Router.path(uri);
    host = request.headers().get("host");
    if ((Router.match(vh, request, path, false) == null) != (index < 0)) {
      throw new IllegalStateException("route table does not behave as the benchmark expects for " + target);
    }
  }

  @Benchmark
  public Route matchRoute() {
    return Router.match(vh, request, Router.path(request.uri()), false);
  }

  @Benchmark
  public VirtualHost findVirtualHost() {
    return table.findVirtualHost(host, true);
  }

  /** Path extraction alone, the first step of every match. */
  @Benchmark
  public String extractPath() {
    return Router.path(request.uri());
  }
}

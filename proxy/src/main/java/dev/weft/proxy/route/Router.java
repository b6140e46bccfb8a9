package dev.weft.proxy.route;

import dev.weft.proxy.config.HeaderMatcher;
import dev.weft.proxy.config.Route;
import dev.weft.proxy.config.RouteMatch;
import dev.weft.proxy.config.VirtualHost;
import io.netty.handler.codec.http.HttpHeaderNames;
import io.netty.handler.codec.http.HttpRequest;
import java.util.List;

/** Finds the first route of a virtual host that matches a request, as Envoy does. */
public final class Router {
  private Router() {}

  /** The path part of a request target: no query or fragment; absolute-form targets lose scheme and authority. */
  public static String path(String uri) {
    int start = 0;
    if (!uri.isEmpty() && uri.charAt(0) != '/') {
      int scheme = uri.indexOf("://");
      if (scheme > 0) {
        int slash = uri.indexOf('/', scheme + 3);
        if (slash < 0) {
          return "/";
        }
        start = slash;
      }
    }
    int end = uri.length();
    for (int i = start; i < uri.length(); i++) {
      char c = uri.charAt(i);
      if (c == '?' || c == '#') {
        end = i;
        break;
      }
    }
    return start == 0 && end == uri.length() ? uri : uri.substring(start, end);
  }

  /** The first matching route, or null. */
  public static Route match(VirtualHost vh, HttpRequest request, String path, boolean grpc) {
    List<Route> routes = vh.routes();
    for (int i = 0, n = routes.size(); i < n; i++) {
      Route r = routes.get(i);
      if (matches(r.match(), request, path, grpc)) {
        return r;
      }
    }
    return null;
  }

  /** Whether every matcher in {@code headers} matches the request (true when there are none). */
  public static boolean headersMatch(List<HeaderMatcher> headers, HttpRequest request) {
    for (int i = 0, n = headers.size(); i < n; i++) {
      HeaderMatcher h = headers.get(i);
      if (!h.matches(headerValue(request, h.name()))) {
        return false;
      }
    }
    return true;
  }

  static boolean matches(RouteMatch m, HttpRequest request, String path, boolean grpc) {
    if (m.grpcOnly() && !grpc) {
      return false;
    }
    if (!m.path().matches(path)) {
      return false;
    }
    List<HeaderMatcher> headers = m.headers();
    for (int i = 0, n = headers.size(); i < n; i++) {
      HeaderMatcher h = headers.get(i);
      if (!h.matches(headerValue(request, h.name()))) {
        return false;
      }
    }
    return true;
  }

  /** A header's value for matching: pseudo-headers from the request line, repeated headers joined with ",". */
  static String headerValue(HttpRequest request, String name) {
    if (name.charAt(0) == ':') {
      return switch (name) {
        case ":method" -> request.method().name();
        case ":path" -> request.uri();
        case ":authority" -> request.headers().get(HttpHeaderNames.HOST);
        case ":scheme" -> "http";
        default -> null;
      };
    }
    List<String> all = request.headers().getAll(name);
    if (all.isEmpty()) {
      return null;
    }
    return all.size() == 1 ? all.getFirst() : String.join(",", all);
  }
}

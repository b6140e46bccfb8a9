package dev.weft.proxy.http;

import dev.weft.proxy.config.HashPolicy;
import dev.weft.proxy.lb.LbContext;
import dev.weft.proxy.lb.XxHash64;
import io.netty.handler.codec.http.HttpHeaderNames;
import io.netty.handler.codec.http.HttpHeaders;
import io.netty.handler.codec.http.HttpRequest;
import java.net.InetAddress;
import java.net.InetSocketAddress;
import java.net.SocketAddress;
import java.time.Duration;
import java.util.Arrays;
import java.util.List;

/**
 * A request's hash from its route's {@code hash_policy} list, as Envoy computes it, for RING_HASH
 * and MAGLEV: xxHash64 of a header's value (several values: sorted, chained), of a cookie, or of
 * the downstream source IP; each policy's hash is combined with the previous ones as
 * {@code rotl(previous, 1) ^ hash}, and a {@code terminal} policy that produced a hash ends the
 * list. A cookie policy with a {@code ttl} whose cookie is missing generates the cookie as Envoy
 * does (a hash of the connection's addresses) and owes the client a {@code Set-Cookie}.
 *
 * <p>One instance per router (connection or stream), reused request after request on its event
 * loop; it is the {@link LbContext} handed to the cluster's balancer.
 */
public final class RequestHash implements LbContext {
  private boolean present;
  private long value;
  /** The Set-Cookie value owed for the current request, or null. */
  private String setCookie;
  private InetAddress lastSource;
  private long lastSourceHash;

  /**
   * Computes the hash of {@code request} (on a connection from {@code remote} to {@code local}).
   *
   * @return this, as the balancer's context
   */
  public RequestHash compute(List<HashPolicy> policies, HttpRequest request, SocketAddress remote,
      SocketAddress local) {
    present = false;
    value = 0;
    setCookie = null;
    for (int i = 0, n = policies.size(); i < n; i++) {
      HashPolicy policy = policies.get(i);
      boolean found;
      long h = 0;
      switch (policy) {
        case HashPolicy.Header header -> {
          found = hasHeader(header.name(), request);
          if (found) {
            h = headerHash(header.name(), request);
          }
        }
        case HashPolicy.Cookie cookie -> {
          if (request.headers().contains(HttpHeaderNames.COOKIE) && findCookie(request.headers(), cookie.name())) {
            found = true;
            h = XxHash64.hash(cookieSource, cookieFrom, cookieTo, 0);
          } else if (cookie.ttl() != null) {
            String generated = generateCookieValue(remote, local);
            setCookie = setCookieValue(cookie.name(), generated, cookie.path(), cookie.ttl());
            found = true;
            h = XxHash64.hash(generated);
          } else {
            found = false;
          }
        }
        case HashPolicy.SourceIp ignored -> {
          found = remote instanceof InetSocketAddress isa && isa.getAddress() != null;
          if (found) {
            h = sourceIpHash(((InetSocketAddress) remote).getAddress());
          }
        }
      }
      if (found) {
        value = present ? Long.rotateLeft(value, 1) ^ h : h;
        present = true;
        if (policy.terminal()) {
          break;
        }
      }
    }
    return this;
  }

  @Override
  public boolean hasHash() {
    return present;
  }

  @Override
  public long hash() {
    return value;
  }

  /** The {@code Set-Cookie} value a generated cookie owes the client, or null. */
  public String setCookie() {
    return setCookie;
  }

  /** Adds the owed {@code Set-Cookie}, if any, to the response headers. */
  public void addSetCookie(HttpHeaders response) {
    if (setCookie != null) {
      response.add(HttpHeaderNames.SET_COOKIE, setCookie);
    }
  }

  // ---- headers

  private static boolean hasHeader(String name, HttpRequest request) {
    return pseudo(name, request) != null || request.headers().contains(name);
  }

  private static String pseudo(String name, HttpRequest request) {
    return switch (name) {
      case ":authority" -> request.headers().get(HttpHeaderNames.HOST);
      case ":path" -> request.uri();
      case ":method" -> request.method().name();
      default -> null;
    };
  }

  /** xxHash64 of the header's value; several values are sorted and chained, as Envoy. 0 if absent. */
  private static long headerHash(String name, HttpRequest request) {
    if (name.startsWith(":")) {
      String v = pseudo(name, request);
      return v == null ? 0 : XxHash64.hash(v);
    }
    HttpHeaders headers = request.headers();
    String first = headers.get(name);
    if (first == null) {
      return 0;
    }
    List<String> all = headers.getAll(name);
    if (all.size() == 1) {
      return XxHash64.hash(first);
    }
    String[] sorted = all.toArray(String[]::new);
    Arrays.sort(sorted);
    long h = 0;
    for (String v : sorted) {
      h = XxHash64.hash(v, h);
    }
    return h;
  }

  // ---- cookies

  /** Where the last {@link #findCookie} found its cookie's value: the Cookie header, from, to. */
  private String cookieSource;
  private int cookieFrom;
  private int cookieTo;

  /**
   * Finds cookie {@code name} in the request's Cookie headers and sets {@link #cookieSource},
   * {@link #cookieFrom}, {@link #cookieTo} to its value (quotes removed). An empty value counts as
   * absent, as in Envoy.
   */
  private boolean findCookie(HttpHeaders headers, String name) {
    for (String header : headers.getAll(HttpHeaderNames.COOKIE)) {
      int i = 0;
      int n = header.length();
      while (i < n) {
        while (i < n && (header.charAt(i) == ' ' || header.charAt(i) == '\t')) {
          i++;
        }
        int end = header.indexOf(';', i);
        if (end < 0) {
          end = n;
        }
        int eq = header.indexOf('=', i);
        if (eq > 0 && eq < end && eq - i == name.length() && header.regionMatches(i, name, 0, name.length())) {
          int from = eq + 1;
          int to = end;
          while (to > from && (header.charAt(to - 1) == ' ' || header.charAt(to - 1) == '\t')) {
            to--;
          }
          if (to - from >= 2 && header.charAt(from) == '"' && header.charAt(to - 1) == '"') {
            from++;
            to--;
          }
          if (to > from) {
            cookieSource = header;
            cookieFrom = from;
            cookieTo = to;
            return true;
          }
        }
        i = end + 1;
      }
    }
    return false;
  }

  /** Envoy's generated cookie value: hex of xxHash64(remote address + local address, "ip:port" each). */
  static String generateCookieValue(SocketAddress remote, SocketAddress local) {
    return String.format("%016x", XxHash64.hash(addressString(remote) + addressString(local)));
  }

  private static String addressString(SocketAddress a) {
    if (a instanceof InetSocketAddress isa && isa.getAddress() != null) {
      String ip = isa.getAddress().getHostAddress();
      return (ip.indexOf(':') >= 0 ? "[" + ip + "]" : ip) + ":" + isa.getPort();
    }
    return String.valueOf(a);
  }

  /** {@code name="value"; Max-Age=N; Path=p; HttpOnly}, as Envoy writes it (no Max-Age for a zero ttl). */
  static String setCookieValue(String name, String value, String path, Duration ttl) {
    StringBuilder sb = new StringBuilder(name).append("=\"").append(value).append('"');
    if (!ttl.isZero()) {
      sb.append("; Max-Age=").append(ttl.toSeconds());
    }
    if (!path.isEmpty()) {
      sb.append("; Path=").append(path);
    }
    return sb.append("; HttpOnly").toString();
  }

  // ---- source IP

  private long sourceIpHash(InetAddress address) {
    if (!address.equals(lastSource)) {
      lastSourceHash = XxHash64.hash(address.getHostAddress());
      lastSource = address;
    }
    return lastSourceHash;
  }

  /** xxHash64 of a connection's source IP, as the TCP proxy's {@code source_ip} hash policy uses it. */
  public static LbContext sourceIp(SocketAddress remote) {
    if (!(remote instanceof InetSocketAddress isa) || isa.getAddress() == null) {
      return LbContext.NONE;
    }
    long h = XxHash64.hash(isa.getAddress().getHostAddress());
    return new LbContext() {
      @Override
      public boolean hasHash() {
        return true;
      }

      @Override
      public long hash() {
        return h;
      }
    };
  }
}

package dev.weft.proxy.http;

import static org.assertj.core.api.Assertions.assertThat;

import dev.weft.proxy.config.HashPolicy;
import dev.weft.proxy.lb.XxHash64;
import io.netty.handler.codec.http.DefaultHttpRequest;
import io.netty.handler.codec.http.HttpMethod;
import io.netty.handler.codec.http.HttpRequest;
import io.netty.handler.codec.http.HttpVersion;
import java.net.InetSocketAddress;
import java.time.Duration;
import java.util.List;
import org.junit.jupiter.api.Test;

class RequestHashTest {
  private static final InetSocketAddress REMOTE = new InetSocketAddress("127.0.0.7", 40000);
  private static final InetSocketAddress LOCAL = new InetSocketAddress("127.0.0.1", 15001);

  private static HttpRequest request(String... headers) {
    HttpRequest r = new DefaultHttpRequest(HttpVersion.HTTP_1_1, HttpMethod.GET, "/p?q=1");
    for (int i = 0; i < headers.length; i += 2) {
      r.headers().add(headers[i], headers[i + 1]);
    }
    return r;
  }

  private final RequestHash hash = new RequestHash();

  @Test
  void noPoliciesNoHash() {
    assertThat(hash.compute(List.of(), request(), REMOTE, LOCAL).hasHash()).isFalse();
  }

  @Test
  void hashesAHeaderValueWithXxHash() {
    var policy = List.<HashPolicy>of(new HashPolicy.Header("x-user", false));
    assertThat(hash.compute(policy, request("x-user", "alice"), REMOTE, LOCAL).hash())
        .isEqualTo(XxHash64.hash("alice"));
    assertThat(hash.compute(policy, request(), REMOTE, LOCAL).hasHash()).isFalse();
    // Several values: sorted, then chained, so their order does not matter.
    long ab = hash.compute(policy, request("x-user", "b", "x-user", "a"), REMOTE, LOCAL).hash();
    assertThat(ab).isEqualTo(XxHash64.hash("b", XxHash64.hash("a")));
    assertThat(hash.compute(List.of(new HashPolicy.Header(":path", false)), request(), REMOTE, LOCAL).hash())
        .isEqualTo(XxHash64.hash("/p?q=1"));
  }

  @Test
  void hashesACookieValueWithoutQuotes() {
    var policy = List.<HashPolicy>of(new HashPolicy.Cookie("sid", "", null, false));
    assertThat(hash.compute(policy, request("cookie", "a=1; sid=\"xyz\"; b=2"), REMOTE, LOCAL).hash())
        .isEqualTo(XxHash64.hash("xyz"));
    assertThat(hash.compute(policy, request("cookie", "a=1", "cookie", "sid=xyz"), REMOTE, LOCAL).hash())
        .isEqualTo(XxHash64.hash("xyz"));
    assertThat(hash.compute(policy, request("cookie", "xsid=1; sid="), REMOTE, LOCAL).hasHash()).isFalse();
    assertThat(hash.setCookie()).isNull();
  }

  @Test
  void aMissingCookieWithATtlIsGeneratedAsEnvoyDoes() {
    var policy = List.<HashPolicy>of(new HashPolicy.Cookie("sid", "/app", Duration.ofSeconds(3600), false));
    hash.compute(policy, request(), REMOTE, LOCAL);
    String value = String.format("%016x", XxHash64.hash("127.0.0.7:40000127.0.0.1:15001"));
    assertThat(hash.hash()).isEqualTo(XxHash64.hash(value));
    assertThat(hash.setCookie()).isEqualTo("sid=\"" + value + "\"; Max-Age=3600; Path=/app; HttpOnly");

    var session = List.<HashPolicy>of(new HashPolicy.Cookie("sid", "", Duration.ZERO, false));
    assertThat(hash.compute(session, request(), REMOTE, LOCAL).setCookie())
        .isEqualTo("sid=\"" + value + "\"; HttpOnly");
    // The client sends it back: same hash, nothing more to set.
    hash.compute(policy, request("cookie", "sid=\"" + value + "\""), REMOTE, LOCAL);
    assertThat(hash.hash()).isEqualTo(XxHash64.hash(value));
    assertThat(hash.setCookie()).isNull();
  }

  @Test
  void hashesTheSourceIp() {
    var policy = List.<HashPolicy>of(new HashPolicy.SourceIp(false));
    assertThat(hash.compute(policy, request(), REMOTE, LOCAL).hash()).isEqualTo(XxHash64.hash("127.0.0.7"));
    assertThat(hash.compute(policy, request(), new InetSocketAddress("127.0.0.7", 1), LOCAL).hash())
        .isEqualTo(XxHash64.hash("127.0.0.7"));
    assertThat(RequestHash.sourceIp(REMOTE).hash()).isEqualTo(XxHash64.hash("127.0.0.7"));
  }

  @Test
  void combinesPoliciesAndStopsAtATerminalOneThatHashed() {
    long a = XxHash64.hash("a");
    long ip = XxHash64.hash("127.0.0.7");
    var both = List.<HashPolicy>of(new HashPolicy.Header("x-a", false), new HashPolicy.SourceIp(false));
    assertThat(hash.compute(both, request("x-a", "a"), REMOTE, LOCAL).hash()).isEqualTo(Long.rotateLeft(a, 1) ^ ip);
    var terminal = List.<HashPolicy>of(new HashPolicy.Header("x-a", true), new HashPolicy.SourceIp(false));
    assertThat(hash.compute(terminal, request("x-a", "a"), REMOTE, LOCAL).hash()).isEqualTo(a);
    // A terminal policy that found nothing does not stop the list.
    assertThat(hash.compute(terminal, request(), REMOTE, LOCAL).hash()).isEqualTo(ip);
  }
}

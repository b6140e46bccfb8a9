package dev.weft.proxy.rbac;

import dev.weft.proxy.config.RbacRequest;
import dev.weft.proxy.tls.PeerIdentity;
import io.netty.channel.Channel;
import io.netty.handler.codec.http.HttpHeaderNames;
import io.netty.handler.codec.http.HttpRequest;
import java.util.List;

/**
 * An HTTP request as RBAC rules see it, after path normalization: {@code :path} is the
 * normalized target that will be forwarded, {@link #path()} the normalized path without query.
 *
 * @param request the request (its URI already normalized)
 * @param path    the normalized path without query
 * @param channel the request's channel (an HTTP/2 stream or the HTTP/1 connection)
 */
public record HttpRbacRequest(HttpRequest request, String path, Channel channel) implements RbacRequest {

  @Override
  public String principal() {
    return PeerIdentity.principal(channel);
  }

  @Override
  public int destinationPort() {
    return ConnectionRbacRequest.localPort(channel);
  }

  @Override
  public List<String> headerValues(String name) {
    if (name.isEmpty() || name.charAt(0) != ':') {
      return request.headers().getAll(name);
    }
    String v = switch (name) {
      case ":method" -> request.method().name();
      case ":path" -> request.uri();
      case ":authority" -> request.headers().get(HttpHeaderNames.HOST);
      case ":scheme" -> "http";
      default -> null;
    };
    return v == null ? List.of() : List.of(v);
  }
}

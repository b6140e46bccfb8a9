package dev.weft.proxy.rbac;

import dev.weft.proxy.config.RbacRequest;
import io.netty.channel.Channel;
import io.netty.handler.codec.http2.Http2StreamChannel;
import java.net.InetSocketAddress;
import java.util.List;

/**
 * A connection as network RBAC rules see it: a peer principal and a destination port; no path
 * and no headers.
 *
 * @param principal       the peer's SPIFFE ID, or {@code null} on plaintext
 * @param destinationPort the port the connection was accepted on
 */
public record ConnectionRbacRequest(String principal, int destinationPort) implements RbacRequest {

  @Override
  public String path() {
    return null;
  }

  @Override
  public List<String> headerValues(String name) {
    return List.of();
  }

  /** The local port of the connection {@code channel} belongs to (its parent for an HTTP/2 stream), or 0. */
  static int localPort(Channel channel) {
    Channel connection = channel instanceof Http2StreamChannel s ? s.parent() : channel;
    return connection.localAddress() instanceof InetSocketAddress a ? a.getPort() : 0;
  }
}

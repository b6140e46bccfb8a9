package dev.weft.proxy.tls;

import io.netty.channel.Channel;
import io.netty.handler.codec.http2.Http2StreamChannel;
import io.netty.util.AttributeKey;

/**
 * The authenticated identity of a downstream connection's peer: the URI SAN (SPIFFE ID) of the
 * client certificate, set on the connection channel once the TLS handshake has verified it.
 * Absent on plaintext connections. Authorization, metrics and {@code x-forwarded-client-cert}
 * read it from here.
 */
public final class PeerIdentity {
  /** The peer's principal name, e.g. {@code spiffe://cluster.local/ns/default/sa/web}. */
  public static final AttributeKey<String> PRINCIPAL = AttributeKey.valueOf("weft.peer.principal");
  /** Hex SHA-256 of the peer's leaf certificate (DER), as in {@code x-forwarded-client-cert}'s Hash. */
  public static final AttributeKey<String> CERT_HASH = AttributeKey.valueOf("weft.peer.cert-hash");
  /** Our own URI SAN on this connection, as in {@code x-forwarded-client-cert}'s By. */
  public static final AttributeKey<String> LOCAL_PRINCIPAL = AttributeKey.valueOf("weft.local.principal");

  private PeerIdentity() {}

  /** The peer principal of {@code channel}'s connection (an HTTP/2 stream looks at its parent), or null. */
  public static String principal(Channel channel) {
    Channel connection = channel instanceof Http2StreamChannel s ? s.parent() : channel;
    return connection.attr(PRINCIPAL).get();
  }

  public static void set(Channel connection, String principal) {
    connection.attr(PRINCIPAL).set(principal);
  }

  /** An attribute of {@code channel}'s connection (an HTTP/2 stream looks at its parent). */
  public static <T> T get(Channel channel, AttributeKey<T> key) {
    Channel connection = channel instanceof Http2StreamChannel s ? s.parent() : channel;
    return connection.attr(key).get();
  }
}

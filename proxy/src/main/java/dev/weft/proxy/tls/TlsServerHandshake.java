package dev.weft.proxy.tls;

import dev.weft.certs.SpiffeId;
import io.netty.channel.ChannelHandlerContext;
import io.netty.channel.ChannelInboundHandlerAdapter;
import io.netty.handler.ssl.SslHandler;
import io.netty.handler.ssl.SslHandshakeCompletionEvent;
import java.security.MessageDigest;
import java.security.cert.Certificate;
import java.security.cert.X509Certificate;
import java.util.HexFormat;
import java.util.function.BiConsumer;
import java.util.logging.Logger;
import javax.net.ssl.SSLPeerUnverifiedException;

/**
 * Follows the {@link SslHandler} of a downstream TLS connection. When the handshake succeeds it
 * records the peer's identity on the connection ({@link PeerIdentity}: URI SAN, certificate
 * hash, our own URI SAN), removes itself and hands the negotiated ALPN protocol to
 * {@code onReady}, which installs the chain's network filter. A failed handshake closes the
 * connection.
 */
public final class TlsServerHandshake extends ChannelInboundHandlerAdapter {
  private static final Logger LOG = Logger.getLogger(TlsServerHandshake.class.getName());

  private final String localPrincipal;
  private final BiConsumer<ChannelHandlerContext, String> onReady;

  /** @param onReady called with the ALPN protocol ("h2", "http/1.1") or null */
  public TlsServerHandshake(String localPrincipal, BiConsumer<ChannelHandlerContext, String> onReady) {
    this.localPrincipal = localPrincipal;
    this.onReady = onReady;
  }

  @Override
  public void userEventTriggered(ChannelHandlerContext ctx, Object evt) throws Exception {
    if (!(evt instanceof SslHandshakeCompletionEvent e)) {
      ctx.fireUserEventTriggered(evt);
      return;
    }
    if (!e.isSuccess()) {
      LOG.fine(() -> "TLS handshake from " + ctx.channel().remoteAddress() + " failed: " + e.cause());
      ctx.close();
      return;
    }
    SslHandler ssl = ctx.pipeline().get(SslHandler.class);
    try {
      Certificate[] peer = ssl.engine().getSession().getPeerCertificates();
      if (peer.length > 0 && peer[0] instanceof X509Certificate leaf) {
        try {
          PeerIdentity.set(ctx.channel(), SpiffeId.fromCertificate(leaf).toString());
        } catch (IllegalArgumentException notSpiffe) {
          // A valid certificate without a single SPIFFE ID: authenticated, but no principal.
        }
        ctx.channel().attr(PeerIdentity.CERT_HASH).set(HexFormat.of().formatHex(
            MessageDigest.getInstance("SHA-256").digest(leaf.getEncoded())));
      }
    } catch (SSLPeerUnverifiedException noClientCertificate) {
      // allowed when client certificates are optional
    }
    if (localPrincipal != null) {
      ctx.channel().attr(PeerIdentity.LOCAL_PRINCIPAL).set(localPrincipal);
    }
    String alpn = ssl.applicationProtocol();
    ctx.pipeline().remove(this);
    onReady.accept(ctx, alpn);
  }

  @Override
  public void exceptionCaught(ChannelHandlerContext ctx, Throwable cause) {
    // Handshake failures (untrusted client, plaintext on a TLS port) end here: close, no stack trace.
    LOG.fine(() -> "TLS connection from " + ctx.channel().remoteAddress() + " failed: " + cause);
    ctx.close();
  }
}

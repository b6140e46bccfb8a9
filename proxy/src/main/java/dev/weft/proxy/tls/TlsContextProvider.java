package dev.weft.proxy.tls;

import dev.weft.certs.CertifiedKey;
import dev.weft.proxy.config.TlsConfig;
import io.netty.handler.ssl.ApplicationProtocolConfig;
import io.netty.handler.ssl.ClientAuth;
import io.netty.handler.ssl.SslContext;
import io.netty.handler.ssl.SslContextBuilder;
import io.netty.handler.ssl.SslProvider;
import java.security.cert.X509Certificate;
import java.util.ArrayList;
import java.util.List;
import java.util.concurrent.atomic.AtomicInteger;
import java.util.logging.Level;
import java.util.logging.Logger;

/**
 * The Netty {@link SslContext} for one TLS config, rebuilt when its key or roots change
 * (rotation, file reload). New connections take {@link #current()}; connections already open
 * keep the context they were made with.
 */
public final class TlsContextProvider {
  private static final Logger LOG = Logger.getLogger(TlsContextProvider.class.getName());

  private final TlsConfig config;
  private final boolean server;
  private final SslProvider provider;
  private final List<String> alpn;
  private final TlsMaterial.KeySource keys;
  private final TlsMaterial.TrustSource trust;
  private final AtomicInteger builds = new AtomicInteger();
  private volatile SslContext context;

  TlsContextProvider(TlsConfig config, boolean server, SslProvider provider, List<String> alpn,
      TlsMaterial.KeySource keys, TlsMaterial.TrustSource trust) throws Exception {
    this.config = config;
    this.server = server;
    this.provider = provider;
    this.alpn = List.copyOf(alpn);
    this.keys = keys;
    this.trust = trust;
    this.context = build();
    if (keys != null) {
      keys.onChange(this::rebuild);
    }
    if (trust != null) {
      trust.onChange(this::rebuild);
    }
  }

  public SslContext current() {
    return context;
  }

  /** How many contexts were built (1 at start, +1 per rotation or reload). */
  public int builds() {
    return builds.get();
  }

  public SslProvider provider() {
    return provider;
  }

  /** The local identity (URI SAN of our certificate), or null. */
  public String localPrincipal() {
    try {
      return keys == null ? null : keys.current().chain().spiffeId().toString();
    } catch (RuntimeException e) {
      return null;
    }
  }

  private void rebuild() {
    try {
      context = build();
    } catch (Exception e) {
      // Keep serving with the last good context; the next change tries again.
      LOG.log(Level.WARNING, "cannot rebuild the TLS context; keeping the previous one: " + e.getMessage());
    }
  }

  private SslContext build() throws Exception {
    CertifiedKey key = keys == null ? null : keys.current();
    X509Certificate[] chain = key == null ? null : key.chain().certificates().toArray(X509Certificate[]::new);
    SslContextBuilder b;
    if (server) {
      b = SslContextBuilder.forServer(key.privateKey(), chain);
      b.clientAuth(config.requireClientCertificate() ? ClientAuth.REQUIRE
          : trust != null ? ClientAuth.OPTIONAL : ClientAuth.NONE);
    } else {
      b = SslContextBuilder.forClient();
      if (key != null) {
        b.keyManager(key.privateKey(), chain);
      }
    }
    b.sslProvider(provider);
    // The key goes through an in-memory KeyStore on its way to the engine. PKCS12 (the JDK default)
    // protects it with 10,000 rounds of PBKDF2 in and out: hundreds of milliseconds of start-up on a
    // cold JVM for a store that never leaves the process. JKS's protection is a few hashes.
    b.keyStoreType("JKS");
    if (trust != null) {
      b.trustManager(new SanVerifyingTrustManager(trust.roots(), config.sanMatchers()));
    }
    List<String> protocols = new ArrayList<>();
    for (String v : List.of("TLSv1.2", "TLSv1.3")) {
      if (v.compareTo(config.minVersion()) >= 0 && v.compareTo(config.maxVersion()) <= 0) {
        protocols.add(v);
      }
    }
    b.protocols(protocols);
    if (!alpn.isEmpty()) {
      b.applicationProtocolConfig(new ApplicationProtocolConfig(ApplicationProtocolConfig.Protocol.ALPN,
          ApplicationProtocolConfig.SelectorFailureBehavior.NO_ADVERTISE,
          ApplicationProtocolConfig.SelectedListenerFailureBehavior.ACCEPT, alpn));
    }
    SslContext built = b.build();
    builds.incrementAndGet();
    return built;
  }
}

package dev.weft.proxy.tls;

import dev.weft.proxy.config.TlsConfig;
import io.netty.handler.ssl.OpenSsl;
import io.netty.handler.ssl.SslProvider;
import java.nio.file.Path;
import java.util.IdentityHashMap;
import java.util.List;
import java.util.Locale;
import java.util.Map;
import java.util.concurrent.Executors;
import java.util.concurrent.ScheduledExecutorService;

/**
 * Builds and keeps one {@link TlsContextProvider} per TLS config of a snapshot, resolving
 * where key material comes from: PEM files (polled for changes), inline PEM, or named secrets
 * served by a {@link TlsMaterial.SecretProvider} (the workload identity).
 *
 * <p>The TLS implementation is OpenSSL (BoringSSL through netty-tcnative) when available,
 * else the JDK's; {@code -Dweft.tls.provider=jdk|openssl} chooses explicitly.
 */
public final class TlsContexts implements AutoCloseable {
  private final TlsMaterial.SecretProvider secrets;
  private final ScheduledExecutorService poller;
  private final long pollMillis;
  /** Chosen on first TLS use: loading OpenSSL costs start-up time and memory a plain-text sidecar never needs. */
  private SslProvider provider;
  private final Map<TlsConfig, TlsContextProvider> servers = new IdentityHashMap<>();
  /** Client providers by config (identity) and the ALPN list they offer. */
  private final Map<TlsConfig, Map<List<String>, TlsContextProvider>> clients = new IdentityHashMap<>();

  public TlsContexts(TlsMaterial.SecretProvider secrets) {
    this.secrets = secrets;
    this.poller = Executors.newSingleThreadScheduledExecutor(r -> Thread.ofPlatform().daemon()
        .name("weft-tls-files").unstarted(r));
    this.pollMillis = Long.getLong("weft.tls.poll-ms", 1000);
    if (System.getProperty("weft.tls.provider") != null) {
      this.provider = chooseProvider(); // an explicit choice fails fast if it cannot be had
    }
  }

  static SslProvider chooseProvider() {
    String want = System.getProperty("weft.tls.provider", "auto").toLowerCase(Locale.ROOT);
    return switch (want) {
      case "jdk" -> SslProvider.JDK;
      case "openssl" -> {
        if (!OpenSsl.isAvailable()) {
          throw new IllegalStateException("weft.tls.provider=openssl but OpenSSL is not available: "
              + OpenSsl.unavailabilityCause());
        }
        yield SslProvider.OPENSSL;
      }
      default -> OpenSsl.isAvailable() ? SslProvider.OPENSSL : SslProvider.JDK;
    };
  }

  public synchronized SslProvider provider() {
    if (provider == null) {
      provider = chooseProvider();
    }
    return provider;
  }

  /** The server-side provider for a filter chain's TLS config (created on first use). */
  public synchronized TlsContextProvider server(TlsConfig config) throws TlsSetupException {
    TlsContextProvider p = servers.get(config);
    if (p == null) {
      p = create(config, true, config.alpn());
      servers.put(config, p);
    }
    return p;
  }

  /**
   * The client-side provider for a cluster's TLS config. Without configured ALPN, the
   * cluster's HTTP protocol is offered ({@code defaultAlpn}).
   */
  public synchronized TlsContextProvider client(TlsConfig config, List<String> defaultAlpn) throws TlsSetupException {
    return clientOffering(config, config.alpn().isEmpty() ? defaultAlpn : config.alpn());
  }

  /**
   * The client-side provider for a cluster's TLS config offering exactly {@code alpn}, whatever
   * the config lists: for pools that speak one protocol each on a cluster that keeps the
   * downstream protocol, as Envoy overrides ALPN per connection pool.
   */
  public synchronized TlsContextProvider clientOffering(TlsConfig config, List<String> alpn) throws TlsSetupException {
    Map<List<String>, TlsContextProvider> byAlpn = clients.computeIfAbsent(config, c -> new java.util.HashMap<>());
    TlsContextProvider p = byAlpn.get(alpn);
    if (p == null) {
      p = create(config, false, alpn);
      byAlpn.put(List.copyOf(alpn), p);
    }
    return p;
  }

  private TlsContextProvider create(TlsConfig c, boolean server, List<String> alpn) throws TlsSetupException {
    try {
      TlsMaterial.KeySource keys = switch (c.certificate()) {
        case null -> null;
        case TlsConfig.CertificateSource.Files f -> FileMaterial.keys(Path.of(f.chainPath()), Path.of(f.keyPath()),
            poller, pollMillis);
        case TlsConfig.CertificateSource.Inline i -> StaticMaterial.keys(i.chainPem(), i.keyPem());
        case TlsConfig.CertificateSource.Named n -> {
          TlsMaterial.KeySource s = secrets.keySource(n.name());
          if (s == null) {
            throw new TlsSetupException("no secret named '" + n.name() + "': define it in static_resources.secrets, "
                + "or run the proxy with a workload identity (which provides 'default' and 'ROOTCA')");
          }
          yield s;
        }
      };
      TlsMaterial.TrustSource trust = switch (c.trust()) {
        case null -> null;
        case TlsConfig.TrustSource.File f -> FileMaterial.roots(Path.of(f.path()), poller, pollMillis);
        case TlsConfig.TrustSource.Inline i -> StaticMaterial.roots(i.pem());
        case TlsConfig.TrustSource.Named n -> {
          TlsMaterial.TrustSource s = secrets.trustSource(n.name());
          if (s == null) {
            throw new TlsSetupException("no validation context named '" + n.name() + "': define it in "
                + "static_resources.secrets, or run the proxy with a workload identity (which provides 'ROOTCA')");
          }
          yield s;
        }
      };
      return new TlsContextProvider(c, server, provider(), alpn, keys, trust);
    } catch (TlsSetupException e) {
      throw e;
    } catch (Exception e) {
      throw new TlsSetupException("cannot set up TLS: " + e.getMessage(), e);
    }
  }

  @Override
  public void close() {
    poller.shutdownNow();
  }

  /** TLS material that cannot be loaded. */
  public static final class TlsSetupException extends Exception {
    private static final long serialVersionUID = 1L;

    public TlsSetupException(String message) {
      super(message);
    }

    public TlsSetupException(String message, Throwable cause) {
      super(message, cause);
    }
  }
}

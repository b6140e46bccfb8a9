package dev.weft.proxy;

import dev.weft.proxy.bootstrap.BootstrapLoader;
import dev.weft.proxy.bootstrap.ConfigException;
import java.io.PrintWriter;
import java.nio.file.Path;
import java.time.Duration;
import java.util.concurrent.Callable;
import java.util.concurrent.CountDownLatch;
import java.util.concurrent.atomic.AtomicBoolean;
import picocli.CommandLine;
import picocli.CommandLine.Command;
import picocli.CommandLine.Option;

/**
 * {@code weft proxy}: runs the sidecar from an Envoy bootstrap, or validates one.
 *
 * <p>On SIGTERM or SIGINT (or {@code POST /quitquitquit} on the admin port) it drains: stops
 * accepting, reports not ready, lets in-flight requests finish up to the drain timeout, and
 * exits 0.
 */
@Command(name = "proxy", mixinStandardHelpOptions = true,
    description = "Run the Weft sidecar proxy from an Envoy bootstrap (YAML or JSON).")
public final class ProxyCommand implements Callable<Integer> {

  @Option(names = {"-c", "--bootstrap"}, paramLabel = "FILE", description = "Envoy bootstrap to run.")
  Path bootstrap;

  @Option(names = "--validate", paramLabel = "FILE",
      description = "Check a bootstrap and exit: 0 when valid, 1 with every error otherwise.")
  Path validate;

  @Option(names = "--concurrency", defaultValue = "0",
      description = "Worker event loops (default: one per core).")
  int concurrency;

  @Option(names = "--drain-timeout", defaultValue = "20s", converter = DurationConverter.class,
      description = "How long a drain waits for in-flight requests (default: ${DEFAULT-VALUE}).")
  Duration drainTimeout;

  @Option(names = "--transport", defaultValue = "auto",
      description = "Socket transport: auto (epoll on Linux), epoll or nio.")
  String transport;

  @Option(names = "--tls-provider", defaultValue = "auto",
      description = "TLS implementation: auto (OpenSSL/BoringSSL when available), openssl or jdk.")
  String tlsProvider;

  @Option(names = "--identity", paramLabel = "SPIFFE_ID",
      description = "This workload's SPIFFE ID; with --ca-address the sidecar gets its certificate from the CA "
          + "and serves it as the TLS secret 'default' (and the CA's roots as 'ROOTCA').")
  String identity;

  @Option(names = "--ca-address", paramLabel = "HOST:PORT", description = "The Weft CA service (gRPC over TLS).")
  String caAddress;

  @Option(names = "--ca-root", paramLabel = "FILE", description = "PEM roots that the CA's certificate chains to.")
  Path caRoot;

  @Option(names = "--ca-token", paramLabel = "FILE",
      description = "Bearer token file presented to the CA (read on every request).")
  Path caToken;

  @Option(names = "--ca-server-id", paramLabel = "SPIFFE_ID",
      description = "The CA's expected SPIFFE ID (default: spiffe://<trust domain>/ns/weft-system/sa/weft-control-plane).")
  String caServerId;

  @Option(names = "--certificate-ttl", defaultValue = "24h", converter = DurationConverter.class,
      description = "Requested workload certificate lifetime (default: ${DEFAULT-VALUE}).")
  Duration certificateTtl;

  @CommandLine.Spec
  CommandLine.Model.CommandSpec spec;

  public static void main(String[] args) {
    System.exit(new CommandLine(new ProxyCommand()).execute(args));
  }

  @Override
  public Integer call() throws Exception {
    PrintWriter out = spec.commandLine().getOut();
    PrintWriter err = spec.commandLine().getErr();
    if (validate != null) {
      try {
        var loaded = BootstrapLoader.load(validate);
        out.println(validate + ": valid (" + loaded.config().listeners().size() + " listeners, "
            + loaded.config().clusters().size() + " clusters)");
        return 0;
      } catch (ConfigException e) {
        err.println(e.getMessage());
        return 1;
      }
    }
    if (bootstrap == null) {
      err.println("--bootstrap FILE is required (or --validate FILE)");
      return 2;
    }
    BootstrapLoader.Loaded loaded;
    try {
      loaded = BootstrapLoader.load(bootstrap);
    } catch (ConfigException e) {
      err.println(e.getMessage());
      return 1;
    }
    boolean preferNative = !transport.equals("nio");
    if (!tlsProvider.equals("auto")) {
      System.setProperty("weft.tls.provider", tlsProvider);
    }
    dev.weft.proxy.tls.TlsMaterial.SecretProvider secrets = dev.weft.proxy.tls.TlsMaterial.SecretProvider.NONE;
    if (identity != null || caAddress != null) {
      try {
        secrets = WorkloadIdentitySetup.start(identity, caAddress, caRoot, caToken, caServerId, certificateTtl, err);
      } catch (IllegalArgumentException e) {
        err.println("weft proxy: " + e.getMessage());
        return 2;
      }
    }
    Sidecar sidecar;
    try {
      sidecar = Sidecar.start(loaded.config(), loaded.bootstrap(),
          new Sidecar.Options(concurrency, preferNative, drainTimeout), secrets);
    } catch (IllegalArgumentException e) {
      err.println(bootstrap + ": " + e.getMessage());
      return 1;
    }
    CountDownLatch stopped = new CountDownLatch(1);
    AtomicBoolean stopping = new AtomicBoolean();
    Runnable drainAndStop = () -> {
      if (!stopping.compareAndSet(false, true)) {
        return;
      }
      try {
        err.println("weft proxy: draining (timeout " + drainTimeout.toSeconds() + "s)");
        err.flush();
        boolean clean = sidecar.drain();
        err.println("weft proxy: drained" + (clean ? "" : " (timeout reached)") + ", exiting");
        err.flush();
      } catch (InterruptedException e) {
        Thread.currentThread().interrupt();
      } finally {
        sidecar.close();
        stopped.countDown();
      }
    };
    Signals.onTerminate(() -> Thread.ofPlatform().name("weft-drain").start(drainAndStop));
    if (sidecar.adminAddress() != null) {
      out.println("admin listening on " + hostPort(sidecar.adminAddress()));
    }
    sidecar.listenerAddresses().forEach((name, a) -> out.println("listener " + name + " listening on "
        + hostPort(a)));
    if (loaded.config().ads() != null) {
      out.println("xDS: " + (loaded.config().ads().delta() ? "delta" : "state-of-the-world")
          + " ADS to cluster '" + loaded.config().ads().clusterName()
          + "'; dynamic listeners bind when their config arrives (/ready answers 200 then)");
    }
    out.println("weft proxy ready (" + sidecar.transport().name() + ", "
        + (concurrency > 0 ? concurrency : Runtime.getRuntime().availableProcessors()) + " workers)");
    out.flush();
    sidecar.onAdminQuit(() -> Thread.ofPlatform().name("weft-drain").start(drainAndStop));
    stopped.await();
    return 0;
  }

  private static String hostPort(java.net.InetSocketAddress a) {
    return a.getAddress().getHostAddress() + ":" + a.getPort();
  }

  /** Parses "500ms", "20s", "2m" or ISO-8601 durations. */
  static final class DurationConverter implements CommandLine.ITypeConverter<Duration> {
    @Override
    public Duration convert(String v) {
      if (v.startsWith("P") || v.startsWith("p")) {
        return Duration.parse(v);
      }
      if (v.endsWith("ms")) {
        return Duration.ofMillis(Long.parseLong(v.substring(0, v.length() - 2)));
      }
      long n = Long.parseLong(v.substring(0, v.length() - 1));
      return switch (v.charAt(v.length() - 1)) {
        case 's' -> Duration.ofSeconds(n);
        case 'm' -> Duration.ofMinutes(n);
        case 'h' -> Duration.ofHours(n);
        default -> throw new CommandLine.TypeConversionException("'" + v + "' is not a duration (e.g. 500ms, 20s, 2m)");
      };
    }
  }
}

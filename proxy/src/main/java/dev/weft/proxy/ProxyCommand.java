package dev.weft.proxy;

import dev.weft.proxy.bootstrap.BootstrapLoader;
import dev.weft.proxy.bootstrap.ConfigException;
import java.io.PrintWriter;
import java.nio.file.Path;
import java.time.Duration;
import java.util.List;
import java.util.concurrent.CountDownLatch;
import java.util.concurrent.atomic.AtomicBoolean;

/**
 * {@code weft proxy}: runs the sidecar from an Envoy bootstrap, or validates one.
 *
 * <p>On SIGTERM or SIGINT (or {@code POST /quitquitquit} on the admin port) it drains: stops
 * accepting, reports not ready, lets in-flight requests finish up to the drain timeout, and
 * exits 0.
 */
public final class ProxyCommand {

  /** The options, in the order the usage lists them. */
  private static final List<CommandOptions.Spec> OPTIONS = List.of(
      new CommandOptions.Spec("--bootstrap", "-c", "FILE", null, "Envoy bootstrap to run."),
      new CommandOptions.Spec("--validate", null, "FILE", null,
          "Check a bootstrap and exit: 0 when valid, 1 with every error otherwise."),
      new CommandOptions.Spec("--concurrency", null, "N", "0", "Worker event loops (default: one per core)."),
      new CommandOptions.Spec("--drain-timeout", null, "DURATION", "20s",
          "How long a drain waits for in-flight requests (default: 20s)."),
      new CommandOptions.Spec("--transport", null, "NAME", "auto",
          "Socket transport: auto (epoll on Linux), epoll or nio."),
      new CommandOptions.Spec("--tls-provider", null, "NAME", "auto",
          "TLS implementation: auto (OpenSSL/BoringSSL when available), openssl or jdk."),
      new CommandOptions.Spec("--identity", null, "SPIFFE_ID", null,
          "This workload's SPIFFE ID; with --ca-address the sidecar gets its certificate from the CA "
              + "and serves it as the TLS secret 'default' (and the CA's roots as 'ROOTCA')."),
      new CommandOptions.Spec("--ca-address", null, "HOST:PORT", null, "The Weft CA service (gRPC over TLS)."),
      new CommandOptions.Spec("--ca-root", null, "FILE", null, "PEM roots that the CA's certificate chains to."),
      new CommandOptions.Spec("--ca-token", null, "FILE", null,
          "Bearer token file presented to the CA (read on every request)."),
      new CommandOptions.Spec("--ca-server-id", null, "SPIFFE_ID", null,
          "The CA's expected SPIFFE ID (default: spiffe://<trust domain>/ns/weft-system/sa/weft-control-plane)."),
      new CommandOptions.Spec("--certificate-ttl", null, "DURATION", "24h",
          "Requested workload certificate lifetime (default: 24h)."));

  private static final String SYNOPSIS = "weft proxy";
  private static final String DESCRIPTION = "Run the Weft sidecar proxy from an Envoy bootstrap (YAML or JSON).";

  private final PrintWriter out;
  private final PrintWriter err;
  Path bootstrap;
  Path validate;
  int concurrency;
  Duration drainTimeout;
  String transport;
  String tlsProvider;
  String identity;
  String caAddress;
  Path caRoot;
  Path caToken;
  String caServerId;
  Duration certificateTtl;

  ProxyCommand(PrintWriter out, PrintWriter err) {
    this.out = out;
    this.err = err;
  }

  public static void main(String[] args) {
    System.exit(run(args, new PrintWriter(System.out, true), new PrintWriter(System.err, true)));
  }

  /**
   * Parses {@code args} and runs the command (a sidecar runs until it is told to stop).
   *
   * <p>The command line is parsed by hand rather than by an options library: picocli is compiled
   * for Java 5, so the JDK cannot keep its classes in the AOT cache, and loading and verifying
   * them cost about 0.4 s of the sidecar's start-up.
   *
   * @return the exit code: 0 ok, 1 invalid bootstrap or run failure, 2 usage error
   */
  static int run(String[] args, PrintWriter out, PrintWriter err) {
    CommandOptions parsed;
    try {
      parsed = CommandOptions.parse(args, OPTIONS);
    } catch (CommandOptions.UsageException e) {
      err.println(e.getMessage());
      err.print(CommandOptions.usage(SYNOPSIS, DESCRIPTION, OPTIONS));
      err.flush();
      return 2;
    }
    if (parsed.help()) {
      out.print(CommandOptions.usage(SYNOPSIS, DESCRIPTION, OPTIONS));
      out.flush();
      return 0;
    }
    if (parsed.version()) {
      String v = ProxyCommand.class.getPackage().getImplementationVersion();
      out.println("weft proxy " + (v == null ? "(development build)" : v));
      out.flush();
      return 0;
    }
    ProxyCommand command = new ProxyCommand(out, err);
    try {
      command.bootstrap = parsed.path("--bootstrap");
      command.validate = parsed.path("--validate");
      command.concurrency = parsed.integer("--concurrency");
      command.drainTimeout = parsed.duration("--drain-timeout");
      command.transport = parsed.string("--transport");
      command.tlsProvider = parsed.string("--tls-provider");
      command.identity = parsed.string("--identity");
      command.caAddress = parsed.string("--ca-address");
      command.caRoot = parsed.path("--ca-root");
      command.caToken = parsed.path("--ca-token");
      command.caServerId = parsed.string("--ca-server-id");
      command.certificateTtl = parsed.duration("--certificate-ttl");
    } catch (CommandOptions.UsageException e) {
      err.println(e.getMessage());
      err.flush();
      return 2;
    }
    try {
      return command.call();
    } catch (InterruptedException e) {
      Thread.currentThread().interrupt();
      return 1;
    } catch (Exception e) {
      err.println("weft proxy: " + e);
      err.flush();
      return 1;
    }
  }

  int call() throws Exception {
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
}

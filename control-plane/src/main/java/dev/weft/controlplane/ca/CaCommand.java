package dev.weft.controlplane.ca;

import dev.weft.certs.CertificateAuthority;
import dev.weft.certs.CertificateChain;
import dev.weft.certs.CertificateRequests;
import dev.weft.certs.KeyType;
import dev.weft.certs.Pem;
import dev.weft.certs.SpiffeId;
import dev.weft.certs.TrustDomain;
import java.io.IOException;
import java.io.PrintWriter;
import java.net.InetAddress;
import java.net.InetSocketAddress;
import java.nio.file.Files;
import java.nio.file.Path;
import java.security.KeyPair;
import java.security.SecureRandom;
import java.time.Clock;
import java.time.Duration;
import java.util.Optional;
import java.util.concurrent.Callable;
import picocli.CommandLine;
import picocli.CommandLine.Command;
import picocli.CommandLine.Option;

/**
 * {@code weft ca}: create a root CA, issue a certificate by hand, or run the CA service.
 *
 * <pre>
 * weft ca init  --out DIR [--trust-domain cluster.local] [--ttl 3650d]
 * weft ca issue --ca DIR --spiffe-id spiffe://td/ns/x/sa/y --out DIR [--ttl 24h]
 * weft ca serve --ca DIR --tokens FILE [--address 127.0.0.1:15012]
 * </pre>
 *
 * <p>{@code --ca DIR} holds either a Weft root ({@code root-cert.pem}, {@code root-key.pem}) or a
 * plug-in intermediate ({@code ca-cert.pem}, {@code ca-key.pem}, {@code cert-chain.pem}, {@code
 * root-cert.pem}); see {@link CaMaterial}. Exit codes: 0 success, 1 failure, 2 usage error.
 */
@Command(name = "ca", mixinStandardHelpOptions = true,
    description = "Weft certificate authority: create a root, issue certificates, run the CA service.",
    subcommands = {CaCommand.Init.class, CaCommand.Issue.class, CaCommand.Serve.class})
public final class CaCommand implements Callable<Integer> {

  @CommandLine.Spec
  CommandLine.Model.CommandSpec spec;

  /** Runs {@code weft ca} with the given arguments and exits with its status. */
  public static void main(String[] args) {
    System.exit(commandLine().execute(args));
  }

  /** Returns the configured command line, for embedding and tests. */
  public static CommandLine commandLine() {
    CommandLine commandLine = new CommandLine(new CaCommand());
    commandLine.setExecutionExceptionHandler((e, cl, parsed) -> {
      cl.getErr().println("weft ca " + cl.getCommandName() + ": " + e.getMessage());
      return 1;
    });
    return commandLine;
  }

  @Override
  public Integer call() {
    spec.commandLine().usage(spec.commandLine().getErr());
    return 2;
  }

  /** {@code weft ca init}: writes a new self-signed root. */
  @Command(name = "init", mixinStandardHelpOptions = true,
      description = "Create a self-signed root CA: writes root-cert.pem and root-key.pem (0600) into --out.")
  static final class Init implements Callable<Integer> {

    @Option(names = "--out", required = true, paramLabel = "DIR", description = "Directory to write into.")
    Path out;

    @Option(names = "--trust-domain", defaultValue = "cluster.local",
        description = "Trust domain of the mesh (default: ${DEFAULT-VALUE}).")
    String trustDomain;

    @Option(names = "--ttl", defaultValue = "3650d", converter = Durations.class,
        description = "Root lifetime (default: ${DEFAULT-VALUE}).")
    Duration ttl;

    @Option(names = "--force", description = "Replace an existing root in --out.")
    boolean force;

    @CommandLine.Spec
    CommandLine.Model.CommandSpec spec;

    @Override
    public Integer call() throws IOException {
      PrintWriter stdout = spec.commandLine().getOut();
      if (!force && (Files.exists(out.resolve(CaMaterial.ROOT_KEY)) || Files.exists(out.resolve(CaMaterial.ROOT_CERT)))) {
        spec.commandLine().getErr().println("weft ca init: " + out + " already holds a root CA (use --force to replace it)");
        return 1;
      }
      CaMaterial root = CaMaterial.newRoot(TrustDomain.of(trustDomain), ttl, Clock.systemUTC());
      root.writeRoot(out);
      stdout.println("wrote " + out.resolve(CaMaterial.ROOT_CERT) + " and " + out.resolve(CaMaterial.ROOT_KEY)
          + " (trust domain " + trustDomain + ", valid until " + root.certificate().getNotAfter().toInstant() + ")");
      return 0;
    }
  }

  /** {@code weft ca issue}: signs a workload certificate with a local key, for bootstrapping by hand. */
  @Command(name = "issue", mixinStandardHelpOptions = true,
      description = "Issue a workload certificate: writes cert-chain.pem, key.pem (0600) and root-cert.pem into --out.")
  static final class Issue implements Callable<Integer> {

    @Option(names = "--ca", required = true, paramLabel = "DIR", description = "CA directory (see 'weft ca').")
    Path ca;

    @Option(names = "--spiffe-id", required = true, description = "Identity to certify, spiffe://<td>/ns/<ns>/sa/<sa>.")
    String spiffeId;

    @Option(names = "--out", required = true, paramLabel = "DIR", description = "Directory to write into.")
    Path out;

    @Option(names = "--ttl", defaultValue = "24h", converter = Durations.class,
        description = "Certificate lifetime (default: ${DEFAULT-VALUE}).")
    Duration ttl;

    @CommandLine.Spec
    CommandLine.Model.CommandSpec spec;

    @Override
    public Integer call() throws IOException {
      SpiffeId id = SpiffeId.parse(spiffeId);
      CaMaterial material = CaMaterial.load(ca);
      TrustDomain domain = material.trustDomain(Optional.of(id.trustDomain()), id.trustDomain());
      CertificateAuthority authority = material.authority(CertificateAuthority.builder(domain)
          .maxLeafTtl(ttl.compareTo(CertificateAuthority.DEFAULT_MAX_LEAF_TTL) > 0 ? ttl
              : CertificateAuthority.DEFAULT_MAX_LEAF_TTL));
      KeyPair keyPair = KeyType.EC_P256.generate(new SecureRandom());
      CertificateChain chain = authority.sign(CertificateRequests.create(keyPair, id), id, ttl);
      Files.createDirectories(out);
      Pem.writeCertificates(out.resolve("cert-chain.pem"), chain.certificates());
      Pem.writePrivateKey(out.resolve("key.pem"), keyPair.getPrivate());
      Pem.writeCertificates(out.resolve(CaMaterial.ROOT_CERT), material.roots());
      spec.commandLine().getOut().println("issued " + id + " (valid until " + chain.notAfter() + ") into " + out);
      return 0;
    }
  }

  /** {@code weft ca serve}: runs the CA service with bootstrap tokens. */
  @Command(name = "serve", mixinStandardHelpOptions = true,
      description = "Run the CA service (gRPC over TLS), authenticating callers with bootstrap tokens.")
  static final class Serve implements Callable<Integer> {

    @Option(names = "--ca", required = true, paramLabel = "DIR", description = "CA directory (see 'weft ca').")
    Path ca;

    @Option(names = "--tokens", required = true, paramLabel = "FILE",
        description = "YAML list of {token, namespace, serviceAccount}; reloaded when it changes.")
    Path tokens;

    @Option(names = "--address", defaultValue = "127.0.0.1:15012",
        description = "Listening address HOST:PORT (default: ${DEFAULT-VALUE}).")
    String address;

    @Option(names = "--trust-domain", description = "Trust domain (default: the CA certificate's, else cluster.local).")
    String trustDomain;

    @Option(names = "--max-ttl", defaultValue = "7d", converter = Durations.class,
        description = "Longest certificate lifetime; longer requests are cut (default: ${DEFAULT-VALUE}).")
    Duration maxTtl;

    @Option(names = "--rate-burst", defaultValue = "10", description = "Requests a caller may make at once (default: ${DEFAULT-VALUE}).")
    int rateBurst;

    @Option(names = "--rate-per-second", defaultValue = "1", description = "Sustained requests per second per caller (default: ${DEFAULT-VALUE}).")
    double ratePerSecond;

    @CommandLine.Spec
    CommandLine.Model.CommandSpec spec;

    @Override
    public Integer call() throws Exception {
      CaMaterial material = CaMaterial.load(ca);
      TrustDomain domain = material.trustDomain(Optional.ofNullable(trustDomain).map(TrustDomain::of),
          TrustDomain.of("cluster.local"));
      Authenticator authenticator = new BootstrapTokenAuthenticator(tokens, domain);
      try (CaServer server = CaServer.builder(material, authenticator)
          .address(parseAddress(address))
          .trustDomain(domain)
          .maxLeafTtl(maxTtl)
          .rateLimits(new RateLimiter.Limits(rateBurst, ratePerSecond, RateLimiter.Limits.DEFAULT.maxTracked()))
          .start()) {
        InetSocketAddress bound = server.address();
        PrintWriter out = spec.commandLine().getOut();
        out.println("ca listening on " + bound.getAddress().getHostAddress() + ":" + bound.getPort());
        out.flush();
        Thread hook = new Thread(server::close, "weft-ca-shutdown");
        Runtime.getRuntime().addShutdownHook(hook);
        server.awaitTermination();
      }
      return 0;
    }
  }

  /**
   * Parses {@code HOST:PORT} (IPv6 as {@code [::1]:PORT}).
   *
   * @throws IllegalArgumentException naming the text and the expected form
   */
  static InetSocketAddress parseAddress(String text) throws IOException {
    int colon = text.lastIndexOf(':');
    if (colon <= 0 || colon == text.length() - 1) {
      throw new IllegalArgumentException("address \"" + text + "\" (expected: HOST:PORT such as 127.0.0.1:15012)");
    }
    String host = text.substring(0, colon);
    if (host.startsWith("[") && host.endsWith("]")) {
      host = host.substring(1, host.length() - 1);
    }
    int port;
    try {
      port = Integer.parseInt(text.substring(colon + 1));
    } catch (NumberFormatException e) {
      throw new IllegalArgumentException("address \"" + text + "\" has port \"" + text.substring(colon + 1)
          + "\" (expected: 0-65535)", e);
    }
    if (port < 0 || port > 65535) {
      throw new IllegalArgumentException("address \"" + text + "\" has port " + port + " (expected: 0-65535)");
    }
    return new InetSocketAddress(InetAddress.getByName(host), port);
  }

}

package dev.weft.proxy;

import dev.weft.certs.SpiffeId;
import dev.weft.certs.TrustBundle;
import dev.weft.certs.WorkloadIdentity;
import dev.weft.proxy.identity.CaClient;
import dev.weft.proxy.identity.CaServerCheck;
import dev.weft.proxy.identity.IdentitySecrets;
import java.io.IOException;
import java.io.PrintWriter;
import java.net.InetSocketAddress;
import java.nio.file.Files;
import java.nio.file.Path;
import java.time.Duration;
import java.util.concurrent.ExecutionException;
import java.util.concurrent.Executors;
import java.util.concurrent.ScheduledExecutorService;
import java.util.concurrent.TimeUnit;
import java.util.concurrent.TimeoutException;

/** Wires {@code weft proxy --identity ... --ca-address ...}: CA client, rotating identity, secrets. */
final class WorkloadIdentitySetup {
  private static final Duration FIRST_CERTIFICATE_WAIT = Duration.ofSeconds(60);

  private WorkloadIdentitySetup() {}

  /**
   * Starts the workload identity and waits (bounded) for its first certificate, so the sidecar
   * reports ready only with a certificate in hand.
   *
   * @throws IllegalArgumentException when an option is missing or wrong, or no certificate came
   */
  static IdentitySecrets start(String identity, String caAddress, Path caRoot, Path caToken, String caServerId,
      Duration ttl, PrintWriter err) throws InterruptedException {
    if (identity == null || caAddress == null || caRoot == null || caToken == null) {
      throw new IllegalArgumentException("--identity, --ca-address, --ca-root and --ca-token go together");
    }
    SpiffeId id;
    try {
      id = SpiffeId.parse(identity);
    } catch (IllegalArgumentException e) {
      throw new IllegalArgumentException("--identity: " + e.getMessage(), e);
    }
    int colon = caAddress.lastIndexOf(':');
    if (colon <= 0) {
      throw new IllegalArgumentException("--ca-address: '" + caAddress + "' (expected: HOST:PORT)");
    }
    InetSocketAddress address = new InetSocketAddress(caAddress.substring(0, colon),
        Integer.parseInt(caAddress.substring(colon + 1)));
    TrustBundle roots;
    try {
      roots = TrustBundle.fromPem(id.trustDomain(), Files.readString(caRoot));
    } catch (IOException e) {
      throw new IllegalArgumentException("--ca-root: cannot read " + caRoot + ": " + e.getMessage(), e);
    }
    SpiffeId server = caServerId != null ? SpiffeId.parse(caServerId)
        : SpiffeId.forWorkload(id.trustDomain(), "weft-system", "weft-control-plane");
    CaClient ca = new CaClient(CaClient.Config.of(address, roots, CaServerCheck.spiffeId(server), caToken));
    ScheduledExecutorService scheduler = Executors.newSingleThreadScheduledExecutor(
        r -> Thread.ofPlatform().daemon().name("weft-identity").unstarted(r));
    WorkloadIdentity workload = WorkloadIdentity.builder(id, ca, scheduler).requestedTtl(ttl).build();
    try {
      workload.start().get(FIRST_CERTIFICATE_WAIT.toSeconds(), TimeUnit.SECONDS);
    } catch (ExecutionException | TimeoutException e) {
      workload.close();
      ca.close();
      scheduler.shutdownNow();
      throw new IllegalArgumentException("no certificate from the CA at " + caAddress + " within "
          + FIRST_CERTIFICATE_WAIT.toSeconds() + " s: " + (e.getCause() != null ? e.getCause().getMessage() : e), e);
    }
    err.println("weft proxy: workload certificate issued for " + id);
    err.flush();
    return new IdentitySecrets(workload, ca, roots);
  }
}

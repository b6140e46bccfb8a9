package dev.weft.proxy.identity;

import dev.weft.certs.CertifiedKey;
import dev.weft.certs.TrustBundle;
import dev.weft.certs.WorkloadIdentity;
import dev.weft.proxy.tls.TlsMaterial;
import java.security.cert.X509Certificate;
import java.time.Duration;
import java.util.List;
import java.util.concurrent.CopyOnWriteArrayList;
import java.util.logging.Logger;

/**
 * The sidecar's own secrets, served under Istio's SDS names: {@code "default"} is the
 * workload certificate from a {@link WorkloadIdentity} (renewed from the CA at half its
 * lifetime, with backoff when the CA is down), {@code "ROOTCA"} the mesh roots (the trust
 * bundle the CA returned, else the configured one). TLS contexts that name them are rebuilt on
 * every rotation.
 */
public final class IdentitySecrets implements TlsMaterial.SecretProvider {
  private static final Logger LOG = Logger.getLogger(IdentitySecrets.class.getName());

  public static final String DEFAULT = "default";
  public static final String ROOTCA = "ROOTCA";

  private final WorkloadIdentity identity;
  private final CaClient ca;
  private final TrustBundle configuredRoots;
  private final List<Runnable> listeners = new CopyOnWriteArrayList<>();

  public IdentitySecrets(WorkloadIdentity identity, CaClient ca, TrustBundle configuredRoots) {
    this.identity = identity;
    this.ca = ca;
    this.configuredRoots = configuredRoots;
    identity.addListener(new WorkloadIdentity.Listener() {
      @Override
      public void onRotated(CertifiedKey current) {
        LOG.info("workload certificate for " + current.spiffeId() + " rotated; valid until " + current.notAfter());
        listeners.forEach(Runnable::run);
      }

      @Override
      public void onRenewalFailed(Throwable cause, int consecutiveFailures, Duration retryIn) {
        LOG.warning("renewing the workload certificate failed (" + consecutiveFailures + " in a row: "
            + cause.getMessage() + "); keeping the current one, retrying in " + retryIn.toMillis() + " ms");
      }
    });
  }

  @Override
  public TlsMaterial.KeySource keySource(String name) {
    if (!DEFAULT.equals(name)) {
      return null;
    }
    return new TlsMaterial.KeySource() {
      @Override
      public CertifiedKey current() {
        return identity.current();
      }

      @Override
      public void onChange(Runnable listener) {
        listeners.add(listener);
      }
    };
  }

  @Override
  public TlsMaterial.TrustSource trustSource(String name) {
    if (!ROOTCA.equals(name)) {
      return null;
    }
    return new TlsMaterial.TrustSource() {
      @Override
      public List<X509Certificate> roots() {
        return ca.lastTrustBundle().filter(r -> !r.isEmpty()).orElseGet(configuredRoots::allRoots);
      }

      @Override
      public void onChange(Runnable listener) {
        listeners.add(listener);
      }
    };
  }
}

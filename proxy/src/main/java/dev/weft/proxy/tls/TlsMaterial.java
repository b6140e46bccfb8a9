package dev.weft.proxy.tls;

import dev.weft.certs.CertifiedKey;
import java.security.cert.X509Certificate;
import java.util.List;

/**
 * Sources of TLS material that may change at run time (files rewritten, certificates rotated).
 * Listeners are told after a change so TLS contexts for new connections can be rebuilt;
 * existing connections keep what they negotiated.
 */
public final class TlsMaterial {
  private TlsMaterial() {}

  /** Our certificate chain and private key. */
  public interface KeySource {
    /** The current key and chain; throws {@link IllegalStateException} when none is available yet. */
    CertifiedKey current();

    void onChange(Runnable listener);
  }

  /** Trusted roots. */
  public interface TrustSource {
    List<X509Certificate> roots();

    void onChange(Runnable listener);
  }

  /**
   * Named secrets (Envoy SDS names) the sidecar provides itself, such as its workload
   * identity ("default") and the mesh roots ("ROOTCA").
   */
  public interface SecretProvider {
    /** The key source for {@code name}, or null when this provider has no such secret. */
    KeySource keySource(String name);

    /** The trust source for {@code name}, or null when this provider has no such secret. */
    TrustSource trustSource(String name);

    SecretProvider NONE = new SecretProvider() {
      @Override
      public KeySource keySource(String name) {
        return null;
      }

      @Override
      public TrustSource trustSource(String name) {
        return null;
      }
    };
  }
}

package dev.weft.proxy.tls;

import dev.weft.certs.CertificateChain;
import dev.weft.certs.CertifiedKey;
import dev.weft.certs.Pem;
import java.security.cert.X509Certificate;
import java.util.List;

/** TLS material given inline in the config: it never changes. */
final class StaticMaterial {
  private StaticMaterial() {}

  static TlsMaterial.KeySource keys(String chainPem, String keyPem) {
    CertifiedKey key = new CertifiedKey(Pem.readPrivateKey(keyPem), new CertificateChain(Pem.readCertificates(chainPem)));
    return new TlsMaterial.KeySource() {
      @Override
      public CertifiedKey current() {
        return key;
      }

      @Override
      public void onChange(Runnable listener) {
        // never changes
      }
    };
  }

  static TlsMaterial.TrustSource roots(String pem) {
    List<X509Certificate> roots = Pem.readCertificates(pem);
    if (roots.isEmpty()) {
      throw new IllegalArgumentException("trusted_ca holds no certificates");
    }
    return new TlsMaterial.TrustSource() {
      @Override
      public List<X509Certificate> roots() {
        return roots;
      }

      @Override
      public void onChange(Runnable listener) {
        // never changes
      }
    };
  }
}

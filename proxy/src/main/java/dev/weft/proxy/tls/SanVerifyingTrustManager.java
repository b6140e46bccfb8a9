package dev.weft.proxy.tls;

import dev.weft.proxy.config.SanMatcher;
import java.net.Socket;
import java.security.KeyStore;
import java.security.cert.CertificateException;
import java.security.cert.CertificateParsingException;
import java.security.cert.X509Certificate;
import java.util.Collection;
import java.util.List;
import javax.net.ssl.SSLEngine;
import javax.net.ssl.TrustManager;
import javax.net.ssl.TrustManagerFactory;
import javax.net.ssl.X509ExtendedTrustManager;

/**
 * PKIX verification against a set of roots (expiry, signature chain, CA constraints), then
 * Envoy's {@code match_typed_subject_alt_names}: the peer's leaf must carry a SAN that one of
 * the matchers accepts. Failing either fails the TLS handshake. No host-name check: in a mesh
 * the peer is identified by its SPIFFE ID, not by a DNS name.
 */
final class SanVerifyingTrustManager extends X509ExtendedTrustManager {
  private final X509ExtendedTrustManager pkix;
  private final List<SanMatcher> matchers;

  SanVerifyingTrustManager(List<X509Certificate> roots, List<SanMatcher> matchers) throws Exception {
    KeyStore ks = KeyStore.getInstance(KeyStore.getDefaultType());
    ks.load(null, null);
    int i = 0;
    for (X509Certificate root : roots) {
      ks.setCertificateEntry("root-" + i++, root);
    }
    TrustManagerFactory tmf = TrustManagerFactory.getInstance("PKIX");
    tmf.init(ks);
    X509ExtendedTrustManager found = null;
    for (TrustManager tm : tmf.getTrustManagers()) {
      if (tm instanceof X509ExtendedTrustManager x) {
        found = x;
      }
    }
    if (found == null) {
      throw new IllegalStateException("no PKIX trust manager");
    }
    this.pkix = found;
    this.matchers = List.copyOf(matchers);
  }

  @Override
  public void checkClientTrusted(X509Certificate[] chain, String authType, SSLEngine engine)
      throws CertificateException {
    pkix.checkClientTrusted(chain, authType, (SSLEngine) null);
    checkSans(chain);
  }

  @Override
  public void checkServerTrusted(X509Certificate[] chain, String authType, SSLEngine engine)
      throws CertificateException {
    // A null engine skips the JDK's endpoint identification (host name) check, on purpose.
    pkix.checkServerTrusted(chain, authType, (SSLEngine) null);
    checkSans(chain);
  }

  @Override
  public void checkClientTrusted(X509Certificate[] chain, String authType, Socket socket) throws CertificateException {
    pkix.checkClientTrusted(chain, authType, (Socket) null);
    checkSans(chain);
  }

  @Override
  public void checkServerTrusted(X509Certificate[] chain, String authType, Socket socket) throws CertificateException {
    pkix.checkServerTrusted(chain, authType, (Socket) null);
    checkSans(chain);
  }

  @Override
  public void checkClientTrusted(X509Certificate[] chain, String authType) throws CertificateException {
    pkix.checkClientTrusted(chain, authType);
    checkSans(chain);
  }

  @Override
  public void checkServerTrusted(X509Certificate[] chain, String authType) throws CertificateException {
    pkix.checkServerTrusted(chain, authType);
    checkSans(chain);
  }

  @Override
  public X509Certificate[] getAcceptedIssuers() {
    return pkix.getAcceptedIssuers();
  }

  private void checkSans(X509Certificate[] chain) throws CertificateException {
    if (matchers.isEmpty()) {
      return;
    }
    Collection<List<?>> sans;
    try {
      sans = chain[0].getSubjectAlternativeNames();
    } catch (CertificateParsingException e) {
      throw new CertificateException("cannot read the peer's SANs", e);
    }
    if (sans != null) {
      for (List<?> san : sans) {
        SanMatcher.Type type = switch ((Integer) san.get(0)) {
          case 1 -> SanMatcher.Type.EMAIL;
          case 2 -> SanMatcher.Type.DNS;
          case 6 -> SanMatcher.Type.URI;
          case 7 -> SanMatcher.Type.IP_ADDRESS;
          default -> null;
        };
        if (type == null) {
          continue;
        }
        String value = String.valueOf(san.get(1));
        for (SanMatcher m : matchers) {
          if (m.type() == type && m.matches(value)) {
            return;
          }
        }
      }
    }
    throw new CertificateException("the peer's certificate SANs " + (sans == null ? "[]" : sans.stream()
        .map(s -> String.valueOf(s.get(1))).toList()) + " match none of the expected subject alt names");
  }
}

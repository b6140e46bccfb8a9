package dev.weft.controlplane.ca;

import dev.weft.certs.CertifiedKey;
import dev.weft.certs.WorkloadIdentity;
import java.net.Socket;
import java.security.Principal;
import java.security.PrivateKey;
import java.security.cert.X509Certificate;
import java.util.Map;
import java.util.concurrent.ConcurrentHashMap;
import javax.net.ssl.SSLEngine;
import javax.net.ssl.X509ExtendedKeyManager;

/**
 * Presents the current certificate of a {@link WorkloadIdentity} in every new TLS handshake, so
 * the serving certificate rotates without restarting the server.
 *
 * <p>The alias names the certificate's serial number. A TLS stack asks for the chain and the key
 * in separate calls; the alias ties both to the same {@link CertifiedKey} even when a rotation
 * happens in between, and it makes alias-keyed caches (Netty's OpenSSL key material cache) see
 * each new certificate as new.
 */
final class RotatingKeyManager extends X509ExtendedKeyManager {

  private static final int KEEP = 4;

  private final WorkloadIdentity identity;
  private final Map<String, CertifiedKey> recent = new ConcurrentHashMap<>();

  RotatingKeyManager(WorkloadIdentity identity) {
    this.identity = identity;
  }

  private String currentAlias() {
    CertifiedKey key = identity.current();
    String alias = "serving-" + key.leaf().getSerialNumber().toString(16);
    if (recent.putIfAbsent(alias, key) == null && recent.size() > KEEP) {
      recent.keySet().removeIf(a -> !a.equals(alias) && recent.size() > KEEP);
    }
    return alias;
  }

  @Override
  public String chooseEngineServerAlias(String keyType, Principal[] issuers, SSLEngine engine) {
    return currentAlias();
  }

  @Override
  public String chooseServerAlias(String keyType, Principal[] issuers, Socket socket) {
    return currentAlias();
  }

  @Override
  public String[] getServerAliases(String keyType, Principal[] issuers) {
    return new String[] {currentAlias()};
  }

  @Override
  public X509Certificate[] getCertificateChain(String alias) {
    CertifiedKey key = recent.get(alias);
    return key == null ? null : key.chain().certificates().toArray(X509Certificate[]::new);
  }

  @Override
  public PrivateKey getPrivateKey(String alias) {
    CertifiedKey key = recent.get(alias);
    return key == null ? null : key.privateKey();
  }

  @Override
  public String[] getClientAliases(String keyType, Principal[] issuers) {
    return null;
  }

  @Override
  public String chooseClientAlias(String[] keyType, Principal[] issuers, Socket socket) {
    return null;
  }
}

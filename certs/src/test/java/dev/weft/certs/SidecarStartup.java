package dev.weft.certs;

import java.util.List;
import java.util.function.BiFunction;

/**
 * What the sidecar does at start-up with its key and chain files, with no reflection, for tests
 * that run it in a class loader of their own: reads both, pairs them in a {@link CertifiedKey},
 * and reports this loader's counters as {@code [description, BouncyCastle fallbacks, signatures]}.
 */
final class SidecarStartup implements BiFunction<String, String, List<Object>> {

  @Override
  public List<Object> apply(String keyPem, String chainPem) {
    CertifiedKey key = new CertifiedKey(Pem.readPrivateKey(keyPem), new CertificateChain(Pem.readCertificates(chainPem)));
    return List.of(key.toString(), Pem.BC_FALLBACKS.get(), Certificates.SIGNATURE_CHECKS.get());
  }
}

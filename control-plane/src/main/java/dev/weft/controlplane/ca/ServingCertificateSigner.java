package dev.weft.controlplane.ca;

import dev.weft.certs.CertificateChain;
import dev.weft.certs.CertificateSigner;
import dev.weft.certs.CsrRejectedException;
import dev.weft.certs.SpiffeId;
import java.net.InetAddress;
import java.security.PublicKey;
import java.security.cert.X509Certificate;
import java.time.Clock;
import java.time.Duration;
import java.util.ArrayList;
import java.util.List;
import java.util.Objects;
import java.util.concurrent.CompletableFuture;
import java.util.concurrent.Executor;
import org.bouncycastle.operator.jcajce.JcaContentVerifierProviderBuilder;
import org.bouncycastle.pkcs.PKCS10CertificationRequest;
import org.bouncycastle.pkcs.jcajce.JcaPKCS10CertificationRequest;

/**
 * Signs the CA server's own serving certificate in-process, so that it is held in a {@link
 * dev.weft.certs.WorkloadIdentity} and rotates like any workload's. Unlike workload leaves it
 * also carries DNS and IP SANs (by default {@code localhost} and {@code 127.0.0.1}) next to the
 * control plane's SPIFFE ID, for clients that check a host name.
 */
final class ServingCertificateSigner implements CertificateSigner {

  private final CaMaterial ca;
  private final SpiffeId identity;
  private final List<String> dnsNames;
  private final List<InetAddress> addresses;
  private final Duration maxTtl;
  private final Clock clock;
  private final Executor executor;

  ServingCertificateSigner(CaMaterial ca, SpiffeId identity, List<String> dnsNames, List<InetAddress> addresses,
      Duration maxTtl, Clock clock, Executor executor) {
    this.ca = Objects.requireNonNull(ca, "ca");
    this.identity = Objects.requireNonNull(identity, "identity");
    this.dnsNames = List.copyOf(dnsNames);
    this.addresses = List.copyOf(addresses);
    this.maxTtl = Objects.requireNonNull(maxTtl, "maxTtl");
    this.clock = Objects.requireNonNull(clock, "clock");
    this.executor = Objects.requireNonNull(executor, "executor");
  }

  @Override
  public CompletableFuture<CertificateChain> sign(PKCS10CertificationRequest csr, Duration requestedTtl) {
    return CompletableFuture.supplyAsync(() -> {
      PublicKey key = verifiedKey(csr);
      Duration ttl = requestedTtl.compareTo(maxTtl) > 0 ? maxTtl : requestedTtl;
      X509Certificate leaf = CaCertificates.servingLeaf(key, identity, dnsNames, addresses, ca.certificate(),
          ca.signingKey(), ttl, clock);
      List<X509Certificate> chain = new ArrayList<>();
      chain.add(leaf);
      for (X509Certificate certificate : ca.chain()) {
        if (!ca.roots().contains(certificate)) {
          chain.add(certificate);
        }
      }
      return new CertificateChain(chain);
    }, executor);
  }

  private static PublicKey verifiedKey(PKCS10CertificationRequest csr) {
    try {
      JcaPKCS10CertificationRequest request = new JcaPKCS10CertificationRequest(csr);
      if (!request.isSignatureValid(new JcaContentVerifierProviderBuilder().build(request.getSubjectPublicKeyInfo()))) {
        throw new CsrRejectedException("serving certificate CSR signature does not verify with its own key");
      }
      return request.getPublicKey();
    } catch (CsrRejectedException e) {
      throw e;
    } catch (Exception e) {
      throw new CsrRejectedException("serving certificate CSR cannot be read: " + e.getMessage(), e);
    }
  }

  @Override
  public String toString() {
    return "ServingCertificateSigner[identity=" + identity + ", dnsNames=" + dnsNames + ", addresses=" + addresses + "]";
  }
}

package dev.weft.certs;

import java.io.IOException;
import java.io.UncheckedIOException;
import java.security.KeyPair;
import java.util.Objects;

import org.bouncycastle.asn1.pkcs.PKCSObjectIdentifiers;
import org.bouncycastle.asn1.x500.RDN;
import org.bouncycastle.asn1.x500.X500Name;
import org.bouncycastle.asn1.x509.Extension;
import org.bouncycastle.asn1.x509.ExtensionsGenerator;
import org.bouncycastle.asn1.x509.GeneralName;
import org.bouncycastle.asn1.x509.GeneralNames;
import org.bouncycastle.operator.OperatorCreationException;
import org.bouncycastle.operator.jcajce.JcaContentSignerBuilder;
import org.bouncycastle.pkcs.PKCS10CertificationRequest;
import org.bouncycastle.pkcs.jcajce.JcaPKCS10CertificationRequestBuilder;

/** Builds PKCS#10 certificate signing requests for workload identities. */
public final class CertificateRequests {

  private CertificateRequests() {}

  /**
   * Builds a CSR for {@code keyPair} with an empty subject and {@code identity} as its only
   * (critical) URI SAN, signed by the key pair's private key.
   *
   * @param keyPair the workload's key pair (EC or RSA)
   * @param identity the SPIFFE ID the workload expects to be issued
   * @return the signed request
   */
  public static PKCS10CertificationRequest create(KeyPair keyPair, SpiffeId identity) {
    Objects.requireNonNull(keyPair, "keyPair");
    Objects.requireNonNull(identity, "identity");
    try {
      ExtensionsGenerator extensions = new ExtensionsGenerator();
      extensions.addExtension(Extension.subjectAlternativeName, true,
          new GeneralNames(new GeneralName(GeneralName.uniformResourceIdentifier, identity.toString())));
      return new JcaPKCS10CertificationRequestBuilder(new X500Name(new RDN[0]), keyPair.getPublic())
          .addAttribute(PKCSObjectIdentifiers.pkcs_9_at_extensionRequest, extensions.generate())
          .build(new JcaContentSignerBuilder(KeyType.signatureAlgorithmFor(keyPair.getPrivate()))
              .build(keyPair.getPrivate()));
    } catch (IOException e) {
      throw new UncheckedIOException("cannot encode CSR extensions for " + identity, e);
    } catch (OperatorCreationException e) {
      throw new IllegalStateException("cannot sign CSR with " + keyPair.getPrivate().getAlgorithm() + " key", e);
    }
  }
}

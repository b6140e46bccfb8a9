package dev.weft.controlplane.ca;

import dev.weft.certs.KeyType;
import dev.weft.certs.SpiffeId;
import dev.weft.certs.TrustDomain;
import java.math.BigInteger;
import java.net.InetAddress;
import java.security.KeyPair;
import java.security.PrivateKey;
import java.security.PublicKey;
import java.security.SecureRandom;
import java.security.cert.X509Certificate;
import java.time.Clock;
import java.time.Duration;
import java.time.Instant;
import java.util.ArrayList;
import java.util.Date;
import java.util.List;
import org.bouncycastle.asn1.DEROctetString;
import org.bouncycastle.asn1.x500.X500Name;
import org.bouncycastle.asn1.x500.X500NameBuilder;
import org.bouncycastle.asn1.x500.style.BCStyle;
import org.bouncycastle.asn1.x509.BasicConstraints;
import org.bouncycastle.asn1.x509.ExtendedKeyUsage;
import org.bouncycastle.asn1.x509.Extension;
import org.bouncycastle.asn1.x509.GeneralName;
import org.bouncycastle.asn1.x509.GeneralNames;
import org.bouncycastle.asn1.x509.KeyPurposeId;
import org.bouncycastle.asn1.x509.KeyUsage;
import org.bouncycastle.cert.CertIOException;
import org.bouncycastle.cert.X509v3CertificateBuilder;
import org.bouncycastle.cert.jcajce.JcaX509CertificateConverter;
import org.bouncycastle.cert.jcajce.JcaX509ExtensionUtils;
import org.bouncycastle.cert.jcajce.JcaX509v3CertificateBuilder;
import org.bouncycastle.operator.jcajce.JcaContentSignerBuilder;

/**
 * The two certificates the control plane makes itself rather than through {@link
 * dev.weft.certs.CertificateAuthority#sign}: the self-signed root of {@code weft ca init} (whose key
 * must be written to disk) and the CA server's serving certificate, which carries DNS and IP names
 * next to its SPIFFE ID so that ordinary TLS clients can check it too. Both use the same profile
 * as the certs library: a random positive 128-bit serial, key identifiers, and critical
 * basicConstraints and keyUsage.
 */
final class CaCertificates {

  private static final SecureRandom RANDOM = new SecureRandom();
  private static final Duration BACKDATE = Duration.ofMinutes(5);

  private CaCertificates() {}

  /** A key and the certificate made for it. */
  record Issued(PrivateKey key, X509Certificate certificate) {}

  /** Generates an EC P-256 key and a self-signed root {@code O=Weft, CN=Weft root CA <td>}, URI SAN {@code spiffe://<td>}. */
  static Issued selfSignedRoot(TrustDomain trustDomain, Duration ttl, Clock clock) {
    if (ttl.isNegative() || ttl.isZero()) {
      throw new IllegalArgumentException("root ttl: " + ttl + " (expected: > 0)");
    }
    KeyPair keyPair = KeyType.EC_P256.generate(RANDOM);
    Instant now = clock.instant();
    X500Name name = new X500NameBuilder(BCStyle.INSTANCE)
        .addRDN(BCStyle.O, "Weft")
        .addRDN(BCStyle.CN, "Weft root CA " + trustDomain)
        .build();
    X509v3CertificateBuilder builder = new JcaX509v3CertificateBuilder(name, serial(), Date.from(now.minus(BACKDATE)),
        Date.from(now.plus(ttl)), name, keyPair.getPublic());
    try {
      JcaX509ExtensionUtils utils = new JcaX509ExtensionUtils();
      builder.addExtension(Extension.basicConstraints, true, new BasicConstraints(true));
      builder.addExtension(Extension.keyUsage, true, new KeyUsage(KeyUsage.keyCertSign | KeyUsage.cRLSign));
      builder.addExtension(Extension.subjectAlternativeName, false,
          new GeneralNames(new GeneralName(GeneralName.uniformResourceIdentifier, trustDomain.spiffeId().toString())));
      builder.addExtension(Extension.subjectKeyIdentifier, false, utils.createSubjectKeyIdentifier(keyPair.getPublic()));
      builder.addExtension(Extension.authorityKeyIdentifier, false,
          utils.createAuthorityKeyIdentifier(keyPair.getPublic()));
    } catch (CertIOException | java.security.NoSuchAlgorithmException e) {
      throw new IllegalStateException("cannot encode root CA extensions for " + trustDomain, e);
    }
    return new Issued(keyPair.getPrivate(), sign(builder, keyPair.getPrivate()));
  }

  /**
   * Signs a serving certificate for {@code publicKey}: URI SAN {@code identity} plus the given DNS
   * names and IP addresses, serverAuth + clientAuth, valid from now (backdated) for {@code ttl} but
   * never past the issuer's notAfter.
   */
  static X509Certificate servingLeaf(PublicKey publicKey, SpiffeId identity, List<String> dnsNames,
      List<InetAddress> addresses, X509Certificate issuer, PrivateKey issuerKey, Duration ttl, Clock clock) {
    Instant now = clock.instant();
    Instant notBefore = now.minus(BACKDATE);
    if (notBefore.isBefore(issuer.getNotBefore().toInstant())) {
      notBefore = issuer.getNotBefore().toInstant();
    }
    Instant notAfter = now.plus(ttl);
    if (notAfter.isAfter(issuer.getNotAfter().toInstant())) {
      notAfter = issuer.getNotAfter().toInstant();
    }
    List<GeneralName> names = new ArrayList<>();
    names.add(new GeneralName(GeneralName.uniformResourceIdentifier, identity.toString()));
    for (String dns : dnsNames) {
      names.add(new GeneralName(GeneralName.dNSName, dns));
    }
    for (InetAddress address : addresses) {
      names.add(new GeneralName(GeneralName.iPAddress, new DEROctetString(address.getAddress())));
    }
    X509v3CertificateBuilder builder = new JcaX509v3CertificateBuilder(issuer, serial(), Date.from(notBefore),
        Date.from(notAfter), new X500Name(new org.bouncycastle.asn1.x500.RDN[0]), publicKey);
    try {
      JcaX509ExtensionUtils utils = new JcaX509ExtensionUtils();
      builder.addExtension(Extension.basicConstraints, true, new BasicConstraints(false));
      builder.addExtension(Extension.keyUsage, true, new KeyUsage(KeyUsage.digitalSignature));
      builder.addExtension(Extension.extendedKeyUsage, false,
          new ExtendedKeyUsage(new KeyPurposeId[] {KeyPurposeId.id_kp_serverAuth, KeyPurposeId.id_kp_clientAuth}));
      // The subject is empty, so RFC 5280 requires the SAN to be critical.
      builder.addExtension(Extension.subjectAlternativeName, true, new GeneralNames(names.toArray(GeneralName[]::new)));
      builder.addExtension(Extension.subjectKeyIdentifier, false, utils.createSubjectKeyIdentifier(publicKey));
      builder.addExtension(Extension.authorityKeyIdentifier, false, utils.createAuthorityKeyIdentifier(issuer));
    } catch (CertIOException | java.security.NoSuchAlgorithmException | java.security.cert.CertificateEncodingException e) {
      throw new IllegalStateException("cannot encode serving certificate extensions for " + identity, e);
    }
    return sign(builder, issuerKey);
  }

  private static BigInteger serial() {
    BigInteger serial;
    do {
      byte[] bytes = new byte[16];
      RANDOM.nextBytes(bytes);
      serial = new BigInteger(1, bytes);
    } while (serial.signum() == 0);
    return serial;
  }

  private static X509Certificate sign(X509v3CertificateBuilder builder, PrivateKey key) {
    String algorithm = switch (key.getAlgorithm()) {
      case "EC", "ECDSA" -> "SHA256withECDSA";
      case "RSA" -> "SHA256withRSA";
      default -> throw new IllegalArgumentException("unsupported CA key algorithm " + key.getAlgorithm()
          + " (expected: EC or RSA)");
    };
    try {
      return new JcaX509CertificateConverter().getCertificate(
          builder.build(new JcaContentSignerBuilder(algorithm).build(key)));
    } catch (Exception e) {
      throw new IllegalStateException("cannot sign certificate with " + key.getAlgorithm() + " CA key", e);
    }
  }
}

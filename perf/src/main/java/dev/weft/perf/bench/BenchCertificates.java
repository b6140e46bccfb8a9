package dev.weft.perf.bench;

import dev.weft.certs.Pem;
import java.io.IOException;
import java.math.BigInteger;
import java.nio.file.Files;
import java.nio.file.Path;
import java.security.GeneralSecurityException;
import java.security.KeyPair;
import java.security.KeyPairGenerator;
import java.security.PrivateKey;
import java.security.SecureRandom;
import java.security.cert.X509Certificate;
import java.security.spec.ECGenParameterSpec;
import java.time.Duration;
import java.time.Instant;
import java.util.Date;
import java.util.List;
import org.bouncycastle.asn1.x500.X500Name;
import org.bouncycastle.asn1.x509.BasicConstraints;
import org.bouncycastle.asn1.x509.ExtendedKeyUsage;
import org.bouncycastle.asn1.x509.Extension;
import org.bouncycastle.asn1.x509.GeneralName;
import org.bouncycastle.asn1.x509.GeneralNames;
import org.bouncycastle.asn1.x509.KeyPurposeId;
import org.bouncycastle.asn1.x509.KeyUsage;
import org.bouncycastle.cert.X509v3CertificateBuilder;
import org.bouncycastle.cert.jcajce.JcaX509CertificateConverter;
import org.bouncycastle.cert.jcajce.JcaX509ExtensionUtils;
import org.bouncycastle.cert.jcajce.JcaX509v3CertificateBuilder;
import org.bouncycastle.operator.OperatorCreationException;
import org.bouncycastle.operator.jcajce.JcaContentSignerBuilder;

/**
 * Throw-away ECDSA P-256 certificates for the mutual-TLS hop between two proxies: one CA and a
 * leaf per proxy side. Each leaf is valid for both server and client authentication and names
 * its side twice — a DNS SAN ({@code <side>.bench.weft.internal}, which HAProxy and nginx verify)
 * and one SPIFFE URI SAN ({@code spiffe://bench.weft.internal/ns/bench/sa/<side>}, Weft's
 * workload identity).
 *
 * <p>{@link #writeTo} lays them out as the proxies want them: {@code ca.crt}, and per side
 * {@code <side>.crt}, {@code <side>.key} (PKCS#8) and {@code <side>.pem} (certificate then key,
 * HAProxy's {@code crt} format).
 */
public final class BenchCertificates {
  /** Trust domain of the SPIFFE IDs. */
  public static final String TRUST_DOMAIN = "bench.weft.internal";
  private static final Duration VALIDITY = Duration.ofDays(2);

  private final KeyPair caKey;
  private final X509Certificate ca;
  private final SecureRandom random = new SecureRandom();

  private BenchCertificates(KeyPair caKey, X509Certificate ca) {
    this.caKey = caKey;
    this.ca = ca;
  }

  /** A leaf certificate and its key. */
  public record Leaf(String side, X509Certificate certificate, PrivateKey key) {}

  /** Creates a new CA. */
  public static BenchCertificates create() {
    try {
      SecureRandom random = new SecureRandom();
      KeyPair key = newKey(random);
      X500Name name = new X500Name("CN=Weft bench CA");
      Instant now = Instant.now();
      JcaX509ExtensionUtils ext = new JcaX509ExtensionUtils();
      X509v3CertificateBuilder b = new JcaX509v3CertificateBuilder(name, new BigInteger(64, random),
          Date.from(now.minus(Duration.ofMinutes(5))), Date.from(now.plus(VALIDITY)), name, key.getPublic())
          .addExtension(Extension.basicConstraints, true, new BasicConstraints(0))
          .addExtension(Extension.keyUsage, true, new KeyUsage(KeyUsage.keyCertSign | KeyUsage.cRLSign))
          .addExtension(Extension.subjectKeyIdentifier, false, ext.createSubjectKeyIdentifier(key.getPublic()));
      return new BenchCertificates(key, sign(b, key.getPrivate()));
    } catch (GeneralSecurityException | IOException | OperatorCreationException e) {
      throw new IllegalStateException("cannot create the benchmark CA: " + e.getMessage(), e);
    }
  }

  /** The CA certificate. */
  public X509Certificate ca() {
    return ca;
  }

  /** DNS name in the leaf of {@code side}. */
  public static String dnsName(String side) {
    return side + "." + TRUST_DOMAIN;
  }

  /** SPIFFE ID in the leaf of {@code side}. */
  public static String spiffeId(String side) {
    return "spiffe://" + TRUST_DOMAIN + "/ns/bench/sa/" + side;
  }

  /** Issues a leaf for {@code side} (letters, digits and '-'). */
  public Leaf issue(String side) {
    if (!side.matches("[a-z0-9-]{1,40}")) {
      throw new IllegalArgumentException("side: '" + side + "' (expected: 1-40 of [a-z0-9-])");
    }
    try {
      KeyPair key = newKey(random);
      Instant now = Instant.now();
      JcaX509ExtensionUtils ext = new JcaX509ExtensionUtils();
      X509v3CertificateBuilder b = new JcaX509v3CertificateBuilder(ca, new BigInteger(64, random),
          Date.from(now.minus(Duration.ofMinutes(5))), Date.from(now.plus(VALIDITY)),
          new X500Name("CN=" + side), key.getPublic())
          .addExtension(Extension.basicConstraints, true, new BasicConstraints(false))
          .addExtension(Extension.keyUsage, true, new KeyUsage(KeyUsage.digitalSignature))
          .addExtension(Extension.extendedKeyUsage, false, new ExtendedKeyUsage(
              new KeyPurposeId[] {KeyPurposeId.id_kp_serverAuth, KeyPurposeId.id_kp_clientAuth}))
          .addExtension(Extension.subjectAlternativeName, false, new GeneralNames(new GeneralName[] {
              new GeneralName(GeneralName.dNSName, dnsName(side)),
              new GeneralName(GeneralName.uniformResourceIdentifier, spiffeId(side))}))
          .addExtension(Extension.authorityKeyIdentifier, false, ext.createAuthorityKeyIdentifier(ca))
          .addExtension(Extension.subjectKeyIdentifier, false, ext.createSubjectKeyIdentifier(key.getPublic()));
      return new Leaf(side, sign(b, caKey.getPrivate()), key.getPrivate());
    } catch (GeneralSecurityException | IOException | OperatorCreationException e) {
      throw new IllegalStateException("cannot issue the certificate of " + side + ": " + e.getMessage(), e);
    }
  }

  /** Files of one side, as written by {@link #writeTo}. */
  public record Files(Path ca, Path certificate, Path key, Path combinedPem) {}

  /** Issues a leaf for {@code side} and writes it, and the CA, under {@code dir}. */
  public Files writeTo(Path dir, String side) throws IOException {
    Leaf leaf = issue(side);
    java.nio.file.Files.createDirectories(dir);
    Path caFile = dir.resolve("ca.crt");
    Pem.writeCertificates(caFile, List.of(ca));
    Path cert = dir.resolve(side + ".crt");
    Pem.writeCertificates(cert, List.of(leaf.certificate()));
    Path key = dir.resolve(side + ".key");
    Pem.writePrivateKey(key, leaf.key());
    Path combined = dir.resolve(side + ".pem");
    java.nio.file.Files.writeString(combined,
        Pem.writeCertificate(leaf.certificate()) + Pem.writePrivateKey(leaf.key()));
    return new Files(caFile, cert, key, combined);
  }

  private static KeyPair newKey(SecureRandom random) throws GeneralSecurityException {
    KeyPairGenerator g = KeyPairGenerator.getInstance("EC");
    g.initialize(new ECGenParameterSpec("secp256r1"), random);
    return g.generateKeyPair();
  }

  private static X509Certificate sign(X509v3CertificateBuilder builder, PrivateKey signer)
      throws OperatorCreationException, GeneralSecurityException {
    return new JcaX509CertificateConverter().getCertificate(
        builder.build(new JcaContentSignerBuilder("SHA256withECDSA").build(signer)));
  }
}

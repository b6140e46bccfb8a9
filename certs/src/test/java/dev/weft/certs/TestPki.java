package dev.weft.certs;

import java.math.BigInteger;
import java.security.GeneralSecurityException;
import java.security.KeyPair;
import java.security.KeyPairGenerator;
import java.security.Provider;
import java.security.PublicKey;
import java.security.SecureRandom;
import java.security.cert.X509Certificate;
import java.security.interfaces.ECPrivateKey;
import java.security.spec.ECParameterSpec;
import java.security.spec.ECGenParameterSpec;
import java.time.Instant;
import java.time.temporal.ChronoUnit;
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
import org.bouncycastle.cert.jcajce.JcaX509v3CertificateBuilder;
import org.bouncycastle.jce.provider.BouncyCastleProvider;
import org.bouncycastle.operator.jcajce.JcaContentSignerBuilder;

/** Hand-made certificates with exactly the extensions a test needs, including wrong ones. */
final class TestPki {

  static final SecureRandom RANDOM = new SecureRandom();

  /** BouncyCastle's JCA provider, passed to getInstance explicitly: never registered, as in production. */
  static final Provider BOUNCY_CASTLE = new BouncyCastleProvider();

  /** The key kinds {@link #keyPair} makes. */
  static final List<String> KEY_KINDS = List.of("P-256", "P-384", "RSA", "RSASSA-PSS", "Ed25519", "Ed448");

  private TestPki() {}

  record Issuer(KeyPair keyPair, X509Certificate certificate) {}

  /** A self-signed CA; {@code keyCertSign} controls whether keyUsage allows signing certificates. */
  static Issuer selfSignedCa(String name, boolean keyCertSign, Instant notBefore, Instant notAfter) throws Exception {
    KeyPair keyPair = KeyType.EC_P256.generate(RANDOM);
    X500Name subject = new X500Name("CN=" + name);
    X509v3CertificateBuilder builder = new JcaX509v3CertificateBuilder(subject, BigInteger.valueOf(RANDOM.nextInt(1, Integer.MAX_VALUE)),
        Date.from(notBefore), Date.from(notAfter), subject, keyPair.getPublic());
    builder.addExtension(Extension.basicConstraints, true, new BasicConstraints(true));
    builder.addExtension(Extension.keyUsage, true,
        new KeyUsage(keyCertSign ? KeyUsage.keyCertSign | KeyUsage.cRLSign : KeyUsage.digitalSignature));
    return new Issuer(keyPair, sign(builder, keyPair));
  }

  /** A leaf signed by {@code issuer} with the given URI SANs and extended key usages (none if empty). */
  static X509Certificate leaf(Issuer issuer, KeyPair leafKey, List<String> uris, List<KeyPurposeId> usages,
      Instant notBefore, Instant notAfter) throws Exception {
    return leaf(issuer, leafKey.getPublic(), uris, usages, notBefore, notAfter);
  }

  /** A leaf for {@code leafKey} signed by {@code issuer}. */
  static X509Certificate leaf(Issuer issuer, PublicKey leafKey, List<String> uris, List<KeyPurposeId> usages,
      Instant notBefore, Instant notAfter) throws Exception {
    X509v3CertificateBuilder builder = new JcaX509v3CertificateBuilder(issuer.certificate(),
        BigInteger.valueOf(RANDOM.nextInt(1, Integer.MAX_VALUE)), Date.from(notBefore), Date.from(notAfter),
        new X500Name("CN=leaf"), leafKey);
    builder.addExtension(Extension.basicConstraints, true, new BasicConstraints(false));
    builder.addExtension(Extension.keyUsage, true, new KeyUsage(KeyUsage.digitalSignature));
    if (!uris.isEmpty()) {
      builder.addExtension(Extension.subjectAlternativeName, false, new GeneralNames(uris.stream()
          .map(u -> new GeneralName(GeneralName.uniformResourceIdentifier, u)).toArray(GeneralName[]::new)));
    }
    if (!usages.isEmpty()) {
      builder.addExtension(Extension.extendedKeyUsage, false,
          new ExtendedKeyUsage(usages.toArray(KeyPurposeId[]::new)));
    }
    return sign(builder, issuer.keyPair());
  }

  /**
   * A key pair made by {@code provider}, or by the JDK when it is null: {@code P-256} or
   * {@code P-384} EC, 2048-bit {@code RSA} or {@code RSASSA-PSS}, {@code Ed25519} or {@code Ed448}.
   */
  static KeyPair keyPair(String kind, Provider provider) {
    try {
      String algorithm = kind.startsWith("P-") ? "EC" : kind;
      KeyPairGenerator generator = provider == null
          ? KeyPairGenerator.getInstance(algorithm) : KeyPairGenerator.getInstance(algorithm, provider);
      switch (kind) {
        case "P-256" -> generator.initialize(new ECGenParameterSpec("secp256r1"), RANDOM);
        case "P-384" -> generator.initialize(new ECGenParameterSpec("secp384r1"), RANDOM);
        case "RSA", "RSASSA-PSS" -> generator.initialize(2048, RANDOM);
        default -> { }
      }
      return generator.generateKeyPair();
    } catch (GeneralSecurityException e) {
      throw new IllegalStateException("cannot make a " + kind + " key pair", e);
    }
  }

  /** A leaf for {@code leafKey}, valid for a day, signed by {@code issuer}. */
  static X509Certificate leaf(Issuer issuer, PublicKey leafKey) throws Exception {
    Instant now = Instant.now().truncatedTo(ChronoUnit.SECONDS);
    return leaf(issuer, leafKey, List.of(), List.of(), now.minus(1, ChronoUnit.HOURS), now.plus(1, ChronoUnit.DAYS));
  }

  private static X509Certificate sign(X509v3CertificateBuilder builder, KeyPair signer) throws Exception {
    return new JcaX509CertificateConverter().getCertificate(
        builder.build(new JcaContentSignerBuilder("SHA256withECDSA").build(signer.getPrivate())));
  }

  /** An EC private key from elsewhere (a token, say) whose encoding is not what the JDK writes. */
  record OpaqueEcKey(ECPrivateKey key, byte[] encoding) implements ECPrivateKey {

    private static final long serialVersionUID = 1L;

    @Override
    public BigInteger getS() {
      return key.getS();
    }

    @Override
    public ECParameterSpec getParams() {
      return key.getParams();
    }

    @Override
    public String getAlgorithm() {
      return "EC";
    }

    @Override
    public String getFormat() {
      return encoding == null ? null : "PKCS#8";
    }

    @Override
    public byte[] getEncoded() {
      return encoding == null ? null : encoding.clone();
    }
  }
}

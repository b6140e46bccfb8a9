package dev.weft.certs;

import java.math.BigInteger;
import java.security.PublicKey;
import java.security.cert.X509Certificate;
import java.security.interfaces.ECPrivateKey;
import java.security.interfaces.ECPublicKey;
import java.security.interfaces.RSAKey;
import java.security.interfaces.RSAPrivateCrtKey;
import java.security.interfaces.RSAPublicKey;
import java.security.spec.ECParameterSpec;
import java.util.Arrays;
import java.util.concurrent.atomic.AtomicLong;

import org.bouncycastle.asn1.ASN1OctetString;
import org.bouncycastle.asn1.x509.Extension;
import org.bouncycastle.asn1.x509.SubjectKeyIdentifier;
import org.bouncycastle.cert.jcajce.JcaX509ExtensionUtils;

/** Small certificate helpers shared inside the package. */
final class Certificates {

  private static final int KEY_CERT_SIGN = 5;
  private static final String EC_PUBLIC_KEY = "1.2.840.10045.2.1";
  private static final int EC_PARAMETERS = 0xa0;
  private static final int EC_PUBLIC_POINT = 0xa1;
  private static final byte UNCOMPRESSED = 0x04;

  /**
   * Counts the key matches {@link #keysMatch} decided by signing. Package-private so tests can
   * tell which way a match was decided.
   */
  static final AtomicLong SIGNATURE_CHECKS = new AtomicLong();

  private Certificates() {}

  /** Returns a short human description of a certificate for error messages and logs. */
  static String describe(X509Certificate certificate) {
    String subject = certificate.getSubjectX500Principal().getName();
    return "[subject=\"" + subject + "\", serial=" + certificate.getSerialNumber().toString(16) + "]";
  }

  /** Returns true if the certificate is a CA certificate allowed to sign certificates. */
  static boolean isSigningCa(X509Certificate certificate) {
    boolean[] keyUsage = certificate.getKeyUsage();
    return certificate.getBasicConstraints() >= 0 && keyUsage != null && keyUsage.length > KEY_CERT_SIGN
        && keyUsage[KEY_CERT_SIGN];
  }

  /** Returns why the certificate cannot sign certificates, or null if it can. */
  static String signingCaProblem(X509Certificate certificate) {
    if (certificate.getBasicConstraints() < 0) {
      return "certificate " + describe(certificate) + " is not a CA certificate (expected: basicConstraints CA:true)";
    }
    boolean[] keyUsage = certificate.getKeyUsage();
    if (keyUsage == null || keyUsage.length <= KEY_CERT_SIGN || !keyUsage[KEY_CERT_SIGN]) {
      return "certificate " + describe(certificate) + " lacks keyUsage keyCertSign (expected: keyCertSign set)";
    }
    return null;
  }

  /** Returns true if the certificate's issuer and subject match and it verifies with its own key. */
  static boolean isSelfSigned(X509Certificate certificate) {
    if (!certificate.getIssuerX500Principal().equals(certificate.getSubjectX500Principal())) {
      return false;
    }
    try {
      certificate.verify(certificate.getPublicKey());
      return true;
    } catch (Exception e) {
      return false;
    }
  }

  /** Returns the key identifier from the certificate's SKI extension, or one derived from its key. */
  static byte[] subjectKeyId(X509Certificate certificate) {
    byte[] extension = certificate.getExtensionValue(Extension.subjectKeyIdentifier.getId());
    if (extension != null) {
      byte[] inner = ASN1OctetString.getInstance(extension).getOctets();
      return SubjectKeyIdentifier.getInstance(inner).getKeyIdentifier();
    }
    return keyIdFor(certificate.getPublicKey());
  }

  /** Returns the RFC 5280 method-1 key identifier (SHA-1 of the subjectPublicKey bits). */
  static byte[] keyIdFor(PublicKey key) {
    try {
      return new JcaX509ExtensionUtils().createSubjectKeyIdentifier(key).getKeyIdentifier();
    } catch (java.security.NoSuchAlgorithmException e) {
      throw new IllegalStateException("SHA-1 is unavailable for key identifiers", e);
    }
  }

  /**
   * Returns true if {@code privateKey} is the private half of {@code publicKey}: a key paired with
   * the wrong certificate gives false. Decided without cryptography where the keys say enough:
   *
   * <ul>
   *   <li>RSA: the moduli, and the public exponents when the private key carries one, are compared.
   *   <li>EC: keys on different curves never match. Otherwise, if the private key's PKCS#8
   *       encoding embeds its public point (the optional {@code publicKey} of the SEC 1
   *       ECPrivateKey, which OpenSSL, BouncyCastle and {@link Pem#writePrivateKey} write and the
   *       JDK's own encoding leaves out), that point is compared with the public key's, both
   *       uncompressed. A JDK-generated key therefore matches without a signature once it has been
   *       through a PEM file Weft wrote; in memory it still signs, unless the pair is known
   *       ({@link CertifiedKey#of}).
   *   <li>Anything else, an EC key without an embedded point, or an embedded point in another
   *       form: {@code privateKey} signs a challenge and {@code publicKey} verifies it.
   * </ul>
   *
   * <p>The comparisons trust the public parts the private key carries: a key file whose embedded EC
   * public point disagrees with its private scalar, or whose RSA private exponent does not belong to
   * its modulus, passes when those public parts match the certificate, and the TLS handshake then
   * fails. The check is meant to catch a key paired with the wrong certificate, not a corrupt key.
   * Skipping the signature spares start-up the JDK's first ECDSA signature, whose one-time
   * precomputation costs far more than this check is worth.
   */
  static boolean keysMatch(java.security.PrivateKey privateKey, PublicKey publicKey) {
    if (!privateKey.getAlgorithm().equals(publicKey.getAlgorithm())) {
      return false;
    }
    KeyMatch quick = matchWithoutSigning(privateKey, publicKey);
    if (quick != KeyMatch.UNDECIDED) {
      return quick == KeyMatch.MATCH;
    }
    SIGNATURE_CHECKS.incrementAndGet();
    try {
      byte[] challenge = "weft key match".getBytes(java.nio.charset.StandardCharsets.US_ASCII);
      java.security.Signature signer = java.security.Signature.getInstance(KeyType.signatureAlgorithmFor(privateKey));
      signer.initSign(privateKey);
      signer.update(challenge);
      byte[] signature = signer.sign();
      java.security.Signature verifier = java.security.Signature.getInstance(KeyType.signatureAlgorithmFor(publicKey));
      verifier.initVerify(publicKey);
      verifier.update(challenge);
      return verifier.verify(signature);
    } catch (java.security.GeneralSecurityException | IllegalArgumentException e) {
      return false;
    }
  }

  private enum KeyMatch { MATCH, MISMATCH, UNDECIDED }

  private static KeyMatch matchWithoutSigning(java.security.PrivateKey privateKey, PublicKey publicKey) {
    if (privateKey instanceof RSAKey rsaPrivate && publicKey instanceof RSAPublicKey rsaPublic) {
      BigInteger modulus = rsaPrivate.getModulus();
      if (modulus == null) {
        return KeyMatch.UNDECIDED;
      }
      if (!modulus.equals(rsaPublic.getModulus())) {
        return KeyMatch.MISMATCH;
      }
      if (privateKey instanceof RSAPrivateCrtKey crt && crt.getPublicExponent() != null
          && crt.getPublicExponent().signum() > 0) {
        return crt.getPublicExponent().equals(rsaPublic.getPublicExponent()) ? KeyMatch.MATCH : KeyMatch.MISMATCH;
      }
      return KeyMatch.MATCH;
    }
    if (privateKey instanceof ECPrivateKey ecPrivate && publicKey instanceof ECPublicKey ecPublic) {
      ECParameterSpec curve = ecPrivate.getParams();
      ECParameterSpec publicCurve = ecPublic.getParams();
      if (curve == null || publicCurve == null) {
        return KeyMatch.UNDECIDED;
      }
      if (!sameCurve(curve, publicCurve)) {
        return KeyMatch.MISMATCH;
      }
      if (!"PKCS#8".equals(privateKey.getFormat()) || !"X.509".equals(publicKey.getFormat())) {
        return KeyMatch.UNDECIDED;
      }
      byte[] embedded = embeddedEcPoint(privateKey.getEncoded());
      byte[] point = subjectPublicKeyPoint(publicKey.getEncoded());
      int uncompressedLength = 1 + 2 * ((curve.getCurve().getField().getFieldSize() + 7) / 8);
      if (embedded == null || point == null || embedded.length != uncompressedLength
          || point.length != uncompressedLength || embedded[0] != UNCOMPRESSED || point[0] != UNCOMPRESSED) {
        return KeyMatch.UNDECIDED;
      }
      return Arrays.equals(embedded, point) ? KeyMatch.MATCH : KeyMatch.MISMATCH;
    }
    return KeyMatch.UNDECIDED;
  }

  /** Returns true if both specify the same curve: field, coefficients, generator, order and cofactor. */
  static boolean sameCurve(ECParameterSpec a, ECParameterSpec b) {
    return a.getCurve().equals(b.getCurve()) && a.getGenerator().equals(b.getGenerator())
        && a.getOrder().equals(b.getOrder()) && a.getCofactor() == b.getCofactor();
  }

  /**
   * Returns the public point a PKCS#8 EC private key embeds, or null if it embeds none or the
   * encoding cannot be read.
   *
   * <pre>
   * PrivateKeyInfo ::= SEQUENCE { version INTEGER, algorithm SEQUENCE { id-ecPublicKey, ... },
   *                               privateKey OCTET STRING (containing ECPrivateKey), ... }
   * ECPrivateKey ::= SEQUENCE { version INTEGER (1), privateKey OCTET STRING,
   *                             parameters [0] EXPLICIT ECParameters OPTIONAL,
   *                             publicKey  [1] EXPLICIT BIT STRING OPTIONAL }
   * </pre>
   */
  static byte[] embeddedEcPoint(byte[] pkcs8) {
    if (pkcs8 == null) {
      return null;
    }
    try {
      Der info = Der.of(pkcs8).read(Der.SEQUENCE);
      info.read(Der.INTEGER);
      if (!EC_PUBLIC_KEY.equals(info.read(Der.SEQUENCE).readObjectIdentifier())) {
        return null;
      }
      Der octets = info.read(Der.OCTET_STRING);
      Der ecPrivateKey = octets.read(Der.SEQUENCE);
      octets.expectEnd();
      if (ecPrivateKey.readSmallInteger() != 1) {
        return null;
      }
      ecPrivateKey.read(Der.OCTET_STRING);
      if (ecPrivateKey.hasMore() && ecPrivateKey.peekTag() == EC_PARAMETERS) {
        ecPrivateKey.skip();
      }
      if (!ecPrivateKey.hasMore() || ecPrivateKey.peekTag() != EC_PUBLIC_POINT) {
        return null;
      }
      Der publicKey = ecPrivateKey.read(EC_PUBLIC_POINT);
      byte[] point = publicKey.readBitString();
      publicKey.expectEnd();
      return point;
    } catch (Der.MalformedException e) {
      return null;
    }
  }

  /**
   * Returns the subjectPublicKey bits of a SubjectPublicKeyInfo (for EC, the encoded point), or
   * null if the encoding cannot be read.
   */
  static byte[] subjectPublicKeyPoint(byte[] subjectPublicKeyInfo) {
    if (subjectPublicKeyInfo == null) {
      return null;
    }
    try {
      Der info = Der.of(subjectPublicKeyInfo).read(Der.SEQUENCE);
      info.read(Der.SEQUENCE);
      byte[] point = info.readBitString();
      info.expectEnd();
      return point;
    } catch (Der.MalformedException e) {
      return null;
    }
  }

  /** Returns true if both keys have the same encoding. */
  static boolean sameKey(PublicKey a, PublicKey b) {
    return Arrays.equals(a.getEncoded(), b.getEncoded());
  }
}

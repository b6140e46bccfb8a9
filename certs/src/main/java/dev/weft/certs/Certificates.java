package dev.weft.certs;

import java.security.PublicKey;
import java.security.cert.X509Certificate;
import java.util.Arrays;

import org.bouncycastle.asn1.ASN1OctetString;
import org.bouncycastle.asn1.x509.Extension;
import org.bouncycastle.asn1.x509.SubjectKeyIdentifier;
import org.bouncycastle.cert.jcajce.JcaX509ExtensionUtils;

/** Small certificate helpers shared inside the package. */
final class Certificates {

  private static final int KEY_CERT_SIGN = 5;

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

  /** Returns true if {@code privateKey} signs what {@code publicKey} verifies. */
  static boolean keysMatch(java.security.PrivateKey privateKey, PublicKey publicKey) {
    if (!privateKey.getAlgorithm().equals(publicKey.getAlgorithm())) {
      return false;
    }
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

  /** Returns true if both keys have the same encoding. */
  static boolean sameKey(PublicKey a, PublicKey b) {
    return Arrays.equals(a.getEncoded(), b.getEncoded());
  }
}

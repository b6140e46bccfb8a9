package dev.weft.certs;

import java.io.IOException;
import java.io.StringReader;
import java.io.StringWriter;
import java.io.UncheckedIOException;
import java.math.BigInteger;
import java.security.PrivateKey;
import java.security.cert.CertificateException;
import java.security.cert.X509Certificate;
import java.security.interfaces.ECPrivateKey;
import java.util.ArrayList;
import java.util.List;
import java.util.Objects;

import org.bouncycastle.asn1.ASN1Encoding;
import org.bouncycastle.asn1.ASN1ObjectIdentifier;
import org.bouncycastle.asn1.ASN1Primitive;
import org.bouncycastle.asn1.DERBitString;
import org.bouncycastle.asn1.pkcs.PrivateKeyInfo;
import org.bouncycastle.asn1.x509.AlgorithmIdentifier;
import org.bouncycastle.asn1.x9.ECNamedCurveTable;
import org.bouncycastle.asn1.x9.X962Parameters;
import org.bouncycastle.asn1.x9.X9ECParameters;
import org.bouncycastle.asn1.x9.X9ObjectIdentifiers;
import org.bouncycastle.cert.X509CertificateHolder;
import org.bouncycastle.cert.jcajce.JcaX509CertificateConverter;
import org.bouncycastle.jcajce.provider.asymmetric.util.EC5Util;
import org.bouncycastle.math.ec.ECPoint;
import org.bouncycastle.math.ec.FixedPointCombMultiplier;
import org.bouncycastle.openssl.PEMEncryptedKeyPair;
import org.bouncycastle.openssl.PEMKeyPair;
import org.bouncycastle.openssl.PEMParser;
import org.bouncycastle.openssl.jcajce.JcaPEMKeyConverter;
import org.bouncycastle.pkcs.PKCS10CertificationRequest;
import org.bouncycastle.pkcs.PKCS8EncryptedPrivateKeyInfo;
import org.bouncycastle.util.io.pem.PemObject;
import org.bouncycastle.util.io.pem.PemWriter;

/**
 * The BouncyCastle side of {@link Pem}: writing, reading CSRs, and reading every form of
 * certificate and key text that {@link Pem}'s JDK-only fast path leaves alone, with the error
 * messages {@link Pem} documents.
 *
 * <p>It is a class of its own so that {@link Pem} refers to no BouncyCastle class: loading and
 * verifying {@link Pem} then loads none, and a sidecar that reads ordinary PEM files never opens
 * the signed BouncyCastle jars. Only a call that lands here does.
 */
final class BcPem {

  private BcPem() {}

  /** Returns the contents as consecutive PEM blocks of {@code type}, in list order. */
  static String write(String type, List<byte[]> contents) {
    StringWriter out = new StringWriter();
    try (PemWriter writer = new PemWriter(out)) {
      for (byte[] content : contents) {
        writer.writeObject(new PemObject(type, content));
      }
    } catch (IOException e) {
      throw new UncheckedIOException(e);
    }
    return out.toString();
  }

  /**
   * Returns the PKCS#8 encoding of an EC private key as OpenSSL and BouncyCastle write it, with
   * the public point the JDK leaves out, or null to keep {@code pkcs8} as it is.
   *
   * <p>{@code pkcs8} is the key's own encoding. It is rewritten only when it is a version 0
   * PrivateKeyInfo without attributes whose algorithm is {@code id-ecPublicKey} on a named curve
   * BouncyCastle knows (P-256, P-384 and P-521 among them), whose inner SEC 1 ECPrivateKey carries
   * no public key and no parameters other than that curve, when the scalar is the key's and lies
   * in [1, n), and when the key's {@link ECPrivateKey#getParams()} are that curve's. The result has
   * the same AlgorithmIdentifier and scalar (same length), and its ECPrivateKey gains the curve as
   * {@code [0] parameters} (RFC 5915 says to include them; BouncyCastle does) and
   * {@code [1] publicKey}: the uncompressed point {@code s·G}.
   *
   * <pre>
   * ECPrivateKey ::= SEQUENCE { version INTEGER (1), privateKey OCTET STRING,
   *                             parameters [0] EXPLICIT ECParameters OPTIONAL,
   *                             publicKey  [1] EXPLICIT BIT STRING OPTIONAL }
   * </pre>
   */
  static byte[] ecPkcs8WithPublicKey(ECPrivateKey key, byte[] pkcs8) {
    try {
      PrivateKeyInfo info = PrivateKeyInfo.getInstance(pkcs8);
      AlgorithmIdentifier algorithm = info.getPrivateKeyAlgorithm();
      if (info.getVersion().intValueExact() != 0 || info.getAttributes() != null || info.getPublicKeyData() != null
          || !X9ObjectIdentifiers.id_ecPublicKey.equals(algorithm.getAlgorithm())) {
        return null;
      }
      X962Parameters parameters = X962Parameters.getInstance(algorithm.getParameters());
      if (!parameters.isNamedCurve()) {
        return null;
      }
      X9ECParameters curve = ECNamedCurveTable.getByOID(ASN1ObjectIdentifier.getInstance(parameters.getParameters()));
      if (curve == null || key.getParams() == null
          || !Certificates.sameCurve(EC5Util.convertToSpec(curve), key.getParams())) {
        return null;
      }
      org.bouncycastle.asn1.sec.ECPrivateKey inner = org.bouncycastle.asn1.sec.ECPrivateKey.getInstance(
          info.parsePrivateKey());
      ASN1Primitive innerParameters = inner.getParametersObject() == null
          ? null : inner.getParametersObject().toASN1Primitive();
      if (inner.getPublicKey() != null
          || (innerParameters != null && !innerParameters.equals(parameters.toASN1Primitive()))) {
        return null;
      }
      BigInteger scalar = inner.getKey();
      int orderBits = curve.getN().bitLength();
      if (!scalar.equals(key.getS()) || scalar.signum() <= 0 || scalar.compareTo(curve.getN()) >= 0
          || inner.getPrivateKey().getOctets().length != (orderBits + 7) / 8) {
        return null;
      }
      ECPoint point = new FixedPointCombMultiplier().multiply(curve.getG(), scalar).normalize();
      if (point.isInfinity() || !point.isValid()) {
        return null;
      }
      org.bouncycastle.asn1.sec.ECPrivateKey withPoint = new org.bouncycastle.asn1.sec.ECPrivateKey(
          orderBits, scalar, new DERBitString(point.getEncoded(false)), parameters);
      return new PrivateKeyInfo(algorithm, withPoint).getEncoded(ASN1Encoding.DER);
    } catch (IOException | RuntimeException e) {
      return null;
    }
  }

  /** See {@link Pem#writeCsr(PKCS10CertificationRequest)}. */
  static String writeCsr(PKCS10CertificationRequest csr) {
    try {
      return write("CERTIFICATE REQUEST", List.of(csr.getEncoded()));
    } catch (IOException e) {
      throw new UncheckedIOException(e);
    }
  }

  /** See {@link Pem#readCertificates(String)}. */
  static List<X509Certificate> readCertificates(String pem) {
    List<Object> objects = parseAll(pem);
    if (objects.isEmpty()) {
      throw new PemException("no PEM block found (expected: at least one CERTIFICATE)");
    }
    JcaX509CertificateConverter converter = new JcaX509CertificateConverter();
    List<X509Certificate> certificates = new ArrayList<>();
    for (int i = 0; i < objects.size(); i++) {
      if (!(objects.get(i) instanceof X509CertificateHolder holder)) {
        throw new PemException("PEM block " + i + " is " + describe(objects.get(i)) + " (expected: CERTIFICATE)");
      }
      try {
        certificates.add(converter.getCertificate(holder));
      } catch (CertificateException e) {
        throw new PemException("PEM block " + i + " is not a valid X.509 certificate: " + e.getMessage(), e);
      }
    }
    return List.copyOf(certificates);
  }

  /** See {@link Pem#readPrivateKey(String)}. */
  static PrivateKey readPrivateKey(String pem) {
    List<Object> objects = parseAll(pem);
    if (objects.size() != 1) {
      throw new PemException("found " + objects.size() + " PEM blocks (expected: exactly one PRIVATE KEY)");
    }
    Object object = objects.getFirst();
    JcaPEMKeyConverter converter = new JcaPEMKeyConverter();
    try {
      return switch (object) {
        case PrivateKeyInfo info -> converter.getPrivateKey(info);
        case PEMKeyPair pair -> converter.getPrivateKey(pair.getPrivateKeyInfo());
        case PKCS8EncryptedPrivateKeyInfo ignored ->
            throw new PemException("private key is encrypted (expected: an unencrypted PKCS#8 PRIVATE KEY)");
        case PEMEncryptedKeyPair ignored ->
            throw new PemException("private key is encrypted (expected: an unencrypted PKCS#8 PRIVATE KEY)");
        default -> throw new PemException("PEM block is " + describe(object) + " (expected: PRIVATE KEY)");
      };
    } catch (org.bouncycastle.openssl.PEMException e) {
      throw new PemException("private key cannot be decoded: " + e.getMessage(), e);
    }
  }

  /** See {@link Pem#readCsr(String)}. */
  static PKCS10CertificationRequest readCsr(String pem) {
    List<Object> objects = parseAll(pem);
    if (objects.size() != 1 || !(objects.getFirst() instanceof PKCS10CertificationRequest csr)) {
      throw new PemException("found " + (objects.isEmpty() ? "no PEM block" : describeAll(objects))
          + " (expected: exactly one CERTIFICATE REQUEST)");
    }
    return csr;
  }

  private static List<Object> parseAll(String pem) {
    Objects.requireNonNull(pem, "pem");
    List<Object> objects = new ArrayList<>();
    try (PEMParser parser = new PEMParser(new StringReader(pem))) {
      Object object;
      while ((object = parser.readObject()) != null) {
        objects.add(object);
      }
    } catch (IOException | RuntimeException e) {
      throw new PemException("malformed PEM after " + objects.size() + " block(s): " + e.getMessage(), e);
    }
    return objects;
  }

  private static String describeAll(List<Object> objects) {
    List<String> names = new ArrayList<>();
    for (Object object : objects) {
      names.add(describe(object));
    }
    return String.join(", ", names);
  }

  private static String describe(Object object) {
    return switch (object) {
      case X509CertificateHolder ignored -> "a CERTIFICATE";
      case PKCS10CertificationRequest ignored -> "a CERTIFICATE REQUEST";
      case PrivateKeyInfo ignored -> "a PRIVATE KEY";
      case PEMKeyPair ignored -> "a PRIVATE KEY";
      case PKCS8EncryptedPrivateKeyInfo ignored -> "an ENCRYPTED PRIVATE KEY";
      case PEMEncryptedKeyPair ignored -> "an encrypted PRIVATE KEY";
      default -> "a " + object.getClass().getSimpleName();
    };
  }
}

package dev.weft.certs;

import java.security.GeneralSecurityException;
import java.security.Key;
import java.security.KeyPair;
import java.security.KeyPairGenerator;
import java.security.SecureRandom;
import java.security.interfaces.ECKey;
import java.security.interfaces.RSAKey;
import java.security.spec.ECGenParameterSpec;
import java.security.spec.RSAKeyGenParameterSpec;

/**
 * Key algorithms Weft generates for CAs and workloads. {@link #EC_P256} is the default everywhere:
 * small keys, fast handshakes, and accepted by every TLS stack the mesh talks to.
 */
public enum KeyType {
  /** ECDSA on NIST P-256 (secp256r1), signing with SHA256withECDSA. The default. */
  EC_P256("EC", 256, "SHA256withECDSA"),
  /** ECDSA on NIST P-384 (secp384r1), signing with SHA384withECDSA. */
  EC_P384("EC", 384, "SHA384withECDSA"),
  /** RSA with a 2048-bit modulus, signing with SHA256withRSA. */
  RSA_2048("RSA", 2048, "SHA256withRSA"),
  /** RSA with a 3072-bit modulus, signing with SHA256withRSA. */
  RSA_3072("RSA", 3072, "SHA256withRSA"),
  /** RSA with a 4096-bit modulus, signing with SHA256withRSA. */
  RSA_4096("RSA", 4096, "SHA256withRSA");

  private final String algorithm;
  private final int bits;
  private final String signatureAlgorithm;

  KeyType(String algorithm, int bits, String signatureAlgorithm) {
    this.algorithm = algorithm;
    this.bits = bits;
    this.signatureAlgorithm = signatureAlgorithm;
  }

  /**
   * Generates a fresh key pair of this type.
   *
   * @param random the source of randomness
   * @return a new key pair
   * @throws IllegalStateException if the JDK lacks the algorithm (never on a standard JDK)
   */
  public KeyPair generate(SecureRandom random) {
    try {
      KeyPairGenerator generator = KeyPairGenerator.getInstance(algorithm);
      if (algorithm.equals("EC")) {
        generator.initialize(new ECGenParameterSpec(bits == 256 ? "secp256r1" : "secp384r1"), random);
      } else {
        generator.initialize(new RSAKeyGenParameterSpec(bits, RSAKeyGenParameterSpec.F4), random);
      }
      return generator.generateKeyPair();
    } catch (GeneralSecurityException e) {
      throw new IllegalStateException("cannot generate a " + this + " key pair", e);
    }
  }

  /** Returns the JCA signature algorithm used with keys of this type, e.g. {@code SHA256withECDSA}. */
  public String signatureAlgorithm() {
    return signatureAlgorithm;
  }

  /**
   * Returns the JCA signature algorithm to sign with {@code key}: SHA-256/384/512 with ECDSA by
   * curve size, SHA256withRSA for RSA.
   *
   * @throws IllegalArgumentException if the key is neither EC nor RSA
   */
  static String signatureAlgorithmFor(Key key) {
    if (key instanceof ECKey ec) {
      int bits = ec.getParams().getOrder().bitLength();
      return bits <= 256 ? "SHA256withECDSA" : bits <= 384 ? "SHA384withECDSA" : "SHA512withECDSA";
    }
    if (key instanceof RSAKey) {
      return "SHA256withRSA";
    }
    throw new IllegalArgumentException(
        "unsupported key algorithm " + key.getAlgorithm() + " (expected: EC or RSA)");
  }
}

package dev.weft.certs;

import java.io.ByteArrayInputStream;
import java.io.IOException;
import java.nio.charset.StandardCharsets;
import java.nio.file.AtomicMoveNotSupportedException;
import java.nio.file.FileSystem;
import java.nio.file.Files;
import java.nio.file.Path;
import java.nio.file.StandardCopyOption;
import java.nio.file.attribute.FileAttribute;
import java.nio.file.attribute.PosixFilePermission;
import java.nio.file.attribute.PosixFilePermissions;
import java.security.GeneralSecurityException;
import java.security.KeyFactory;
import java.security.PrivateKey;
import java.security.cert.Certificate;
import java.security.cert.CertificateFactory;
import java.security.cert.X509Certificate;
import java.security.interfaces.ECPrivateKey;
import java.security.spec.PKCS8EncodedKeySpec;
import java.util.ArrayList;
import java.util.Base64;
import java.util.List;
import java.util.Map;
import java.util.Objects;
import java.util.Set;
import java.util.concurrent.atomic.AtomicLong;

import org.bouncycastle.pkcs.PKCS10CertificationRequest;

/**
 * Reads and writes PEM: certificates and chains ({@code CERTIFICATE}), private keys (written as
 * PKCS#8 {@code PRIVATE KEY}; PKCS#1 {@code RSA PRIVATE KEY} and SEC 1 {@code EC PRIVATE KEY} are
 * also read, as OpenSSL tools produce them), and certificate signing requests ({@code CERTIFICATE
 * REQUEST}).
 *
 * <p>Reading the common forms takes a fast path that uses the JDK alone: PEM text of plain
 * {@code CERTIFICATE} blocks, or of one unencrypted PKCS#8 {@code PRIVATE KEY} block of an EC, RSA,
 * RSASSA-PSS, Ed25519 or Ed448 key, in canonical DER. Everything else (other block types, PEM
 * headers, stray markers, non-DER content, a decoding failure) goes to BouncyCastle's
 * {@code PEMParser} in {@link BcPem}, which gives the same objects and reports bad input with the
 * messages documented here. The fast path spares a process that reads ordinary files, such as the
 * sidecar at start-up, from loading BouncyCastle's classes out of its signed jars. The two paths
 * return equal certificates and keys (same class, algorithm name and encoding): both hand the same
 * DER to the same JCA {@code CertificateFactory} and {@code KeyFactory}, BouncyCastle's converter
 * asking for an {@code "ECDSA"} key factory first, which the JDK's providers lack, and then for
 * {@code "EC"}. (Weft registers no BouncyCastle JCA provider; one registered by an application
 * would make the BouncyCastle path return its own {@code "ECDSA"} keys.)
 *
 * <p>Private key files are created with POSIX mode {@code 0600} from the start: the key is written
 * to a temporary file created with that mode in the target directory, then moved into place
 * atomically, so no reader ever sees a partly written or world-readable key.
 */
public final class Pem {

  /**
   * Counts reads handed to BouncyCastle because the fast path did not apply. Package-private so
   * tests can tell which path a read took.
   */
  static final AtomicLong BC_FALLBACKS = new AtomicLong();

  private static final Set<PosixFilePermission> OWNER_ONLY = PosixFilePermissions.fromString("rw-------");
  private static final Set<PosixFilePermission> WORLD_READABLE = PosixFilePermissions.fromString("rw-r--r--");

  private static final String BEGIN = "-----BEGIN ";
  private static final String END = "-----END ";
  private static final String DASHES = "-----";
  private static final String CERTIFICATE = "CERTIFICATE";
  private static final String PRIVATE_KEY = "PRIVATE KEY";

  /** KeyFactory algorithm by PKCS#8 algorithm OID, for the keys the fast path reads. */
  private static final Map<String, String> KEY_FACTORY_BY_OID = Map.of(
      "1.2.840.10045.2.1", "EC",
      "1.2.840.113549.1.1.1", "RSA",
      "1.2.840.113549.1.1.10", "RSASSA-PSS",
      "1.3.101.112", "Ed25519",
      "1.3.101.113", "Ed448");

  private Pem() {}

  /** Returns one PEM {@code CERTIFICATE} block. */
  public static String writeCertificate(X509Certificate certificate) {
    return writeCertificates(List.of(certificate));
  }

  /** Returns concatenated PEM {@code CERTIFICATE} blocks, in list order. */
  public static String writeCertificates(List<X509Certificate> certificates) {
    List<byte[]> encodings = new ArrayList<>();
    for (X509Certificate certificate : certificates) {
      try {
        encodings.add(certificate.getEncoded());
      } catch (java.security.cert.CertificateEncodingException e) {
        throw new IllegalArgumentException("cannot encode certificate " + Certificates.describe(certificate), e);
      }
    }
    return BcPem.write(CERTIFICATE, encodings);
  }

  /**
   * Reads every {@code CERTIFICATE} block, in order.
   *
   * @throws PemException if there is no certificate, or a block that is not a certificate
   */
  public static List<X509Certificate> readCertificates(String pem) {
    Objects.requireNonNull(pem, "pem");
    List<X509Certificate> certificates = readCertificatesWithJdk(pem);
    if (certificates != null) {
      return certificates;
    }
    BC_FALLBACKS.incrementAndGet();
    return BcPem.readCertificates(pem);
  }

  /**
   * Reads exactly one certificate.
   *
   * @throws PemException if the text holds no certificate or more than one block
   */
  public static X509Certificate readCertificate(String pem) {
    List<X509Certificate> certificates = readCertificates(pem);
    if (certificates.size() != 1) {
      throw new PemException("found " + certificates.size() + " certificates (expected: exactly one)");
    }
    return certificates.getFirst();
  }

  /**
   * Returns the key as a PKCS#8 {@code PRIVATE KEY} block.
   *
   * <p>An EC key on a named curve whose encoding leaves out its public point, as every key the
   * JDK generates does, is written the way OpenSSL and BouncyCastle write EC keys: the SEC 1
   * ECPrivateKey inside carries the curve ({@code [0] parameters}) and the public point
   * ({@code [1] publicKey}, uncompressed), computed here from the private scalar. A reader can
   * then pair the key with its certificate by comparing points instead of signing (see {@link
   * CertifiedKey}), and reads back a key with the same scalar and curve, whose encoding is the one
   * written here; writing that key again gives the same text. Other keys (RSA, EdDSA, EC keys
   * that already embed their point or are on a curve BouncyCastle does not name) are written with
   * their own encoding, unchanged.
   *
   * @throws IllegalArgumentException if the key has no PKCS#8 encoding
   */
  public static String writePrivateKey(PrivateKey key) {
    Objects.requireNonNull(key, "key");
    byte[] encoded = key.getEncoded();
    if (encoded == null || !"PKCS#8".equals(key.getFormat())) {
      throw new IllegalArgumentException("private key format is " + key.getFormat() + " (expected: PKCS#8)");
    }
    if (key instanceof ECPrivateKey ec && Certificates.embeddedEcPoint(encoded) == null) {
      byte[] withPublicKey = BcPem.ecPkcs8WithPublicKey(ec, encoded);
      if (withPublicKey != null) {
        encoded = withPublicKey;
      }
    }
    return BcPem.write(PRIVATE_KEY, List.of(encoded));
  }

  /**
   * Reads one unencrypted private key: PKCS#8 {@code PRIVATE KEY}, {@code EC PRIVATE KEY} or
   * {@code RSA PRIVATE KEY}.
   *
   * @throws PemException if the text does not hold exactly one unencrypted private key
   */
  public static PrivateKey readPrivateKey(String pem) {
    Objects.requireNonNull(pem, "pem");
    PrivateKey key = readPrivateKeyWithJdk(pem);
    if (key != null) {
      return key;
    }
    BC_FALLBACKS.incrementAndGet();
    return BcPem.readPrivateKey(pem);
  }

  /** Returns the request as a {@code CERTIFICATE REQUEST} block. */
  public static String writeCsr(PKCS10CertificationRequest csr) {
    return BcPem.writeCsr(csr);
  }

  /**
   * Reads one PKCS#10 certificate signing request. The signature is not checked here; the CA does.
   *
   * @throws PemException if the text does not hold exactly one CERTIFICATE REQUEST
   */
  public static PKCS10CertificationRequest readCsr(String pem) {
    return BcPem.readCsr(pem);
  }

  /**
   * Reads every certificate in a PEM file.
   *
   * @throws IOException if the file cannot be read
   * @throws PemException naming the file if its content is not certificates
   */
  public static List<X509Certificate> readCertificates(Path file) throws IOException {
    String text = Files.readString(file, StandardCharsets.US_ASCII);
    try {
      return readCertificates(text);
    } catch (PemException e) {
      throw new PemException(file + ": " + e.getMessage(), e);
    }
  }

  /**
   * Reads a private key from a PEM file.
   *
   * @throws IOException if the file cannot be read
   * @throws PemException naming the file if its content is not one unencrypted private key
   */
  public static PrivateKey readPrivateKey(Path file) throws IOException {
    String text = Files.readString(file, StandardCharsets.US_ASCII);
    try {
      return readPrivateKey(text);
    } catch (PemException e) {
      throw new PemException(file + ": " + e.getMessage(), e);
    }
  }

  /**
   * Writes a private key as PKCS#8 PEM to {@code file} with mode {@code 0600}, replacing any
   * existing file atomically. The file never exists with wider permissions, not even briefly. The
   * text is {@link #writePrivateKey(PrivateKey)}'s: an EC key gets its public point embedded.
   *
   * @throws IOException if the file system does not support POSIX permissions or the write fails
   */
  public static void writePrivateKey(Path file, PrivateKey key) throws IOException {
    writeAtomically(file, writePrivateKey(key), OWNER_ONLY);
  }

  /**
   * Writes certificates as PEM to {@code file} with mode {@code 0644}, replacing any existing file
   * atomically.
   *
   * @throws IOException if the file system does not support POSIX permissions or the write fails
   */
  public static void writeCertificates(Path file, List<X509Certificate> certificates) throws IOException {
    writeAtomically(file, writeCertificates(certificates), WORLD_READABLE);
  }

  private static void writeAtomically(Path file, String content, Set<PosixFilePermission> mode)
      throws IOException {
    Path target = file.toAbsolutePath();
    FileSystem fs = target.getFileSystem();
    if (!fs.supportedFileAttributeViews().contains("posix")) {
      throw new IOException(target + ": file system does not support POSIX permissions (expected: mode "
          + PosixFilePermissions.toString(mode) + " can be set at creation)");
    }
    Path directory = target.getParent();
    FileAttribute<Set<PosixFilePermission>> attribute = PosixFilePermissions.asFileAttribute(mode);
    // createTempFile applies the attribute when it creates the file (subject to the umask, which can
    // only remove bits), so the content is never readable by anyone else.
    Path temp = Files.createTempFile(directory, "." + target.getFileName() + ".", ".tmp", attribute);
    try {
      Files.writeString(temp, content, StandardCharsets.US_ASCII);
      try {
        Files.move(temp, target, StandardCopyOption.ATOMIC_MOVE, StandardCopyOption.REPLACE_EXISTING);
      } catch (AtomicMoveNotSupportedException e) {
        throw new IOException(target + ": cannot replace atomically on this file system", e);
      }
    } finally {
      Files.deleteIfExists(temp);
    }
  }

  /**
   * Reads certificates with the JDK alone, or returns null if the text is anything but
   * {@code CERTIFICATE} blocks of DER certificates the JDK accepts.
   */
  private static List<X509Certificate> readCertificatesWithJdk(String pem) {
    List<Block> blocks = blocks(pem);
    if (blocks == null || blocks.isEmpty()) {
      return null;
    }
    try {
      // One factory per call: the CertificateFactory API does not promise that an instance may be
      // shared between threads, and getInstance costs little next to parsing a certificate.
      CertificateFactory factory = CertificateFactory.getInstance("X.509");
      List<X509Certificate> certificates = new ArrayList<>(blocks.size());
      for (Block block : blocks) {
        if (!block.type().equals(CERTIFICATE) || !Der.isDer(block.der())) {
          return null;
        }
        Certificate certificate = factory.generateCertificate(new ByteArrayInputStream(block.der()));
        if (!(certificate instanceof X509Certificate x509)) {
          return null;
        }
        certificates.add(x509);
      }
      return List.copyOf(certificates);
    } catch (GeneralSecurityException | RuntimeException e) {
      return null;
    }
  }

  /**
   * Reads a private key with the JDK alone, or returns null if the text is anything but one
   * unencrypted PKCS#8 {@code PRIVATE KEY} block of a key type in {@link #KEY_FACTORY_BY_OID}.
   */
  private static PrivateKey readPrivateKeyWithJdk(String pem) {
    List<Block> blocks = blocks(pem);
    if (blocks == null || blocks.size() != 1 || !blocks.getFirst().type().equals(PRIVATE_KEY)) {
      return null;
    }
    byte[] der = blocks.getFirst().der();
    String algorithm = pkcs8KeyFactoryAlgorithm(der);
    if (algorithm == null) {
      return null;
    }
    try {
      return KeyFactory.getInstance(algorithm).generatePrivate(new PKCS8EncodedKeySpec(der));
    } catch (GeneralSecurityException | RuntimeException e) {
      return null;
    }
  }

  /**
   * Returns the KeyFactory algorithm for a PKCS#8 PrivateKeyInfo, or null if the encoding is not
   * canonical DER, has a shape BouncyCastle would not re-encode byte for byte (attributes, or a
   * public key with unused bits), or names an algorithm outside {@link #KEY_FACTORY_BY_OID}.
   *
   * <pre>
   * PrivateKeyInfo ::= SEQUENCE {
   *   version             INTEGER (0 or, with publicKey, 1),
   *   privateKeyAlgorithm SEQUENCE { algorithm OBJECT IDENTIFIER, parameters ANY OPTIONAL },
   *   privateKey          OCTET STRING,
   *   attributes      [0] IMPLICIT SET OF Attribute OPTIONAL,
   *   publicKey       [1] IMPLICIT BIT STRING OPTIONAL }
   * </pre>
   */
  static String pkcs8KeyFactoryAlgorithm(byte[] der) {
    if (!Der.isDer(der)) {
      return null;
    }
    try {
      Der info = Der.of(der).read(Der.SEQUENCE);
      int version = info.readSmallInteger();
      Der algorithm = info.read(Der.SEQUENCE);
      String oid = algorithm.readObjectIdentifier();
      if (algorithm.hasMore()) {
        algorithm.skip();
      }
      algorithm.expectEnd();
      info.read(Der.OCTET_STRING);
      if (version == 1 && info.hasMore()) {
        byte[] publicKey = info.read(0x81).remaining();
        if (publicKey.length < 2 || publicKey[0] != 0) {
          return null;
        }
      } else if (version != 0) {
        return null;
      }
      info.expectEnd();
      return KEY_FACTORY_BY_OID.get(oid);
    } catch (Der.MalformedException e) {
      return null;
    }
  }

  /** A PEM block: its type (the text after {@code BEGIN}) and its decoded content. */
  private record Block(String type, byte[] der) {}

  /**
   * Splits PEM text into blocks, or returns null for text that BouncyCastle's {@code PEMParser}
   * might read differently. Lines end in LF, CR LF or CR; text outside blocks is skipped as
   * {@code PEMParser} skips it, but any line there that contains {@code -----} without being a
   * well-formed {@code BEGIN} line gives null. Inside a block, surrounding whitespace on each line
   * and blank lines are ignored; a header line (with {@code :}), any character outside the base64
   * alphabet, misplaced padding or an {@code END} line with other text give null, as does a block
   * that is never closed.
   */
  private static List<Block> blocks(String text) {
    List<Block> blocks = new ArrayList<>();
    String type = null;
    StringBuilder base64 = new StringBuilder();
    int position = 0;
    int length = text.length();
    while (position < length) {
      int lineEnd = position;
      while (lineEnd < length && text.charAt(lineEnd) != '\n' && text.charAt(lineEnd) != '\r') {
        lineEnd++;
      }
      String line = text.substring(position, lineEnd);
      position = lineEnd + 1;
      if (lineEnd + 1 < length && text.charAt(lineEnd) == '\r' && text.charAt(lineEnd + 1) == '\n') {
        position++;
      }
      if (type == null) {
        if (line.startsWith(BEGIN)) {
          type = beginType(line);
          if (type == null) {
            return null;
          }
          base64.setLength(0);
        } else if (line.contains(DASHES)) {
          return null;
        }
      } else if (line.startsWith(END)) {
        if (!line.trim().equals(END + type + DASHES)) {
          return null;
        }
        byte[] der = decodeBase64(base64);
        if (der == null) {
          return null;
        }
        blocks.add(new Block(type, der));
        type = null;
      } else {
        String trimmed = line.trim();
        for (int i = 0; i < trimmed.length(); i++) {
          if (!isBase64(trimmed.charAt(i))) {
            return null;
          }
        }
        base64.append(trimmed);
      }
    }
    return type == null ? blocks : null;
  }

  /** Returns the type of a {@code -----BEGIN TYPE-----} line, or null if the line is unusual. */
  private static String beginType(String line) {
    String rest = line.substring(BEGIN.length());
    if (rest.isEmpty() || rest.charAt(0) <= ' ') {
      return null;
    }
    rest = rest.trim();
    if (!rest.endsWith(DASHES)) {
      return null;
    }
    String type = rest.substring(0, rest.length() - DASHES.length());
    return type.isEmpty() || type.indexOf('-') >= 0 ? null : type;
  }

  private static int base64Value(char c) {
    if (c >= 'A' && c <= 'Z') {
      return c - 'A';
    }
    if (c >= 'a' && c <= 'z') {
      return c - 'a' + 26;
    }
    if (c >= '0' && c <= '9') {
      return c - '0' + 52;
    }
    return c == '+' ? 62 : 63;
  }

  private static boolean isBase64(char c) {
    return (c >= 'A' && c <= 'Z') || (c >= 'a' && c <= 'z') || (c >= '0' && c <= '9') || c == '+' || c == '/'
        || c == '=';
  }

  /**
   * Decodes a block's base64, or returns null unless it is canonical: whole groups of four
   * characters, at most two {@code =} of padding at the very end, and no stray bits before the
   * padding. Every base64 decoder reads that alike.
   */
  private static byte[] decodeBase64(CharSequence base64) {
    int length = base64.length();
    if (length == 0 || length % 4 != 0) {
      return null;
    }
    int padding = 0;
    while (padding < length && base64.charAt(length - 1 - padding) == '=') {
      padding++;
    }
    if (padding > 2) {
      return null;
    }
    for (int i = 0; i < length - padding; i++) {
      if (base64.charAt(i) == '=') {
        return null;
      }
    }
    // Before padding, the last character's spare low bits must be zero: decoders differ on others.
    int spareBits = padding == 0 ? 0 : padding == 1 ? 0x03 : 0x0f;
    if ((base64Value(base64.charAt(length - 1 - padding)) & spareBits) != 0) {
      return null;
    }
    try {
      return Base64.getMimeDecoder().decode(base64.toString());
    } catch (IllegalArgumentException e) {
      return null;
    }
  }
}

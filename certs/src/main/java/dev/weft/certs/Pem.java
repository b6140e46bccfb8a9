package dev.weft.certs;

import java.io.IOException;
import java.io.StringReader;
import java.io.StringWriter;
import java.io.UncheckedIOException;
import java.nio.charset.StandardCharsets;
import java.nio.file.AtomicMoveNotSupportedException;
import java.nio.file.FileSystem;
import java.nio.file.Files;
import java.nio.file.Path;
import java.nio.file.StandardCopyOption;
import java.nio.file.attribute.FileAttribute;
import java.nio.file.attribute.PosixFilePermission;
import java.nio.file.attribute.PosixFilePermissions;
import java.security.PrivateKey;
import java.security.cert.CertificateException;
import java.security.cert.X509Certificate;
import java.util.ArrayList;
import java.util.List;
import java.util.Objects;
import java.util.Set;

import org.bouncycastle.asn1.pkcs.PrivateKeyInfo;
import org.bouncycastle.cert.X509CertificateHolder;
import org.bouncycastle.cert.jcajce.JcaX509CertificateConverter;
import org.bouncycastle.openssl.PEMEncryptedKeyPair;
import org.bouncycastle.openssl.PEMKeyPair;
import org.bouncycastle.openssl.PEMParser;
import org.bouncycastle.openssl.jcajce.JcaPEMKeyConverter;
import org.bouncycastle.pkcs.PKCS10CertificationRequest;
import org.bouncycastle.pkcs.PKCS8EncryptedPrivateKeyInfo;
import org.bouncycastle.util.io.pem.PemObject;
import org.bouncycastle.util.io.pem.PemWriter;

/**
 * Reads and writes PEM: certificates and chains ({@code CERTIFICATE}), private keys (written as
 * PKCS#8 {@code PRIVATE KEY}; PKCS#1 {@code RSA PRIVATE KEY} and SEC 1 {@code EC PRIVATE KEY} are
 * also read, as OpenSSL tools produce them), and certificate signing requests ({@code CERTIFICATE
 * REQUEST}).
 *
 * <p>Private key files are created with POSIX mode {@code 0600} from the start: the key is written
 * to a temporary file created with that mode in the target directory, then moved into place
 * atomically, so no reader ever sees a partly written or world-readable key.
 */
public final class Pem {

  private static final Set<PosixFilePermission> OWNER_ONLY = PosixFilePermissions.fromString("rw-------");
  private static final Set<PosixFilePermission> WORLD_READABLE = PosixFilePermissions.fromString("rw-r--r--");

  private Pem() {}

  /** Returns one PEM {@code CERTIFICATE} block. */
  public static String writeCertificate(X509Certificate certificate) {
    return writeCertificates(List.of(certificate));
  }

  /** Returns concatenated PEM {@code CERTIFICATE} blocks, in list order. */
  public static String writeCertificates(List<X509Certificate> certificates) {
    List<PemObject> objects = new ArrayList<>();
    for (X509Certificate certificate : certificates) {
      try {
        objects.add(new PemObject("CERTIFICATE", certificate.getEncoded()));
      } catch (java.security.cert.CertificateEncodingException e) {
        throw new IllegalArgumentException("cannot encode certificate " + Certificates.describe(certificate), e);
      }
    }
    return write(objects);
  }

  /**
   * Reads every {@code CERTIFICATE} block, in order.
   *
   * @throws PemException if there is no certificate, or a block that is not a certificate
   */
  public static List<X509Certificate> readCertificates(String pem) {
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

  /** Returns the key as a PKCS#8 {@code PRIVATE KEY} block. */
  public static String writePrivateKey(PrivateKey key) {
    Objects.requireNonNull(key, "key");
    byte[] encoded = key.getEncoded();
    if (encoded == null || !"PKCS#8".equals(key.getFormat())) {
      throw new IllegalArgumentException("private key format is " + key.getFormat() + " (expected: PKCS#8)");
    }
    return write(List.of(new PemObject("PRIVATE KEY", encoded)));
  }

  /**
   * Reads one unencrypted private key: PKCS#8 {@code PRIVATE KEY}, {@code EC PRIVATE KEY} or
   * {@code RSA PRIVATE KEY}.
   *
   * @throws PemException if the text does not hold exactly one unencrypted private key
   */
  public static PrivateKey readPrivateKey(String pem) {
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

  /** Returns the request as a {@code CERTIFICATE REQUEST} block. */
  public static String writeCsr(PKCS10CertificationRequest csr) {
    try {
      return write(List.of(new PemObject("CERTIFICATE REQUEST", csr.getEncoded())));
    } catch (IOException e) {
      throw new UncheckedIOException(e);
    }
  }

  /**
   * Reads one PKCS#10 certificate signing request. The signature is not checked here; the CA does.
   *
   * @throws PemException if the text does not hold exactly one CERTIFICATE REQUEST
   */
  public static PKCS10CertificationRequest readCsr(String pem) {
    List<Object> objects = parseAll(pem);
    if (objects.size() != 1 || !(objects.getFirst() instanceof PKCS10CertificationRequest csr)) {
      throw new PemException("found " + (objects.isEmpty() ? "no PEM block" : describeAll(objects))
          + " (expected: exactly one CERTIFICATE REQUEST)");
    }
    return csr;
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
   * existing file atomically. The file never exists with wider permissions, not even briefly.
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

  private static String write(List<PemObject> objects) {
    StringWriter out = new StringWriter();
    try (PemWriter writer = new PemWriter(out)) {
      for (PemObject object : objects) {
        writer.writeObject(object);
      }
    } catch (IOException e) {
      throw new UncheckedIOException(e);
    }
    return out.toString();
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

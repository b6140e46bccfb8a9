package dev.weft.certs;

import java.security.PrivateKey;
import java.security.cert.CertificateEncodingException;
import java.security.cert.X509Certificate;
import java.util.ArrayList;
import java.util.HexFormat;
import java.util.List;
import java.util.function.Supplier;

/**
 * What a PEM read gave, in a form two reads can be compared by: for keys their class, algorithm,
 * format and encoding; for certificates their encodings; for failures the exception's class and
 * message.
 *
 * @param result the description of what was read, or null after a failure
 * @param error the exception's class and message, or null after a success
 */
record ReadOutcome(List<String> result, String error) {

  /** Runs {@code read} and describes what it returned or threw. */
  static ReadOutcome of(Supplier<?> read) {
    Object value;
    try {
      value = read.get();
    } catch (RuntimeException e) {
      return new ReadOutcome(null, e.getClass().getName() + ": " + e.getMessage());
    }
    List<String> description = new ArrayList<>();
    if (value instanceof PrivateKey key) {
      description.add(key.getClass().getName());
      description.add(key.getAlgorithm());
      description.add(key.getFormat());
      description.add(HexFormat.of().formatHex(key.getEncoded()));
    } else if (value instanceof List<?> certificates) {
      for (Object certificate : certificates) {
        try {
          description.add(HexFormat.of().formatHex(((X509Certificate) certificate).getEncoded()));
        } catch (CertificateEncodingException e) {
          throw new IllegalStateException(e);
        }
      }
    } else {
      throw new IllegalArgumentException("cannot describe " + value);
    }
    return new ReadOutcome(List.copyOf(description), null);
  }
}

package dev.weft.certs;

import java.util.Objects;

/**
 * A SPIFFE trust domain name such as {@code cluster.local} or {@code prod.example.org}.
 *
 * <p>Per the SPIFFE ID specification a trust domain is 1 to {@value #MAX_LENGTH} characters of
 * lowercase ASCII letters, digits, {@code .}, {@code -} and {@code _}. Instances are always valid.
 *
 * @param name the trust domain name, for example {@code cluster.local}
 */
public record TrustDomain(String name) implements Comparable<TrustDomain> {

  /** Longest trust domain name the SPIFFE specification allows. */
  public static final int MAX_LENGTH = 255;

  /**
   * Validates the name.
   *
   * @throws InvalidSpiffeIdException if the name is empty, too long or has a disallowed character
   */
  public TrustDomain {
    Objects.requireNonNull(name, "name");
    String problem = problemWith(name, 0);
    if (problem != null) {
      throw new InvalidSpiffeIdException("invalid trust domain \"" + name + "\": " + problem);
    }
  }

  /**
   * Returns the trust domain with the given name.
   *
   * @param name a trust domain name such as {@code cluster.local}
   * @return the trust domain
   * @throws InvalidSpiffeIdException if the name is not a valid trust domain
   */
  public static TrustDomain of(String name) {
    return new TrustDomain(name);
  }

  /** Returns the SPIFFE ID of the trust domain itself, {@code spiffe://<name>} (empty path). */
  public SpiffeId spiffeId() {
    return new SpiffeId(this, "");
  }

  /** Returns the bare name. */
  @Override
  public String toString() {
    return name;
  }

  @Override
  public int compareTo(TrustDomain other) {
    return name.compareTo(other.name);
  }

  /**
   * Returns a description of what is wrong with {@code name}, or null if it is valid; character
   * positions are reported relative to {@code offset}, where the name starts in the text being parsed.
   */
  static String problemWith(String name, int offset) {
    if (name.isEmpty()) {
      return "trust domain is empty (expected: 1-" + MAX_LENGTH + " characters)";
    }
    if (name.length() > MAX_LENGTH) {
      return "trust domain is " + name.length() + " characters long (expected: at most " + MAX_LENGTH + ")";
    }
    for (int i = 0; i < name.length(); i++) {
      char c = name.charAt(i);
      if (!isTrustDomainChar(c)) {
        String what = c == ':' ? " (a port is not allowed)"
            : c == '@' ? " (user info is not allowed)"
            : c >= 'A' && c <= 'Z' ? " (trust domains are lowercase)"
            : "";
        return "trust domain has character " + describe(c) + " at index " + (offset + i) + what
            + " (expected: a-z, 0-9, '.', '-', '_')";
      }
    }
    return null;
  }

  static boolean isTrustDomainChar(char c) {
    return (c >= 'a' && c <= 'z') || (c >= '0' && c <= '9') || c == '.' || c == '-' || c == '_';
  }

  static String describe(char c) {
    return c >= 0x21 && c < 0x7f ? "'" + c + "'" : String.format("U+%04X", (int) c);
  }
}

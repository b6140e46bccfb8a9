package dev.weft.certs;

import java.util.Arrays;

/**
 * A minimal reader of DER (the ASN.1 Distinguished Encoding Rules), enough to pick fields out of
 * PKCS#8 private keys and X.509 SubjectPublicKeyInfo structures with the JDK alone, plus a check
 * that a whole encoding is canonical DER ({@link #isDer(byte[])}).
 *
 * <p>A reader covers a range of an array and is consumed front to back; reading an element returns
 * a reader over its contents. Only what DER allows is read: one-byte tags and definite lengths in
 * their shortest form. Every problem, truncation included, is reported as a checked
 * {@link MalformedException}, never as an unchecked exception, so callers can fall back to a
 * complete parser.
 */
final class Der {

  static final int BOOLEAN = 0x01;
  static final int INTEGER = 0x02;
  static final int BIT_STRING = 0x03;
  static final int OCTET_STRING = 0x04;
  static final int NULL = 0x05;
  static final int OBJECT_IDENTIFIER = 0x06;
  static final int ENUMERATED = 0x0a;
  static final int SEQUENCE = 0x30;
  static final int SET = 0x31;

  private static final int CONSTRUCTED = 0x20;
  private static final int CLASS_MASK = 0xc0;
  private static final int NUMBER_MASK = 0x1f;
  private static final int MAX_DEPTH = 32;

  private final byte[] data;
  private final int end;
  private int position;

  private Der(byte[] data, int start, int end) {
    this.data = data;
    this.position = start;
    this.end = end;
  }

  /** Returns a reader over all of {@code data}; the array is read in place, not copied. */
  static Der of(byte[] data) {
    return new Der(data, 0, data.length);
  }

  /** Returns true if elements remain before the end of this reader's range. */
  boolean hasMore() {
    return position < end;
  }

  /**
   * Returns the tag of the next element without consuming it.
   *
   * @throws MalformedException if no element remains or the tag takes more than one byte
   */
  int peekTag() throws MalformedException {
    if (position >= end) {
      throw new MalformedException("no element at offset " + position);
    }
    int tag = data[position] & 0xff;
    if ((tag & NUMBER_MASK) == NUMBER_MASK) {
      throw new MalformedException("multi-byte tag at offset " + position);
    }
    return tag;
  }

  /**
   * Reads the next element, which must have tag {@code tag}, and returns a reader over its contents.
   *
   * @throws MalformedException if the tag differs or the element is truncated or not DER
   */
  Der read(int tag) throws MalformedException {
    int actual = peekTag();
    if (actual != tag) {
      throw new MalformedException("tag 0x" + Integer.toHexString(actual) + " at offset " + position
          + " (expected: 0x" + Integer.toHexString(tag) + ")");
    }
    return next();
  }

  /** Skips the next element, whatever its tag. */
  void skip() throws MalformedException {
    peekTag();
    next();
  }

  /** Checks that nothing follows the elements read so far. */
  void expectEnd() throws MalformedException {
    if (position != end) {
      throw new MalformedException((end - position) + " unexpected byte(s) at offset " + position);
    }
  }

  /** Returns a copy of the unread rest of this reader's range; for a primitive element, its value. */
  byte[] remaining() {
    return Arrays.copyOfRange(data, position, end);
  }

  /** Reads an INTEGER that fits in an {@code int}. */
  int readSmallInteger() throws MalformedException {
    Der contents = read(INTEGER);
    int length = contents.end - contents.position;
    if (length < 1 || length > 4 || !contents.isMinimalInteger()) {
      throw new MalformedException("INTEGER of " + length + " byte(s) at offset " + contents.position
          + " (expected: a minimal encoding of at most 4 bytes)");
    }
    int value = data[contents.position];
    for (int i = contents.position + 1; i < contents.end; i++) {
      value = (value << 8) | (data[i] & 0xff);
    }
    return value;
  }

  /** Reads an OBJECT IDENTIFIER and returns it in dotted form, e.g. {@code 1.2.840.10045.2.1}. */
  String readObjectIdentifier() throws MalformedException {
    Der contents = read(OBJECT_IDENTIFIER);
    contents.checkObjectIdentifier();
    StringBuilder dotted = new StringBuilder();
    long value = 0;
    for (int i = contents.position; i < contents.end; i++) {
      if (value > (Long.MAX_VALUE >>> 7)) {
        throw new MalformedException("OBJECT IDENTIFIER arc too large at offset " + i);
      }
      value = (value << 7) | (data[i] & 0x7f);
      if ((data[i] & 0x80) == 0) {
        if (dotted.isEmpty()) {
          int first = value < 40 ? 0 : value < 80 ? 1 : 2;
          dotted.append(first).append('.').append(value - 40L * first);
        } else {
          dotted.append('.').append(value);
        }
        value = 0;
      }
    }
    return dotted.toString();
  }

  /** Reads a BIT STRING with no unused bits and returns its bytes (after the unused-bits count). */
  byte[] readBitString() throws MalformedException {
    Der contents = read(BIT_STRING);
    if (!contents.hasMore() || data[contents.position] != 0) {
      throw new MalformedException("BIT STRING at offset " + contents.position + " (expected: whole bytes)");
    }
    contents.position++;
    return contents.remaining();
  }

  /**
   * Returns true if {@code encoding} is exactly one element in canonical DER: definite lengths in
   * their shortest form, one-byte tags, universal types in the form DER prescribes (only SEQUENCE
   * and SET constructed), canonical BOOLEAN, INTEGER, ENUMERATED, BIT STRING, NULL and OBJECT
   * IDENTIFIER values, SET elements in DER order, at most 32 levels of nesting, and nothing after
   * the element. A parser that re-encodes what it read therefore gives back the same bytes.
   */
  static boolean isDer(byte[] encoding) {
    try {
      Der reader = of(encoding);
      reader.checkElement(0);
      reader.expectEnd();
      return true;
    } catch (MalformedException e) {
      return false;
    }
  }

  private void checkElement(int depth) throws MalformedException {
    int tag = peekTag();
    int start = position;
    Der contents = next();
    boolean constructed = (tag & CONSTRUCTED) != 0;
    if ((tag & CLASS_MASK) == 0) {
      int number = tag & NUMBER_MASK;
      boolean collection = number == (SEQUENCE & NUMBER_MASK) || number == (SET & NUMBER_MASK);
      if (number == 0 || collection != constructed) {
        throw new MalformedException("universal tag 0x" + Integer.toHexString(tag) + " at offset " + start
            + " is not in its DER form");
      }
      contents.checkUniversalValue(tag);
    }
    if (!constructed) {
      return;
    }
    if (depth >= MAX_DEPTH) {
      throw new MalformedException("nesting deeper than " + MAX_DEPTH + " at offset " + start);
    }
    int previousStart = -1;
    int previousEnd = -1;
    while (contents.hasMore()) {
      int elementStart = contents.position;
      contents.checkElement(depth + 1);
      if (tag == SET && previousStart >= 0
          && compare(previousStart, previousEnd, elementStart, contents.position) > 0) {
        throw new MalformedException("SET elements out of DER order at offset " + elementStart);
      }
      previousStart = elementStart;
      previousEnd = contents.position;
    }
  }

  private void checkUniversalValue(int tag) throws MalformedException {
    int length = end - position;
    boolean canonical = switch (tag) {
      case BOOLEAN -> length == 1 && (data[position] == 0 || data[position] == (byte) 0xff);
      case INTEGER, ENUMERATED -> isMinimalInteger();
      case BIT_STRING -> isCanonicalBitString();
      case NULL -> length == 0;
      case OBJECT_IDENTIFIER -> {
        checkObjectIdentifier();
        yield true;
      }
      default -> true;
    };
    if (!canonical) {
      throw new MalformedException("value of universal tag 0x" + Integer.toHexString(tag) + " at offset "
          + position + " is not canonical");
    }
  }

  private boolean isMinimalInteger() {
    int length = end - position;
    if (length < 1) {
      return false;
    }
    if (length == 1) {
      return true;
    }
    int first = data[position];
    boolean secondHighBit = (data[position + 1] & 0x80) != 0;
    return !(first == 0 && !secondHighBit) && !(first == -1 && secondHighBit);
  }

  private boolean isCanonicalBitString() {
    int length = end - position;
    if (length < 1) {
      return false;
    }
    int unused = data[position] & 0xff;
    if (unused > 7 || (length == 1 && unused != 0)) {
      return false;
    }
    return unused == 0 || (data[end - 1] & ((1 << unused) - 1)) == 0;
  }

  private void checkObjectIdentifier() throws MalformedException {
    if (position >= end || (data[end - 1] & 0x80) != 0) {
      throw new MalformedException("OBJECT IDENTIFIER at offset " + position + " is empty or truncated");
    }
    boolean arcStart = true;
    for (int i = position; i < end; i++) {
      if (arcStart && data[i] == (byte) 0x80) {
        throw new MalformedException("OBJECT IDENTIFIER arc with a leading zero at offset " + i);
      }
      arcStart = (data[i] & 0x80) == 0;
    }
  }

  /** Reads the tag and length at the current position and returns a reader over the contents. */
  private Der next() throws MalformedException {
    int at = position + 1;
    if (at >= end) {
      throw new MalformedException("length missing at offset " + at);
    }
    int first = data[at++] & 0xff;
    long length;
    if (first < 0x80) {
      length = first;
    } else {
      int count = first & 0x7f;
      if (count == 0) {
        throw new MalformedException("indefinite length at offset " + (at - 1) + " (expected: DER)");
      }
      if (count > 4 || end - at < count) {
        throw new MalformedException("length of " + count + " byte(s) at offset " + (at - 1) + " is truncated or too long");
      }
      if (data[at] == 0) {
        throw new MalformedException("length with a leading zero at offset " + at);
      }
      length = 0;
      for (int i = 0; i < count; i++) {
        length = (length << 8) | (data[at++] & 0xff);
      }
      if (length < 0x80) {
        throw new MalformedException("long-form length " + length + " at offset " + (at - count - 1)
            + " (expected: short form)");
      }
    }
    if (length > end - at) {
      throw new MalformedException("element at offset " + position + " needs " + length + " byte(s), "
          + (end - at) + " left");
    }
    Der contents = new Der(data, at, at + (int) length);
    position = at + (int) length;
    return contents;
  }

  /** Compares two ranges of {@code data} as DER orders SET elements: bytewise, unsigned, a prefix first. */
  private int compare(int aStart, int aEnd, int bStart, int bEnd) {
    return Arrays.compareUnsigned(data, aStart, aEnd, data, bStart, bEnd);
  }

  /** The encoding is not DER this reader can read; the caller falls back to a complete parser. */
  static final class MalformedException extends Exception {

    private static final long serialVersionUID = 1L;

    MalformedException(String message) {
      // No stack trace: this is an expected outcome on the fallback path, not a bug.
      super(message, null, false, false);
    }
  }
}

package dev.weft.proxy.lb;

/**
 * xxHash64 (XXH64), the hash Envoy uses for hash policies, ring entries and Maglev permutations,
 * so that a key lands where an Envoy sidecar would put it. {@link #hash(CharSequence, long)} hashes
 * the low byte of each char, which is exact for HTTP header values (ISO-8859-1) and addresses,
 * and allocates nothing.
 */
public final class XxHash64 {
  private static final long P1 = 0x9E3779B185EBCA87L;
  private static final long P2 = 0xC2B2AE3D27D4EB4FL;
  private static final long P3 = 0x165667B19E3779F9L;
  private static final long P4 = 0x85EBCA77C2B2AE63L;
  private static final long P5 = 0x27D4EB2F165667C5L;

  private XxHash64() {}

  /** XXH64 of the bytes of {@code s} (one byte per char) with {@code seed}. */
  public static long hash(CharSequence s, long seed) {
    return hash(s, 0, s.length(), seed);
  }

  /** XXH64 of chars {@code from} (inclusive) to {@code to} (exclusive) of {@code s}, one byte each. */
  public static long hash(CharSequence s, int from, int to, long seed) {
    int len = to - from;
    int i = from;
    long h;
    if (len >= 32) {
      long v1 = seed + P1 + P2;
      long v2 = seed + P2;
      long v3 = seed;
      long v4 = seed - P1;
      int limit = to - 32;
      do {
        v1 = round(v1, long8(s, i));
        v2 = round(v2, long8(s, i + 8));
        v3 = round(v3, long8(s, i + 16));
        v4 = round(v4, long8(s, i + 24));
        i += 32;
      } while (i <= limit);
      h = Long.rotateLeft(v1, 1) + Long.rotateLeft(v2, 7) + Long.rotateLeft(v3, 12) + Long.rotateLeft(v4, 18);
      h = merge(h, v1);
      h = merge(h, v2);
      h = merge(h, v3);
      h = merge(h, v4);
    } else {
      h = seed + P5;
    }
    h += len;
    while (i + 8 <= to) {
      h ^= round(0, long8(s, i));
      h = Long.rotateLeft(h, 27) * P1 + P4;
      i += 8;
    }
    if (i + 4 <= to) {
      h ^= (int4(s, i) & 0xFFFFFFFFL) * P1;
      h = Long.rotateLeft(h, 23) * P2 + P3;
      i += 4;
    }
    while (i < to) {
      h ^= (s.charAt(i) & 0xFF) * P5;
      h = Long.rotateLeft(h, 11) * P1;
      i++;
    }
    h ^= h >>> 33;
    h *= P2;
    h ^= h >>> 29;
    h *= P3;
    h ^= h >>> 32;
    return h;
  }

  /** XXH64 with seed 0. */
  public static long hash(CharSequence s) {
    return hash(s, 0);
  }

  private static long round(long acc, long input) {
    acc += input * P2;
    acc = Long.rotateLeft(acc, 31);
    return acc * P1;
  }

  private static long merge(long acc, long v) {
    acc ^= round(0, v);
    return acc * P1 + P4;
  }

  private static long long8(CharSequence s, int i) {
    return (int4(s, i) & 0xFFFFFFFFL) | ((long) int4(s, i + 4) << 32);
  }

  private static int int4(CharSequence s, int i) {
    return (s.charAt(i) & 0xFF) | (s.charAt(i + 1) & 0xFF) << 8 | (s.charAt(i + 2) & 0xFF) << 16
        | (s.charAt(i + 3) & 0xFF) << 24;
  }
}

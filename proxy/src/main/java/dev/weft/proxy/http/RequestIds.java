package dev.weft.proxy.http;

import java.util.UUID;
import java.util.concurrent.ThreadLocalRandom;

/** Version-4 UUIDs for {@code x-request-id}, from a thread-local generator (no lock, no SecureRandom). */
final class RequestIds {
  private RequestIds() {}

  static String next() {
    ThreadLocalRandom r = ThreadLocalRandom.current();
    long msb = (r.nextLong() & ~0xF000L) | 0x4000L;
    long lsb = (r.nextLong() & ~(0xC000_0000_0000_0000L)) | 0x8000_0000_0000_0000L;
    return new UUID(msb, lsb).toString();
  }
}

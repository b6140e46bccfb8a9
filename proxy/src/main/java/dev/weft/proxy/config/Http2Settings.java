package dev.weft.proxy.config;

/**
 * HTTP/2 protocol settings for a server or client connection.
 *
 * @param maxConcurrentStreams       SETTINGS_MAX_CONCURRENT_STREAMS we advertise or honour
 * @param initialStreamWindowSize    SETTINGS_INITIAL_WINDOW_SIZE
 * @param initialConnectionWindowSize the connection-level window we grow to
 */
public record Http2Settings(long maxConcurrentStreams, int initialStreamWindowSize, int initialConnectionWindowSize) {
  /** Envoy's defaults. */
  public static final Http2Settings DEFAULTS = new Http2Settings(2147483647L, 268435456, 268435456);
}

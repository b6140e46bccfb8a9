package dev.weft.proxy.config;

/**
 * HTTP/2 protocol settings for a server or client connection.
 *
 * @param maxConcurrentStreams       SETTINGS_MAX_CONCURRENT_STREAMS we advertise or honour
 * @param initialStreamWindowSize    SETTINGS_INITIAL_WINDOW_SIZE
 * @param initialConnectionWindowSize the connection-level window we grow to
 */
public record Http2Settings(long maxConcurrentStreams, int initialStreamWindowSize, int initialConnectionWindowSize) {
  /**
   * Weft's defaults: Envoy's stream limit, but 1 MiB stream and 4 MiB connection windows
   * instead of Envoy's 256 MiB, so a peer can never push more into a small sidecar heap than
   * the windows allow while the other side is not reading.
   */
  public static final Http2Settings DEFAULTS = new Http2Settings(2147483647L, 1024 * 1024, 4 * 1024 * 1024);
}

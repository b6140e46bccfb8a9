package dev.weft.proxy.config;

import java.time.Duration;
import java.util.List;

/**
 * A listener: a bound address and the filter chains that handle its connections.
 *
 * @param name                 listener name, used in metrics
 * @param address              where to bind
 * @param filterChains         chains tried in order by {@link FilterChainMatch}
 * @param defaultFilterChain   chain used when none matches, or {@code null}
 * @param inspectHttp          whether the HTTP inspector listener filter runs (sniffs the
 *                             application protocol so chains can match on it)
 * @param inspectTls           whether the TLS inspector listener filter runs (tells TLS from
 *                             plaintext so chains can match on the transport protocol)
 * @param inspectTimeout       how long protocol sniffing may wait for the first bytes
 * @param continueOnInspectTimeout pick a chain without the protocol when sniffing times out
 * @param bufferLimitBytes     per-connection buffer limit (write high-water mark)
 */
public record ListenerConfig(
    String name,
    SocketAddressConfig address,
    List<FilterChainConfig> filterChains,
    FilterChainConfig defaultFilterChain,
    boolean inspectHttp,
    boolean inspectTls,
    Duration inspectTimeout,
    boolean continueOnInspectTimeout,
    int bufferLimitBytes) {

  public ListenerConfig {
    filterChains = List.copyOf(filterChains);
  }

  /**
   * The chain for a connection, or {@code null} when none applies.
   *
   * @param destinationPort the local port of the accepted connection
   * @param transport       "tls" or "raw_buffer" (plaintext when not inspected)
   * @param appProtocol     the sniffed application protocol ("http/1.1", "http/1.0", "h2c"), or
   *                        {@code null} when not sniffed or not HTTP
   */
  public FilterChainConfig selectChain(int destinationPort, String transport, String appProtocol) {
    FilterChainConfig best = null;
    int bestScore = -1;
    for (FilterChainConfig chain : filterChains) {
      int score = chain.match().score(destinationPort, transport, appProtocol);
      if (score > bestScore) {
        best = chain;
        bestScore = score;
      }
    }
    return best != null ? best : defaultFilterChain;
  }
}

package dev.weft.proxy.config;

import java.util.Set;

/**
 * The subset of Envoy's {@code FilterChainMatch} that Weft supports.
 *
 * @param destinationPort      port the connection was accepted on (or its original
 *                             destination), or 0 for any
 * @param applicationProtocols sniffed protocols this chain takes; empty for any
 * @param transportProtocol    "tls" or "raw_buffer" as the TLS inspector reports it; empty for any
 */
public record FilterChainMatch(int destinationPort, Set<String> applicationProtocols, String transportProtocol) {

  public static final FilterChainMatch ANY = new FilterChainMatch(0, Set.of(), "");

  public FilterChainMatch {
    applicationProtocols = Set.copyOf(applicationProtocols);
  }

  /**
   * How specifically this match applies; -1 when it does not. Following Envoy, the most
   * specific criteria win: a matching destination port outranks a matching transport protocol, which outranks an
   * application protocol.
   */
  int score(int port, String transport, String appProtocol) {
    int score = 0;
    if (destinationPort != 0) {
      if (destinationPort != port) {
        return -1;
      }
      score += 4;
    }
    if (!transportProtocol.isEmpty()) {
      if (!transportProtocol.equals(transport)) {
        return -1;
      }
      score += 2;
    }
    if (!applicationProtocols.isEmpty()) {
      if (appProtocol == null || !applicationProtocols.contains(appProtocol)) {
        return -1;
      }
      score += 1;
    }
    return score;
  }
}

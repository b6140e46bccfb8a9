/**
 * JMH microbenchmarks of the proxy's hot pieces: route matching, the round-robin pick, HTTP/1.1
 * and HPACK header coding, and the TLS record write path. Run with {@code ./weft bench jmh [filter]}.
 */
package dev.weft.perf.jmh;

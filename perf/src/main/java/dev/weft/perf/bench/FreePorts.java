package dev.weft.perf.bench;

import java.io.IOException;
import java.io.UncheckedIOException;
import java.net.InetAddress;
import java.net.ServerSocket;

/**
 * Free loopback ports for proxies that must be told their ports in advance (HAProxy and nginx
 * cannot report a port-0 bind; a Weft pair needs the inbound sidecar's port in the outbound
 * sidecar's bootstrap). The port is free when returned; another process could take it before
 * the proxy binds, which then fails to start and is reported.
 */
final class FreePorts {
  private FreePorts() {}

  static int next() {
    try (ServerSocket s = new ServerSocket(0, 1, InetAddress.getLoopbackAddress())) {
      s.setReuseAddress(true);
      return s.getLocalPort();
    } catch (IOException e) {
      throw new UncheckedIOException("no free loopback port: " + e.getMessage(), e);
    }
  }
}

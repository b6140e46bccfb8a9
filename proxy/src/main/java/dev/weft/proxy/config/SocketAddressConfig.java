package dev.weft.proxy.config;

/** A host (IP literal or name) and TCP port. Port 0 means "any free port" (tests). */
public record SocketAddressConfig(String host, int port) {
  @Override
  public String toString() {
    return host.indexOf(':') >= 0 ? "[" + host + "]:" + port : host + ":" + port;
  }
}

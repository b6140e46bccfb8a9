package dev.weft.proxy.upstream;

import dev.weft.proxy.config.EndpointConfig;
import java.net.InetAddress;
import java.net.InetSocketAddress;
import java.util.concurrent.atomic.AtomicLong;
import java.util.concurrent.atomic.LongAdder;

/** One endpoint of a cluster at run time, with the counters {@code /clusters} shows. */
public final class EndpointState {
  final EndpointConfig config;
  final InetSocketAddress socketAddress;
  public final AtomicLong activeRequests = new AtomicLong();
  public final LongAdder totalRequests = new LongAdder();
  public final AtomicLong activeConnections = new AtomicLong();
  public final LongAdder connectFailures = new LongAdder();

  EndpointState(EndpointConfig config) {
    this.config = config;
    this.socketAddress = new InetSocketAddress(InetAddress.ofLiteral(config.address().host()), config.address().port());
  }

  public EndpointConfig config() {
    return config;
  }

  @Override
  public String toString() {
    return config.address().toString();
  }
}

package dev.weft.proxy.upstream;

import io.netty.channel.Channel;

/**
 * The right to send one request on an upstream connection (HTTP/1.1) or stream (HTTP/2).
 * Write the request's {@code HttpObject}s to {@link #channel()}; give it back with
 * {@link #release(boolean)} exactly once.
 */
public abstract class UpstreamLease {
  final ClusterRuntime cluster;
  final Channel channel;
  final EndpointState endpoint;
  final UpstreamHandler handler;
  private boolean released;

  UpstreamLease(ClusterRuntime cluster, Channel channel, EndpointState endpoint, UpstreamHandler handler) {
    this.cluster = cluster;
    this.channel = channel;
    this.endpoint = endpoint;
    this.handler = handler;
  }

  public Channel channel() {
    return channel;
  }

  public EndpointState endpoint() {
    return endpoint;
  }

  /** Whether the lease speaks HTTP/2 upstream. */
  public abstract boolean http2();

  public void attach(UpstreamListener listener) {
    handler.listener = listener;
  }

  /**
   * Ends the lease.
   *
   * @param reusable the exchange ended cleanly (request and response complete, keep-alive), so
   *                 an HTTP/1.1 connection may serve another request; otherwise it is closed
   *                 and an HTTP/2 stream is reset
   */
  public final void release(boolean reusable) {
    if (released) {
      return;
    }
    released = true;
    handler.listener = null;
    cluster.requestEnded(endpoint);
    doRelease(reusable);
  }

  abstract void doRelease(boolean reusable);

  /**
   * Ends the lease and hands over the raw connection, with its HTTP handlers removed, for use
   * as a tunnel (after a 101 Switching Protocols). Only for dedicated HTTP/1.1 connections.
   */
  public final Channel detachForTunnel() {
    released = true;
    handler.listener = null;
    cluster.requestEnded(endpoint);
    var p = channel.pipeline();
    p.remove(handler);
    if (p.get("idle") != null) {
      p.remove("idle");
    }
    return channel;
  }
}

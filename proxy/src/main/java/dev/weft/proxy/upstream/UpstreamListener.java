package dev.weft.proxy.upstream;

import io.netty.handler.codec.http.HttpObject;

/** Receives what happens on a leased upstream connection or stream while a request uses it. */
public interface UpstreamListener {
  /** A response object; ownership passes to the listener. */
  void onUpstreamRead(HttpObject msg);

  void onUpstreamReadComplete();

  void onUpstreamWritabilityChanged(boolean writable);

  /** The connection or stream closed or failed before the listener let go of it. */
  void onUpstreamClosed(Throwable cause);

  /** The peer reset the HTTP/2 stream with {@code errorCode} (before {@link #onUpstreamClosed}). */
  default void onUpstreamReset(long errorCode) {
  }
}

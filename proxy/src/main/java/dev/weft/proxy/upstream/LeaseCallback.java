package dev.weft.proxy.upstream;

import dev.weft.proxy.http.ProxyError;

/** Completion of {@link ClusterRuntime#acquire}; always called on the requesting event loop. */
public interface LeaseCallback {
  void onLease(UpstreamLease lease);

  void onLeaseFailure(ProxyError error);
}

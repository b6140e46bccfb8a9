/**
 * Upstream clusters at run time: endpoints, per-event-loop connection pools for HTTP/1.1
 * (reuse) and HTTP/2 (multiplexed streams), and leases that carry one request each. Runtime
 * objects are keyed by cluster name and outlive config snapshots.
 */
package dev.weft.proxy.upstream;

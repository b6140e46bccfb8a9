package dev.weft.controlplane.xds;

import io.envoyproxy.envoy.config.core.v3.Node;

/**
 * What happens on the ADS streams, for status reporting, metrics and tests. Called on gRPC threads:
 * implementations must be quick and must not block.
 */
public interface XdsEventListener {

  /** A stream's first request arrived, from {@code node}. */
  default void onStreamOpened(Node node, boolean delta) {}

  /** The last stream of a node closed. */
  default void onStreamClosed(String nodeId) {}

  /** {@code nodeId} accepted {@code version} of {@code typeUrl}. */
  default void onAck(String nodeId, String typeUrl, String version) {}

  /** {@code nodeId} rejected {@code version} of {@code typeUrl} with {@code message} (its {@code error_detail}). */
  default void onNack(String nodeId, String typeUrl, String version, String message) {}
}

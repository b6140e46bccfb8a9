package dev.weft.proxy.xds;

import com.google.protobuf.Message;
import io.envoyproxy.envoy.config.cluster.v3.Cluster;
import io.envoyproxy.envoy.config.endpoint.v3.ClusterLoadAssignment;
import io.envoyproxy.envoy.config.listener.v3.Listener;
import io.envoyproxy.envoy.config.route.v3.RouteConfiguration;

/**
 * The xDS resource types Weft subscribes to, in the order Envoy sends its first requests
 * (clusters and their endpoints before the listeners and routes that use them).
 */
public enum ResourceType {
  CDS("type.googleapis.com/envoy.config.cluster.v3.Cluster", Cluster.getDefaultInstance(), true),
  EDS("type.googleapis.com/envoy.config.endpoint.v3.ClusterLoadAssignment",
      ClusterLoadAssignment.getDefaultInstance(), false),
  LDS("type.googleapis.com/envoy.config.listener.v3.Listener", Listener.getDefaultInstance(), true),
  RDS("type.googleapis.com/envoy.config.route.v3.RouteConfiguration", RouteConfiguration.getDefaultInstance(),
      false);

  private final String typeUrl;
  private final Message prototype;
  private final boolean wildcard;

  ResourceType(String typeUrl, Message prototype, boolean wildcard) {
    this.typeUrl = typeUrl;
    this.prototype = prototype;
    this.wildcard = wildcard;
  }

  public String typeUrl() {
    return typeUrl;
  }

  public Message prototype() {
    return prototype;
  }

  /** LDS and CDS subscribe to everything the server has for the node; RDS and EDS name what they want. */
  public boolean wildcard() {
    return wildcard;
  }

  /** lds, rds, cds or eds (metric label). */
  public String label() {
    return name().toLowerCase(java.util.Locale.ROOT);
  }

  public static ResourceType of(String typeUrl) {
    for (ResourceType t : values()) {
      if (t.typeUrl.equals(typeUrl)) {
        return t;
      }
    }
    return null;
  }

  /** A resource's name: Listener, RouteConfiguration and Cluster {@code name}, CLA {@code cluster_name}. */
  public static String nameOf(Message m) {
    return switch (m) {
      case Listener l -> l.getName();
      case RouteConfiguration r -> r.getName();
      case Cluster c -> c.getName();
      case ClusterLoadAssignment a -> a.getClusterName();
      default -> "";
    };
  }
}

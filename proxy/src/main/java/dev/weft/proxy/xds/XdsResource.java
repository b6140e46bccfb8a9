package dev.weft.proxy.xds;

import com.google.protobuf.Message;
import java.time.Instant;

/**
 * An accepted xDS resource: the proto as received, its version and its translation.
 *
 * @param version the resource's version (delta), or the response's version_info (state of the world)
 * @param value   the translated config (ListenerConfig, RouteTable, ClusterConfig without EDS
 *                endpoints, or the validated ClusterLoadAssignment)
 */
public record XdsResource(String name, String version, Message proto, Object value, Instant updated) {}

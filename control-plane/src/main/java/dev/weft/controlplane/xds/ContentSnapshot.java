package dev.weft.controlplane.xds;

import com.google.protobuf.CodedOutputStream;
import com.google.protobuf.Message;
import dev.weft.controlplane.translate.XdsResources;
import io.envoyproxy.controlplane.cache.Resources;
import io.envoyproxy.controlplane.cache.SnapshotResources;
import io.envoyproxy.controlplane.cache.VersionedResource;
import io.envoyproxy.controlplane.cache.v3.Snapshot;
import io.envoyproxy.envoy.config.cluster.v3.Cluster;
import io.envoyproxy.envoy.config.endpoint.v3.ClusterLoadAssignment;
import io.envoyproxy.envoy.config.listener.v3.Listener;
import io.envoyproxy.envoy.config.route.v3.RouteConfiguration;
import io.envoyproxy.envoy.extensions.transport_sockets.tls.v3.Secret;
import java.io.ByteArrayOutputStream;
import java.io.IOException;
import java.io.UncheckedIOException;
import java.nio.charset.StandardCharsets;
import java.security.MessageDigest;
import java.security.NoSuchAlgorithmException;
import java.util.ArrayList;
import java.util.Collection;
import java.util.HexFormat;
import java.util.List;
import java.util.Map;
import java.util.TreeMap;
import java.util.TreeSet;

/**
 * A java-control-plane {@link Snapshot} whose versions are content hashes, stable across
 * control-plane restarts.
 *
 * <p>Every resource's version is the SHA-256 of its deterministic protobuf encoding (the delta
 * protocol's per-resource version). The version of a set of resources — what a state-of-the-world
 * response carries — is the hash of the names and versions of exactly the resources requested
 * (all of them for a wildcard request), so a client is pushed a new version only when something it
 * asked for changed. Nothing here depends on time or on JVM identity hash codes (the library's
 * default per-resource version uses {@code hashCode()}, which differs from one JVM to the next).
 */
public final class ContentSnapshot extends Snapshot {

  private final SnapshotResources<Cluster> clusters;
  private final SnapshotResources<ClusterLoadAssignment> endpoints;
  private final SnapshotResources<Listener> listeners;
  private final SnapshotResources<RouteConfiguration> routes;
  private final SnapshotResources<Secret> secrets;
  private final String version;

  private ContentSnapshot(XdsResources resources) {
    this.clusters = versioned(resources.clusters());
    this.endpoints = versioned(resources.endpoints());
    this.listeners = versioned(resources.listeners());
    this.routes = versioned(resources.routes());
    this.secrets = versioned(List.<Secret>of());
    this.version = hashOf(List.of(
        listeners.version(), routes.version(), clusters.version(), endpoints.version()));
  }

  /** Builds the snapshot of one node's resources. */
  public static ContentSnapshot of(XdsResources resources) {
    return new ContentSnapshot(resources);
  }

  /** A hash over every resource of every type: equal for equal content, whatever the order. */
  public String contentVersion() {
    return version;
  }

  @Override
  public SnapshotResources<Cluster> clusters() {
    return clusters;
  }

  @Override
  public SnapshotResources<ClusterLoadAssignment> endpoints() {
    return endpoints;
  }

  @Override
  public SnapshotResources<Listener> listeners() {
    return listeners;
  }

  @Override
  public SnapshotResources<RouteConfiguration> routes() {
    return routes;
  }

  @Override
  public SnapshotResources<Secret> secrets() {
    return secrets;
  }

  @Override
  public String toString() {
    return "ContentSnapshot[" + version + ": " + listeners.resources().size() + " listeners, "
        + routes.resources().size() + " routes, " + clusters.resources().size() + " clusters, "
        + endpoints.resources().size() + " endpoint sets]";
  }

  private static <T extends Message> SnapshotResources<T> versioned(Collection<T> resources) {
    List<VersionedResource<T>> versioned = new ArrayList<>(resources.size());
    Map<String, String> byName = new TreeMap<>();
    for (T resource : resources) {
      String resourceVersion = hashOf(resource);
      versioned.add(VersionedResource.create(resource, resourceVersion));
      byName.put(Resources.getResourceName(resource), resourceVersion);
    }
    return SnapshotResources.create(versioned, names -> versionOf(byName, names));
  }

  /** The version of the named resources (all when {@code names} is empty): a hash of their names and versions. */
  private static String versionOf(Map<String, String> byName, List<String> names) {
    List<String> parts = new ArrayList<>();
    if (names.isEmpty()) {
      byName.forEach((name, v) -> parts.add(name + "=" + v));
    } else {
      for (String name : new TreeSet<>(names)) {
        String v = byName.get(name);
        if (v != null) {
          parts.add(name + "=" + v);
        }
      }
    }
    return hashOf(parts);
  }

  private static String hashOf(List<String> parts) {
    MessageDigest digest = sha256();
    for (String part : parts) {
      digest.update(part.getBytes(StandardCharsets.UTF_8));
      digest.update((byte) '\n');
    }
    return HexFormat.of().formatHex(digest.digest(), 0, 8);
  }

  private static String hashOf(Message resource) {
    try {
      ByteArrayOutputStream bytes = new ByteArrayOutputStream(resource.getSerializedSize());
      CodedOutputStream out = CodedOutputStream.newInstance(bytes);
      out.useDeterministicSerialization();
      resource.writeTo(out);
      out.flush();
      return HexFormat.of().formatHex(sha256().digest(bytes.toByteArray()), 0, 8);
    } catch (IOException e) {
      throw new UncheckedIOException(e);
    }
  }

  private static MessageDigest sha256() {
    try {
      return MessageDigest.getInstance("SHA-256");
    } catch (NoSuchAlgorithmException e) {
      throw new IllegalStateException(e);
    }
  }
}

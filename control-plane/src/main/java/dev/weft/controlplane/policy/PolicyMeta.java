package dev.weft.controlplane.policy;

import java.util.Map;

/**
 * Where a policy came from: its identity ({@code Kind/namespace/name}), its source (file name or
 * {@code Kind/namespace/name} for a custom resource) and the line and column of every field path,
 * so that checks made later (against the registry, or by the proxy's validator) still point at the
 * line a person wrote.
 *
 * @param kind      the document's kind
 * @param namespace its namespace ({@code default} when a file leaves it out)
 * @param name      its name
 * @param source    file name, or {@code Kind/namespace/name}
 * @param positions field path to position
 */
public record PolicyMeta(String kind, String namespace, String name, String source, Map<String, Position> positions) {

  /** A 1-based line and column. */
  public record Position(int line, int column) {
    public static final Position UNKNOWN = new Position(0, 0);
  }

  public PolicyMeta {
    positions = Map.copyOf(positions);
  }

  /** {@code Kind/namespace/name}, the name a status is written on. */
  public String resource() {
    return kind + "/" + namespace + "/" + name;
  }

  /** The position of {@code path}, or of its nearest parent that has one. */
  public Position position(String path) {
    String p = path;
    while (true) {
      Position pos = positions.get(p);
      if (pos != null) {
        return pos;
      }
      int cut = Math.max(p.lastIndexOf('.'), p.lastIndexOf('['));
      if (cut <= 0) {
        return positions.getOrDefault("", Position.UNKNOWN);
      }
      p = p.substring(0, cut);
    }
  }

  /** An error on {@code path} of this policy. */
  public PolicyError error(String path, String message) {
    Position pos = position(path);
    return new PolicyError(source, pos.line(), pos.column(), resource(), path, message);
  }
}

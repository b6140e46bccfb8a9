package dev.weft.proxy.bootstrap;

/**
 * One configuration problem.
 *
 * @param location "file:line:column" when known, else {@code null}
 * @param path     the field path, e.g. {@code static_resources.clusters[0].connect_timeout}
 * @param message  what is wrong: the value and what was expected
 */
public record ConfigError(String location, String path, String message) {
  @Override
  public String toString() {
    StringBuilder sb = new StringBuilder();
    if (location != null) {
      sb.append(location).append(": ");
    }
    if (path != null && !path.isEmpty()) {
      sb.append(path).append(": ");
    }
    return sb.append(message).toString();
  }
}

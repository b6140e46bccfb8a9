package dev.weft.controlplane.policy;

/**
 * One problem found in a policy document, formatted as
 * {@code file:line:column: field.path: value (expected: ...)}.
 *
 * @param source   file name, or {@code kind/namespace/name} for a custom resource
 * @param line     1-based line, 0 when unknown
 * @param column   1-based column, 0 when unknown
 * @param resource the policy it belongs to, as {@code Kind/namespace/name} (empty when unknown)
 * @param path     the field path, e.g. {@code spec.routes[0].retries.attempts}
 * @param message  what is wrong, with the value and what was expected
 */
public record PolicyError(String source, int line, int column, String resource, String path, String message) {
  @Override
  public String toString() {
    return source + ":" + line + ":" + column + ": " + path + ": " + message;
  }
}

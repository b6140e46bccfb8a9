package dev.weft.controlplane.policy;

import dev.weft.controlplane.policy.PolicyMeta.Position;
import java.time.Duration;
import java.util.ArrayList;
import java.util.LinkedHashMap;
import java.util.LinkedHashSet;
import java.util.List;
import java.util.Map;
import java.util.Set;
import java.util.function.Function;
import java.util.regex.Matcher;
import java.util.regex.Pattern;
import org.snakeyaml.engine.v2.common.ScalarStyle;
import org.snakeyaml.engine.v2.nodes.MappingNode;
import org.snakeyaml.engine.v2.nodes.Node;
import org.snakeyaml.engine.v2.nodes.NodeTuple;
import org.snakeyaml.engine.v2.nodes.ScalarNode;
import org.snakeyaml.engine.v2.nodes.SequenceNode;

/**
 * A YAML mapping read field by field with its field path: each accessor checks the value's type
 * and range, records where the field was written, and adds an error (never throws) when the value
 * is wrong. {@link #finish()} then reports every key that no accessor asked for as an unknown
 * field, with a suggestion for a near miss.
 */
final class YamlObject {

  /** Errors and positions of one document. */
  static final class Context {
    final String source;
    final List<Issue> issues = new ArrayList<>();
    final Map<String, Position> positions = new LinkedHashMap<>();

    Context(String source) {
      this.source = source;
    }

    void error(Node node, String path, String message) {
      issues.add(new Issue(position(node), path, message));
    }

    void error(Position pos, String path, String message) {
      issues.add(new Issue(pos, path, message));
    }

    static Position position(Node node) {
      return node.getStartMark().map(m -> new Position(m.getLine() + 1, m.getColumn() + 1)).orElse(Position.UNKNOWN);
    }
  }

  /** An error before it is tied to its resource. */
  record Issue(Position position, String path, String message) {}

  private static final Pattern DURATION = Pattern.compile("(\\d+(?:\\.\\d+)?)(h|ms|m|s|us|ns)");

  final Context ctx;
  final String path;
  final Node node;
  /** Where errors about this object as a whole point: its key, or the list item. */
  final Node anchor;
  private final Map<String, NodeTuple> entries = new LinkedHashMap<>();
  private final Set<String> used = new LinkedHashSet<>();
  private final Set<String> ignored = new LinkedHashSet<>();

  private YamlObject(Context ctx, String path, MappingNode node, Node anchor) {
    this.ctx = ctx;
    this.path = path;
    this.node = node;
    this.anchor = anchor;
    for (NodeTuple t : node.getValue()) {
      if (t.getKeyNode() instanceof ScalarNode k) {
        if (entries.putIfAbsent(k.getValue(), t) != null) {
          ctx.error(k, child(k.getValue()), "duplicate key '" + k.getValue() + "'");
        }
      } else {
        ctx.error(t.getKeyNode(), path, "a key must be a plain string");
      }
    }
    ctx.positions.putIfAbsent(path, Context.position(node));
  }

  /** Wraps {@code node} as an object at {@code path}; null (with an error) when it is not a mapping. */
  static YamlObject of(Context ctx, String path, Node node, Node keyNode) {
    if (node instanceof MappingNode m) {
      return new YamlObject(ctx, path, m, keyNode != null ? keyNode : node);
    }
    ctx.error(keyNode != null ? keyNode : node, path, describe(node) + " (expected: an object)");
    return null;
  }

  String child(String key) {
    return path.isEmpty() ? key : path + "." + key;
  }

  /** Marks {@code keys} as known without reading them (e.g. Kubernetes' own metadata). */
  void ignore(String... keys) {
    ignored.addAll(List.of(keys));
  }

  boolean has(String key) {
    return entries.containsKey(key) && !isNull(entries.get(key).getValueNode());
  }

  /** The value node of {@code key} (marking it used and recording its position), or null when absent or null. */
  Node value(String key) {
    used.add(key);
    NodeTuple t = entries.get(key);
    if (t == null) {
      return null;
    }
    ctx.positions.put(child(key), Context.position(t.getKeyNode()));
    return isNull(t.getValueNode()) ? null : t.getValueNode();
  }

  Node keyNode(String key) {
    NodeTuple t = entries.get(key);
    return t == null ? node : t.getKeyNode();
  }

  Position position(String key) {
    NodeTuple t = entries.get(key);
    return Context.position(t == null ? node : t.getKeyNode());
  }

  /** Adds an error on this object as a whole. */
  void errorHere(String message) {
    ctx.error(anchor, path, message);
  }

  /** Adds an error on {@code key} of this object. */
  void error(String key, String message) {
    ctx.error(keyNode(key), child(key), message);
  }

  /** Adds an error on this object when a required key is missing; returns whether it is present. */
  boolean require(String key) {
    if (!has(key)) {
      ctx.error(anchor, child(key), "required field is missing");
      return false;
    }
    return true;
  }

  // ---- scalars

  String string(String key) {
    Node v = value(key);
    if (v == null) {
      return null;
    }
    if (v instanceof ScalarNode s) {
      return s.getValue();
    }
    error(key, describe(v) + " (expected: a string)");
    return null;
  }

  String requiredString(String key) {
    String s = string(key);
    if (s == null && !has(key)) {
      require(key);
    } else if (s != null && s.isEmpty()) {
      error(key, "'' (expected: a non-empty string)");
      return null;
    }
    return s;
  }

  /** A DNS-1123 label (Kubernetes names of services, subsets, namespaces). */
  String name(String key, boolean required) {
    String s = required ? requiredString(key) : string(key);
    if (s != null && !s.matches("[a-z0-9]([-a-z0-9]*[a-z0-9])?") || s != null && s.length() > 63) {
      error(key, "'" + s + "' (expected: a DNS label: lower-case letters, digits and '-', at most 63 characters)");
      return null;
    }
    return s;
  }

  Integer integer(String key, long min, long max) {
    Node v = value(key);
    if (v == null) {
      return null;
    }
    if (v instanceof ScalarNode s && s.getScalarStyle() == ScalarStyle.PLAIN) {
      try {
        long n = Long.parseLong(s.getValue());
        if (n < min || n > max) {
          error(key, n + " (expected: " + range(min, max) + ")");
          return null;
        }
        return (int) n;
      } catch (NumberFormatException e) {
        // fall through
      }
    }
    error(key, describe(v) + " (expected: an integer " + range(min, max) + ")");
    return null;
  }

  Double number(String key, double min, double max) {
    Node v = value(key);
    if (v == null) {
      return null;
    }
    if (v instanceof ScalarNode s && s.getScalarStyle() == ScalarStyle.PLAIN) {
      try {
        double n = Double.parseDouble(s.getValue());
        if (Double.isNaN(n) || n < min || n > max) {
          error(key, s.getValue() + " (expected: " + min(min) + " to " + min(max) + ")");
          return null;
        }
        return n;
      } catch (NumberFormatException e) {
        // fall through
      }
    }
    error(key, describe(v) + " (expected: a number from " + min(min) + " to " + min(max) + ")");
    return null;
  }

  Boolean bool(String key) {
    Node v = value(key);
    if (v == null) {
      return null;
    }
    if (v instanceof ScalarNode s && s.getScalarStyle() == ScalarStyle.PLAIN) {
      if (s.getValue().equals("true")) {
        return true;
      }
      if (s.getValue().equals("false")) {
        return false;
      }
    }
    error(key, describe(v) + " (expected: true or false)");
    return null;
  }

  /** A duration such as {@code 250ms}, {@code 1.5s}, {@code 1m30s} (Go / Istio syntax); must be &gt; 0. */
  Duration duration(String key) {
    Node v = value(key);
    if (v == null) {
      return null;
    }
    if (v instanceof ScalarNode s) {
      Duration d = parseDuration(s.getValue());
      if (d != null && !d.isZero()) {
        return d;
      }
    }
    error(key, describe(v) + " (expected: a duration > 0 such as 250ms, 1.5s, 1m30s)");
    return null;
  }

  static Duration parseDuration(String text) {
    if (text.isEmpty()) {
      return null;
    }
    Matcher m = DURATION.matcher(text);
    long nanos = 0;
    int end = 0;
    while (m.find() && m.start() == end) {
      double n = Double.parseDouble(m.group(1));
      double unit = switch (m.group(2)) {
        case "h" -> 3_600e9;
        case "m" -> 60e9;
        case "s" -> 1e9;
        case "ms" -> 1e6;
        case "us" -> 1e3;
        default -> 1;
      };
      nanos += Math.round(n * unit);
      end = m.end();
    }
    return end == text.length() ? Duration.ofNanos(nanos) : null;
  }

  <E extends Enum<E>> E enumeration(String key, Class<E> type) {
    String s = string(key);
    if (s == null) {
      return null;
    }
    for (E e : type.getEnumConstants()) {
      if (e.name().equals(s)) {
        return e;
      }
    }
    List<String> names = new ArrayList<>();
    for (E e : type.getEnumConstants()) {
      names.add(e.name());
    }
    error(key, "'" + s + "' (expected: one of " + String.join(", ", names) + ")" + suggestion(s, names));
    return null;
  }

  // ---- collections

  YamlObject object(String key) {
    Node v = value(key);
    return v == null ? null : of(ctx, child(key), v, keyNode(key));
  }

  /** The items of a list of objects; each item's path is {@code key[i]}. */
  List<YamlObject> objects(String key) {
    List<YamlObject> out = new ArrayList<>();
    SequenceNode seq = sequence(key, "objects");
    if (seq != null) {
      for (int i = 0; i < seq.getValue().size(); i++) {
        Node item = seq.getValue().get(i);
        String p = child(key) + "[" + i + "]";
        ctx.positions.put(p, Context.position(item));
        YamlObject o = of(ctx, p, item, null);
        if (o != null) {
          out.add(o);
        }
      }
    }
    return out;
  }

  /** A list of scalars, each converted (null from {@code convert} skips an item that already has an error). */
  <T> List<T> list(String key, String expected, Function<Item, T> convert) {
    List<T> out = new ArrayList<>();
    SequenceNode seq = sequence(key, expected);
    if (seq != null) {
      for (int i = 0; i < seq.getValue().size(); i++) {
        Node item = seq.getValue().get(i);
        String p = child(key) + "[" + i + "]";
        ctx.positions.put(p, Context.position(item));
        if (item instanceof ScalarNode s && !isNull(s)) {
          T t = convert.apply(new Item(this, item, p, s.getValue()));
          if (t != null) {
            out.add(t);
          }
        } else {
          ctx.error(item, p, describe(item) + " (expected: " + expected + ")");
        }
      }
    }
    return out;
  }

  List<String> strings(String key) {
    return list(key, "a string", item -> item.text);
  }

  /** One scalar item of a list. */
  record Item(YamlObject owner, Node node, String path, String text) {
    void error(String message) {
      owner.ctx.error(node, path, message);
    }
  }

  private SequenceNode sequence(String key, String expected) {
    Node v = value(key);
    if (v == null) {
      return null;
    }
    if (v instanceof SequenceNode s) {
      return s;
    }
    error(key, describe(v) + " (expected: a list of " + expected.replaceFirst("^an? ", "") + ")");
    return null;
  }

  /** A map of string to string (labels, header values). */
  Map<String, String> stringMap(String key) {
    Map<String, String> out = new LinkedHashMap<>();
    Node v = value(key);
    if (v == null) {
      return out;
    }
    if (!(v instanceof MappingNode m)) {
      error(key, describe(v) + " (expected: a map of strings)");
      return out;
    }
    for (NodeTuple t : m.getValue()) {
      if (!(t.getKeyNode() instanceof ScalarNode k)) {
        ctx.error(t.getKeyNode(), child(key), "a key must be a plain string");
        continue;
      }
      String p = child(key) + "." + k.getValue();
      ctx.positions.put(p, Context.position(k));
      if (t.getValueNode() instanceof ScalarNode s && !isNull(s)) {
        out.put(k.getValue(), s.getValue());
      } else {
        ctx.error(k, p, describe(t.getValueNode()) + " (expected: a string)");
      }
    }
    return out;
  }

  // ---- unknown fields

  /** Reports every key no accessor asked for. */
  void finish() {
    List<String> known = new ArrayList<>(used);
    for (Map.Entry<String, NodeTuple> e : entries.entrySet()) {
      if (!used.contains(e.getKey()) && !ignored.contains(e.getKey())) {
        ctx.error(e.getValue().getKeyNode(), child(e.getKey()), "unknown field" + suggestion(e.getKey(), known)
            + (known.isEmpty() ? " (expected: an empty object)" : " (expected one of: " + String.join(", ", known) + ")"));
      }
    }
  }

  /** " (did you mean 'x'?)" for a near miss, else "". */
  static String suggestion(String name, List<String> candidates) {
    String best = null;
    int bestDistance = Integer.MAX_VALUE;
    for (String c : candidates) {
      int d = distance(name.toLowerCase(java.util.Locale.ROOT), c.toLowerCase(java.util.Locale.ROOT));
      if (d < bestDistance) {
        bestDistance = d;
        best = c;
      }
    }
    return best != null && bestDistance <= Math.max(2, name.length() / 3) ? " (did you mean '" + best + "'?)" : "";
  }

  private static int distance(String a, String b) {
    int[] prev = new int[b.length() + 1];
    int[] cur = new int[b.length() + 1];
    for (int j = 0; j <= b.length(); j++) {
      prev[j] = j;
    }
    for (int i = 1; i <= a.length(); i++) {
      cur[0] = i;
      for (int j = 1; j <= b.length(); j++) {
        int cost = a.charAt(i - 1) == b.charAt(j - 1) ? 0 : 1;
        cur[j] = Math.min(Math.min(cur[j - 1] + 1, prev[j] + 1), prev[j - 1] + cost);
      }
      int[] t = prev;
      prev = cur;
      cur = t;
    }
    return prev[b.length()];
  }

  // ---- helpers

  static boolean isNull(Node node) {
    if (!(node instanceof ScalarNode s) || s.getScalarStyle() != ScalarStyle.PLAIN) {
      return false;
    }
    return switch (s.getValue()) {
      case "", "~", "null", "Null", "NULL" -> true;
      default -> false;
    };
  }

  static String describe(Node node) {
    if (node instanceof ScalarNode s) {
      return s.getScalarStyle() == ScalarStyle.PLAIN ? s.getValue() : "'" + s.getValue() + "'";
    }
    return node instanceof SequenceNode ? "a list" : "an object";
  }

  private static String range(long min, long max) {
    if (max == Integer.MAX_VALUE || max == Long.MAX_VALUE) {
      return ">= " + min;
    }
    return min + " to " + max;
  }

  private static String min(double d) {
    return d == Math.rint(d) ? Long.toString((long) d) : Double.toString(d);
  }
}

package dev.weft.perf.bench;

import java.util.Locale;
import java.util.Map;

/**
 * Writes the benchmark's result files as JSON from plain Java values: {@link Map} (keys in
 * iteration order; use a {@code LinkedHashMap} for a stable layout), {@link Iterable}, {@link
 * CharSequence}, {@link Number}, {@link Boolean}, {@code null}, and {@link Raw} for JSON that is
 * already written (such as {@link dev.weft.perf.LoadResult#toJson()}).
 */
final class Json {
  private Json() {}

  /** JSON text embedded as is. */
  record Raw(String json) {}

  /** The value as indented JSON, ending with a newline. */
  static String write(Object value) {
    StringBuilder out = new StringBuilder(1024);
    write(out, value, 0);
    return out.append('\n').toString();
  }

  private static void write(StringBuilder out, Object value, int indent) {
    switch (value) {
      case null -> out.append("null");
      case Raw raw -> out.append(raw.json().strip());
      case Map<?, ?> map -> {
        if (map.isEmpty()) {
          out.append("{}");
          return;
        }
        out.append('{');
        boolean first = true;
        for (Map.Entry<?, ?> e : map.entrySet()) {
          out.append(first ? "\n" : ",\n");
          pad(out, indent + 1);
          quote(out, String.valueOf(e.getKey()));
          out.append(": ");
          write(out, e.getValue(), indent + 1);
          first = false;
        }
        out.append('\n');
        pad(out, indent);
        out.append('}');
      }
      case Iterable<?> list -> {
        out.append('[');
        boolean first = true;
        for (Object item : list) {
          out.append(first ? "\n" : ",\n");
          pad(out, indent + 1);
          write(out, item, indent + 1);
          first = false;
        }
        if (!first) {
          out.append('\n');
          pad(out, indent);
        }
        out.append(']');
      }
      case Boolean b -> out.append(b);
      case Double d -> out.append(number(d));
      case Float f -> out.append(number(f));
      case Number n -> out.append(n);
      default -> quote(out, value.toString());
    }
  }

  /** A double as JSON: integral values without a fraction, up to 6 significant digits, NaN as null. */
  static String number(double value) {
    if (!Double.isFinite(value)) {
      return "null";
    }
    if (value == Math.rint(value) && Math.abs(value) < 1e15) {
      return Long.toString((long) value);
    }
    String s = String.format(Locale.ROOT, "%.6g", value);
    if (s.contains("e")) {
      return s;
    }
    return s.contains(".") ? s.replaceAll("0+$", "").replaceAll("\\.$", "") : s;
  }

  private static void pad(StringBuilder out, int indent) {
    out.append("  ".repeat(indent));
  }

  private static void quote(StringBuilder out, String s) {
    out.append('"');
    for (int i = 0; i < s.length(); i++) {
      char ch = s.charAt(i);
      switch (ch) {
        case '"' -> out.append("\\\"");
        case '\\' -> out.append("\\\\");
        case '\n' -> out.append("\\n");
        case '\r' -> out.append("\\r");
        case '\t' -> out.append("\\t");
        default -> {
          if (ch < 0x20) {
            out.append(String.format(Locale.ROOT, "\\u%04x", (int) ch));
          } else {
            out.append(ch);
          }
        }
      }
    }
    out.append('"');
  }
}

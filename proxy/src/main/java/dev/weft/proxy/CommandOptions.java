package dev.weft.proxy;

import java.nio.file.InvalidPathException;
import java.nio.file.Path;
import java.time.Duration;
import java.time.format.DateTimeParseException;
import java.util.HashMap;
import java.util.List;
import java.util.Map;

/**
 * A small GNU-style command-line parser for the sidecar's options: {@code --name value},
 * {@code --name=value}, a short alias ({@code -c value}), {@code -h/--help} and
 * {@code -V/--version}. Every option takes one value; the last occurrence wins.
 */
final class CommandOptions {

  /**
   * One option.
   *
   * @param name the long name, with its dashes
   * @param alias a short name with its dash, or null
   * @param label what the value is, for the usage text
   * @param defaultValue the value when the option is absent, or null for none
   * @param description one line (or sentence) for the usage text
   */
  record Spec(String name, String alias, String label, String defaultValue, String description) {}

  /** A command line that cannot be used; the message says why, naming the option. */
  static final class UsageException extends Exception {
    UsageException(String message) {
      super(message, null, false, false);
    }
  }

  private final Map<String, String> values;
  private final boolean help;
  private final boolean version;

  private CommandOptions(Map<String, String> values, boolean help, boolean version) {
    this.values = values;
    this.help = help;
    this.version = version;
  }

  static CommandOptions parse(String[] args, List<Spec> specs) throws UsageException {
    Map<String, Spec> byName = new HashMap<>();
    Map<String, String> values = new HashMap<>();
    for (Spec s : specs) {
      byName.put(s.name(), s);
      if (s.alias() != null) {
        byName.put(s.alias(), s);
      }
      if (s.defaultValue() != null) {
        values.put(s.name(), s.defaultValue());
      }
    }
    boolean help = false;
    boolean version = false;
    for (int i = 0; i < args.length; i++) {
      String arg = args[i];
      switch (arg) {
        case "-h", "--help" -> help = true;
        case "-V", "--version" -> version = true;
        default -> {
          String name = arg;
          String value = null;
          int eq = arg.indexOf('=');
          if (arg.startsWith("--") && eq > 0) {
            name = arg.substring(0, eq);
            value = arg.substring(eq + 1);
          }
          Spec spec = byName.get(name);
          if (spec == null) {
            throw new UsageException(arg.startsWith("-") ? "Unknown option: '" + name + "'"
                : "Unexpected argument: '" + arg + "' (every value follows its option, e.g. --bootstrap FILE)");
          }
          if (value == null) {
            if (i + 1 >= args.length) {
              throw new UsageException("Missing value for option '" + name + "' (" + spec.label() + ")");
            }
            value = args[++i];
          }
          values.put(spec.name(), value);
        }
      }
    }
    return new CommandOptions(values, help, version);
  }

  boolean help() {
    return help;
  }

  boolean version() {
    return version;
  }

  String string(String name) {
    return values.get(name);
  }

  Path path(String name) throws UsageException {
    String v = values.get(name);
    try {
      return v == null ? null : Path.of(v);
    } catch (InvalidPathException e) {
      throw new UsageException("Invalid value for option '" + name + "': '" + v + "' is not a path");
    }
  }

  int integer(String name) throws UsageException {
    String v = values.get(name);
    try {
      return Integer.parseInt(v);
    } catch (NumberFormatException e) {
      throw new UsageException("Invalid value for option '" + name + "': '" + v + "' is not an int");
    }
  }

  /** "500ms", "20s", "2m", "24h" or an ISO-8601 duration ("PT1M"). */
  Duration duration(String name) throws UsageException {
    String v = values.get(name);
    if (v == null) {
      return null;
    }
    try {
      if (v.startsWith("P") || v.startsWith("p")) {
        return Duration.parse(v);
      }
      if (v.endsWith("ms")) {
        return Duration.ofMillis(Long.parseLong(v.substring(0, v.length() - 2)));
      }
      if (v.length() > 1) {
        long n = Long.parseLong(v.substring(0, v.length() - 1));
        switch (v.charAt(v.length() - 1)) {
          case 's' -> {
            return Duration.ofSeconds(n);
          }
          case 'm' -> {
            return Duration.ofMinutes(n);
          }
          case 'h' -> {
            return Duration.ofHours(n);
          }
          default -> { }
        }
      }
    } catch (NumberFormatException | DateTimeParseException e) {
      // fall through to the error below
    }
    throw new UsageException("Invalid value for option '" + name + "': '" + v
        + "' is not a duration (e.g. 500ms, 20s, 2m, 24h)");
  }

  /** The usage text: synopsis, description and every option with its description. */
  static String usage(String synopsis, String description, List<Spec> specs) {
    StringBuilder b = new StringBuilder("Usage: ").append(synopsis).append(" [-hV]");
    for (Spec s : specs) {
      b.append(" [").append(s.name()).append('=').append(s.label()).append(']');
    }
    b.append('\n').append(description).append('\n');
    int width = 0;
    for (Spec s : specs) {
      width = Math.max(width, column(s).length());
    }
    for (Spec s : specs) {
      String c = column(s);
      b.append("  ").append(c).append(" ".repeat(width - c.length() + 2)).append(s.description()).append('\n');
    }
    b.append("  -h, --help").append(" ".repeat(Math.max(2, width - 10 + 2))).append("Show this help and exit.\n");
    b.append("  -V, --version").append(" ".repeat(Math.max(2, width - 13 + 2))).append("Print the version and exit.\n");
    return b.toString();
  }

  private static String column(Spec s) {
    return (s.alias() != null ? s.alias() + ", " : "    ") + s.name() + "=" + s.label();
  }
}

package dev.weft.perf.bench;

import java.io.IOException;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.ArrayList;
import java.util.Arrays;
import java.util.List;
import java.util.Map;
import java.util.regex.Matcher;
import java.util.regex.Pattern;

/**
 * The command line that starts a Weft sidecar exactly as {@code ./weft proxy} does, so the
 * benchmark measures what users run: the same {@code java}, JVM flags, heap and
 * {@code MALLOC_ARENA_MAX}, then {@code dev.weft.proxy.ProxyCommand}.
 *
 * <p>{@code ./weft bench} passes the line it would exec in {@value #ENV} (one argument per
 * line). Without it (tests, IDE runs) the line is rebuilt from the {@code weft} script's
 * {@code JVM_FLAGS} and {@code PROXY_HEAP} and this JVM's class path, which includes the proxy.
 *
 * @param command the command, without {@code --bootstrap} and later arguments
 * @param env     environment variables to set
 * @param source  where the line came from, for reports
 */
record WeftLaunch(List<String> command, Map<String, String> env, String source) {
  /** Environment variable holding the launcher's proxy command line. */
  static final String ENV = "WEFT_BENCH_PROXY_CMD";
  static final String MAIN_CLASS = "dev.weft.proxy.ProxyCommand";

  WeftLaunch {
    command = List.copyOf(command);
    env = Map.copyOf(env);
  }

  /** From {@value #ENV} when set, otherwise rebuilt from the script at {@code root/weft}. */
  static WeftLaunch resolve(Path root) throws IOException {
    String fromLauncher = System.getenv(ENV);
    if (fromLauncher != null && !fromLauncher.isBlank()) {
      List<String> cmd = Arrays.stream(fromLauncher.split("\n")).filter(s -> !s.isEmpty()).toList();
      return new WeftLaunch(cmd, Map.of(), "weft launcher");
    }
    return fromScript(root.resolve("weft"), Path.of(System.getProperty("java.home"), "bin", "java").toString(),
        System.getProperty("java.class.path"));
  }

  /** Rebuilds the proxy command from the launcher script's flag blocks. */
  static WeftLaunch fromScript(Path script, String java, String classPath) throws IOException {
    String text = Files.readString(script);
    List<String> cmd = new ArrayList<>();
    cmd.add(java);
    cmd.addAll(jvmFlags(text));
    String heap = System.getenv("WEFT_PROXY_HEAP");
    if (heap == null) {
      Matcher m = Pattern.compile("PROXY_HEAP=\\(\\$\\{WEFT_PROXY_HEAP:-([^}]*)}\\)").matcher(text);
      heap = m.find() ? m.group(1) : "";
    }
    cmd.addAll(Arrays.stream(heap.trim().split("\\s+")).filter(s -> !s.isEmpty()).toList());
    cmd.add("-cp");
    cmd.add(classPath);
    cmd.add(MAIN_CLASS);
    Matcher arena = Pattern.compile("MALLOC_ARENA_MAX:-(\\d+)").matcher(text);
    Map<String, String> env = arena.find() && System.getenv("MALLOC_ARENA_MAX") == null
        ? Map.of("MALLOC_ARENA_MAX", arena.group(1)) : Map.of();
    return new WeftLaunch(cmd, env, script + " (JVM_FLAGS, PROXY_HEAP) with this class path");
  }

  /** The entries of the script's {@code JVM_FLAGS=( ... )} block, comments dropped. */
  static List<String> jvmFlags(String script) {
    int start = script.indexOf("JVM_FLAGS=(");
    if (start < 0) {
      throw new IllegalArgumentException("weft script: no JVM_FLAGS=( block (expected: the launcher script)");
    }
    int end = script.indexOf("\n)", start);
    if (end < 0) {
      throw new IllegalArgumentException("weft script: JVM_FLAGS block not closed");
    }
    List<String> flags = new ArrayList<>();
    for (String line : script.substring(start + "JVM_FLAGS=(".length(), end).split("\n")) {
      int hash = line.indexOf('#');
      String l = (hash >= 0 ? line.substring(0, hash) : line).trim();
      if (!l.isEmpty()) {
        flags.addAll(Arrays.asList(l.split("\\s+")));
      }
    }
    return flags;
  }
}

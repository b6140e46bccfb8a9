package dev.weft.proxy.testkit;

import java.io.IOException;
import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.ArrayList;
import java.util.List;
import java.util.concurrent.TimeUnit;

/**
 * Runs the {@code curl} command line client as a process, as an independent HTTP/1.1 peer. Each
 * run is bounded ({@code --max-time} and a process deadline); output goes to temporary files so
 * a chatty {@code -v} cannot block the process on a full pipe.
 *
 * <pre>{@code
 * assumeTrue(Curl.available(), Curl.MISSING);
 * Curl.Result r = Curl.run("-i", sidecar.uri("http", "/hello").toString());
 * }</pre>
 */
public final class Curl {
  /** The reason given when tests skip because curl is not installed. */
  public static final String MISSING = "curl is not installed on this machine; skipping curl tests";
  private static final long MAX_SECONDS = 30;
  private static volatile Boolean available;

  private Curl() {}

  /** The outcome of one curl run. */
  public record Result(int exitCode, String stdout, String stderr) {
    /** Lines of {@code -v} output that curl received ("< ..."), without the marker. */
    public List<String> receivedLines() {
      List<String> lines = new ArrayList<>();
      for (String l : stderr.split("\r?\n")) {
        if (l.startsWith("< ")) {
          lines.add(l.substring(2));
        }
      }
      return lines;
    }
  }

  /** Whether a runnable curl is on the PATH. */
  public static boolean available() {
    Boolean a = available;
    if (a == null) {
      try {
        Process p = new ProcessBuilder("curl", "--version").redirectErrorStream(true)
            .redirectOutput(ProcessBuilder.Redirect.DISCARD).start();
        a = p.waitFor(10, TimeUnit.SECONDS) && p.exitValue() == 0;
        p.destroyForcibly();
      } catch (IOException e) {
        a = false;
      } catch (InterruptedException e) {
        Thread.currentThread().interrupt();
        a = false;
      }
      available = a;
    }
    return a;
  }

  /** Runs {@code curl -sS --max-time 30 ARGS...} and waits for it. */
  public static Result run(String... args) throws IOException, InterruptedException {
    List<String> cmd = new ArrayList<>(List.of("curl", "-sS", "--max-time", Long.toString(MAX_SECONDS)));
    cmd.addAll(List.of(args));
    Path out = Files.createTempFile("curl-out", ".txt");
    Path err = Files.createTempFile("curl-err", ".txt");
    try {
      Process p = new ProcessBuilder(cmd).redirectOutput(out.toFile()).redirectError(err.toFile()).start();
      if (!p.waitFor(MAX_SECONDS + 10, TimeUnit.SECONDS)) {
        p.destroyForcibly().waitFor(5, TimeUnit.SECONDS);
        throw new AssertionError("curl did not finish within " + (MAX_SECONDS + 10) + " s: " + cmd);
      }
      return new Result(p.exitValue(), Files.readString(out, StandardCharsets.ISO_8859_1),
          Files.readString(err, StandardCharsets.ISO_8859_1));
    } finally {
      Files.deleteIfExists(out);
      Files.deleteIfExists(err);
    }
  }
}

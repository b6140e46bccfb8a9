package dev.weft.proxy.testkit;

import java.io.BufferedReader;
import java.io.IOException;
import java.io.InputStream;
import java.io.InputStreamReader;
import java.io.UncheckedIOException;
import java.net.InetSocketAddress;
import java.net.URI;
import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.Path;
import java.time.Duration;
import java.util.ArrayList;
import java.util.List;
import java.util.Map;
import java.util.concurrent.CompletableFuture;
import java.util.concurrent.ConcurrentHashMap;
import java.util.concurrent.ExecutionException;
import java.util.concurrent.TimeUnit;
import java.util.concurrent.TimeoutException;
import java.util.regex.Matcher;
import java.util.regex.Pattern;

/**
 * The proxy as a separate JVM, the way {@code weft proxy} runs it: {@code java} from this JDK,
 * the test classpath, main class {@code dev.weft.proxy.ProxyCommand}. Lets tests bound the
 * sidecar's heap and direct memory, send it real signals and read its exit code.
 *
 * <pre>{@code
 * try (SidecarProcess p = SidecarProcess.start(tempDir, yaml, SidecarProcess.Options.defaults())) {
 *   URI uri = p.uri("http", "/hello");
 *   ...
 *   p.terminate();                       // SIGTERM: drain, then exit 0
 *   assertThat(p.awaitExit(Duration.ofSeconds(10))).isZero();
 * }
 * }</pre>
 *
 * <p>It writes the bootstrap to a file, parses the ports the proxy prints on stdout
 * ({@code admin listening on HOST:PORT}, {@code listener NAME listening on HOST:PORT}), waits
 * (bounded) for the {@code weft proxy ready} line and keeps stderr in a buffer.
 * {@link #close} kills the process if it is still alive.
 */
public final class SidecarProcess implements AutoCloseable {
  private static final String MAIN_CLASS = "dev.weft.proxy.ProxyCommand";
  private static final Pattern ADMIN = Pattern.compile("^admin listening on (.+):(\\d+)$");
  private static final Pattern LISTENER = Pattern.compile("^listener (\\S+) listening on (.+):(\\d+)$");
  private static final Duration EXIT_WAIT_ON_CLOSE = Duration.ofSeconds(10);

  /**
   * How to launch the proxy JVM.
   *
   * @param jvmFlags      flags before the main class, e.g. {@code -Xmx64m}
   * @param concurrency   {@code --concurrency}
   * @param drainTimeout  {@code --drain-timeout}
   * @param startTimeout  how long to wait for the ready line
   */
  public record Options(List<String> jvmFlags, int concurrency, Duration drainTimeout, Duration startTimeout) {
    public Options {
      jvmFlags = List.copyOf(jvmFlags);
    }

    /** Two workers, a 10 s drain timeout, a 30 s start timeout and the launcher's essential flags. */
    public static Options defaults() {
      return new Options(List.of("--enable-native-access=ALL-UNNAMED", "--sun-misc-unsafe-memory-access=allow",
          "-XX:+UseSerialGC", "-Xshare:auto"), 2, Duration.ofSeconds(10), Duration.ofSeconds(30));
    }

    public Options withJvmFlags(String... more) {
      List<String> all = new ArrayList<>(jvmFlags);
      all.addAll(List.of(more));
      return new Options(all, concurrency, drainTimeout, startTimeout);
    }

    public Options withDrainTimeout(Duration timeout) {
      return new Options(jvmFlags, concurrency, timeout, startTimeout);
    }
  }

  /** The outcome of a run to completion (e.g. {@code --validate}). */
  public record Exit(int code, String stdout, String stderr) {}

  private final Process process;
  private final StringBuffer stdout = new StringBuffer();
  private final StringBuffer stderr = new StringBuffer();
  private final Map<String, InetSocketAddress> listeners = new ConcurrentHashMap<>();
  private final CompletableFuture<Void> ready = new CompletableFuture<>();
  private final Thread stdoutPump;
  private final Thread stderrPump;
  private volatile InetSocketAddress admin;

  private SidecarProcess(Process process) {
    this.process = process;
    this.stdoutPump = Thread.ofPlatform().daemon().name("sidecar-stdout-" + process.pid())
        .start(() -> pumpStdout(process.getInputStream()));
    this.stderrPump = Thread.ofPlatform().daemon().name("sidecar-stderr-" + process.pid())
        .start(() -> pump(process.getErrorStream(), stderr));
  }

  /**
   * Writes {@code bootstrapYaml} to {@code dir/bootstrap.yaml}, starts the proxy on it and
   * waits until it prints its ready line.
   *
   * @throws IllegalStateException when the process exits or stays silent past the start
   *                               timeout (with its output in the message)
   */
  public static SidecarProcess start(Path dir, String bootstrapYaml, Options options)
      throws IOException, InterruptedException {
    Path bootstrap = dir.resolve("bootstrap.yaml");
    Files.writeString(bootstrap, bootstrapYaml);
    List<String> args = List.of("--bootstrap", bootstrap.toString(), "--concurrency",
        Integer.toString(options.concurrency()), "--drain-timeout", options.drainTimeout().toMillis() + "ms");
    SidecarProcess p = new SidecarProcess(launch(options.jvmFlags(), args));
    try {
      p.awaitReady(options.startTimeout());
      return p;
    } catch (RuntimeException | InterruptedException e) {
      p.close();
      throw e;
    }
  }

  /** Runs the proxy with {@code args} to completion (bounded by {@code timeout}) and returns its exit. */
  public static Exit run(List<String> jvmFlags, List<String> args, Duration timeout)
      throws IOException, InterruptedException {
    try (SidecarProcess p = new SidecarProcess(launch(jvmFlags, args))) {
      int code = p.awaitExit(timeout);
      return new Exit(code, p.stdout(), p.stderr());
    }
  }

  private static Process launch(List<String> jvmFlags, List<String> args) throws IOException {
    List<String> command = new ArrayList<>();
    command.add(Path.of(System.getProperty("java.home"), "bin", "java").toString());
    command.addAll(jvmFlags);
    command.add("-cp");
    command.add(classpath());
    command.add(MAIN_CLASS);
    command.addAll(args);
    Process process = new ProcessBuilder(command).start();
    process.getOutputStream().close(); // the proxy reads no input
    return process;
  }

  /** Failsafe and surefire put the real test classpath here (java.class.path may be a manifest-only jar). */
  private static String classpath() {
    String cp = System.getProperty("surefire.test.class.path");
    return cp != null && !cp.isBlank() ? cp : System.getProperty("java.class.path");
  }

  private void awaitReady(Duration timeout) throws InterruptedException {
    try {
      ready.get(timeout.toMillis(), TimeUnit.MILLISECONDS);
    } catch (ExecutionException | TimeoutException e) {
      throw new IllegalStateException("proxy did not become ready within " + timeout + " (alive: "
          + process.isAlive() + ")\nstdout:\n" + stdout + "\nstderr:\n" + stderr, e);
    }
  }

  private void pumpStdout(InputStream in) {
    try (BufferedReader r = new BufferedReader(new InputStreamReader(in, StandardCharsets.UTF_8))) {
      String line;
      while ((line = r.readLine()) != null) {
        stdout.append(line).append('\n');
        Matcher m;
        if ((m = ADMIN.matcher(line)).matches()) {
          admin = new InetSocketAddress(m.group(1), Integer.parseInt(m.group(2)));
        } else if ((m = LISTENER.matcher(line)).matches()) {
          listeners.put(m.group(1), new InetSocketAddress(m.group(2), Integer.parseInt(m.group(3))));
        } else if (line.startsWith("weft proxy ready")) {
          ready.complete(null);
        }
      }
    } catch (IOException e) {
      // the process went away; fall through
    } finally {
      ready.completeExceptionally(new IllegalStateException("proxy stdout closed before the ready line"));
    }
  }

  private static void pump(InputStream in, StringBuffer sink) {
    try (BufferedReader r = new BufferedReader(new InputStreamReader(in, StandardCharsets.UTF_8))) {
      String line;
      while ((line = r.readLine()) != null) {
        sink.append(line).append('\n');
      }
    } catch (IOException e) {
      // the process went away
    }
  }

  public Process process() {
    return process;
  }

  public long pid() {
    return process.pid();
  }

  public boolean isAlive() {
    return process.isAlive();
  }

  /** The bound port of a listener, as the proxy printed it. */
  public int port(String listener) {
    InetSocketAddress a = listeners.get(listener);
    if (a == null) {
      throw new IllegalArgumentException("no listener '" + listener + "' (have " + listeners.keySet() + ")");
    }
    return a.getPort();
  }

  public int adminPort() {
    if (admin == null) {
      throw new IllegalStateException("the proxy printed no admin address");
    }
    return admin.getPort();
  }

  /** {@code http://127.0.0.1:PORT/path} of a listener. */
  public URI uri(String listener, String path) {
    return URI.create("http://127.0.0.1:" + port(listener) + path);
  }

  public URI adminUri(String path) {
    return URI.create("http://127.0.0.1:" + adminPort() + path);
  }

  /** Everything the process wrote to stderr so far. */
  public String stderr() {
    return stderr.toString();
  }

  public String stdout() {
    return stdout.toString();
  }

  /**
   * Sends SIGTERM. Through the {@link ProcessHandle}: {@link Process#destroy()} sends the same
   * signal but also closes our ends of the output pipes, losing what the proxy prints while it
   * drains.
   */
  public void terminate() {
    process.toHandle().destroy();
  }

  /**
   * Waits up to {@code timeout} for the process to exit and for its output to be read to the end.
   *
   * @return the exit code
   * @throws IllegalStateException when it is still running after the timeout
   */
  public int awaitExit(Duration timeout) throws InterruptedException {
    if (!process.waitFor(timeout.toMillis(), TimeUnit.MILLISECONDS)) {
      throw new IllegalStateException("proxy still running after " + timeout + "\nstderr:\n" + stderr);
    }
    stdoutPump.join(timeout.toMillis());
    stderrPump.join(timeout.toMillis());
    return process.exitValue();
  }

  @Override
  public void close() {
    if (process.isAlive()) {
      process.destroyForcibly();
    }
    try {
      if (!process.waitFor(EXIT_WAIT_ON_CLOSE.toMillis(), TimeUnit.MILLISECONDS)) {
        throw new UncheckedIOException(new IOException("proxy process " + process.pid() + " did not exit"));
      }
      stdoutPump.join(EXIT_WAIT_ON_CLOSE.toMillis());
      stderrPump.join(EXIT_WAIT_ON_CLOSE.toMillis());
    } catch (InterruptedException e) {
      Thread.currentThread().interrupt();
    }
  }
}

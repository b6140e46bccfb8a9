package dev.weft.perf.bench;

import static org.assertj.core.api.Assertions.assertThat;

import java.io.IOException;
import java.nio.charset.StandardCharsets;
import java.nio.file.Path;
import java.util.ArrayList;
import java.util.List;
import java.util.concurrent.TimeUnit;
import org.junit.jupiter.api.Test;

/** Runs the real {@code weft} launcher on the packaged modules: which program a {@code weft bench} line reaches. */
class LauncherIT {
  private static String run(String... args) throws IOException, InterruptedException {
    Path root = Path.of(System.getProperty("user.dir")).getParent();
    List<String> command = new ArrayList<>(List.of("bash", root.resolve("weft").toString()));
    command.addAll(List.of(args));
    ProcessBuilder pb = new ProcessBuilder(command).redirectErrorStream(true);
    pb.environment().put("WEFT_AOT", "0");
    pb.environment().put("JAVA_HOME", System.getProperty("java.home"));
    Process p = pb.start();
    byte[] out = p.getInputStream().readAllBytes();
    assertThat(p.waitFor(60, TimeUnit.SECONDS)).isTrue();
    String text = new String(out, StandardCharsets.UTF_8);
    assertThat(p.exitValue()).as(text).isZero();
    return text;
  }

  @Test
  void anOptionOnlyTheSuiteHasReachesTheSuiteWhereverItStands() throws Exception {
    assertThat(run("bench", "--scenarios", "direct", "--help")).contains("Usage: weft bench");
    assertThat(run("bench", "--duration", "1s", "--repeats=1", "--help")).contains("Usage: weft bench");
    assertThat(run("bench", "suite", "--help")).contains("Usage: weft bench");
  }

  @Test
  void generatorOptionsStillReachTheLoadGenerator() throws Exception {
    assertThat(run("bench", "--url", "http://127.0.0.1:1/", "--help")).contains("Usage: weft-load");
    assertThat(run("bench", "load", "--help")).contains("Usage: weft-load");
  }
}

package dev.weft.proxy;

import static org.assertj.core.api.Assertions.assertThat;

import java.io.PrintWriter;
import java.io.StringWriter;
import java.nio.file.Files;
import java.nio.file.Path;
import java.time.Duration;
import java.util.List;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

/** The sidecar's command line: parsing, usage errors and exit codes. */
class ProxyCommandTest {

  private final StringWriter out = new StringWriter();
  private final StringWriter err = new StringWriter();

  private int run(String... args) {
    return ProxyCommand.run(args, new PrintWriter(out, true), new PrintWriter(err, true));
  }

  @Test
  void helpListsEveryOptionAndExitsZero() {
    assertThat(run("--help")).isZero();
    assertThat(out.toString()).startsWith("Usage: weft proxy")
        .contains("-c, --bootstrap=FILE", "--validate=FILE", "--concurrency=N", "--drain-timeout=DURATION",
            "--tls-provider=NAME", "--identity=SPIFFE_ID", "--ca-address=HOST:PORT", "--certificate-ttl=DURATION",
            "-h, --help", "-V, --version");
    assertThat(run("-V")).isZero();
    assertThat(out.toString()).contains("weft proxy ");
  }

  @Test
  void usageErrorsNameTheOptionAndExitTwo() {
    assertThat(run("--bogus", "x")).isEqualTo(2);
    assertThat(err.toString()).contains("Unknown option: '--bogus'").contains("Usage: weft proxy");
    err.getBuffer().setLength(0);
    assertThat(run("--bootstrap")).isEqualTo(2);
    assertThat(err.toString()).contains("Missing value for option '--bootstrap' (FILE)");
    err.getBuffer().setLength(0);
    assertThat(run("-c", "b.yaml", "--drain-timeout", "soon")).isEqualTo(2);
    assertThat(err.toString()).contains("Invalid value for option '--drain-timeout': 'soon' is not a duration");
    err.getBuffer().setLength(0);
    assertThat(run("--concurrency=many", "-c", "b.yaml")).isEqualTo(2);
    assertThat(err.toString()).contains("Invalid value for option '--concurrency': 'many' is not an int");
    err.getBuffer().setLength(0);
    assertThat(run("b.yaml")).isEqualTo(2);
    assertThat(err.toString()).contains("Unexpected argument: 'b.yaml'");
    err.getBuffer().setLength(0);
    assertThat(run()).isEqualTo(2);
    assertThat(err.toString()).contains("--bootstrap FILE is required");
  }

  @Test
  void validateExitsZeroForAGoodBootstrapAndOneWithTheErrors(@TempDir Path dir) throws Exception {
    assertThat(run("--validate", Path.of("../examples/bootstrap/sidecar.yaml").toString())).isZero();
    assertThat(out.toString()).contains("sidecar.yaml: valid (");
    Path bad = Files.writeString(dir.resolve("bad.yaml"), "static_resources:\n  listeners:\n  - nme: x\n");
    assertThat(run("--validate=" + bad)).isEqualTo(1);
    assertThat(err.toString()).contains("bad.yaml:3");
  }

  @Test
  void valuesDefaultsAndDurations() throws Exception {
    List<CommandOptions.Spec> specs = List.of(
        new CommandOptions.Spec("--bootstrap", "-c", "FILE", null, "b"),
        new CommandOptions.Spec("--wait", null, "DURATION", "20s", "w"));
    CommandOptions o = CommandOptions.parse(new String[] {"-c", "a.yaml", "--bootstrap=b.yaml"}, specs);
    assertThat(o.path("--bootstrap")).isEqualTo(Path.of("b.yaml"));
    assertThat(o.duration("--wait")).isEqualTo(Duration.ofSeconds(20));
    for (var c : List.of(new Object[] {"500ms", Duration.ofMillis(500)}, new Object[] {"2m", Duration.ofMinutes(2)},
        new Object[] {"24h", Duration.ofHours(24)}, new Object[] {"PT1.5S", Duration.ofMillis(1500)})) {
      assertThat(CommandOptions.parse(new String[] {"--wait", (String) c[0]}, specs).duration("--wait"))
          .isEqualTo(c[1]);
    }
    assertThat(o.help()).isFalse();
    assertThat(CommandOptions.parse(new String[] {"-h"}, specs).help()).isTrue();
  }
}

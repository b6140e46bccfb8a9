package dev.weft.controlplane.ca;

import static dev.weft.controlplane.ca.CaFixture.TD;
import static org.assertj.core.api.Assertions.assertThat;
import static org.assertj.core.api.Assertions.assertThatThrownBy;

import dev.weft.certs.SpiffeId;
import java.nio.file.Files;
import java.nio.file.Path;
import java.nio.file.attribute.FileTime;
import java.time.Instant;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

class BootstrapTokenAuthenticatorTest {

  @TempDir Path dir;

  private Path write(String yaml, Instant modified) throws Exception {
    Path file = dir.resolve("tokens.yaml");
    Files.writeString(file, yaml);
    Files.setLastModifiedTime(file, FileTime.from(modified));
    return file;
  }

  private static String entry(String token, String namespace, String serviceAccount) {
    return "- token: " + token + "\n  namespace: " + namespace + "\n  serviceAccount: " + serviceAccount + "\n";
  }

  @Test
  void authenticatesKnownTokensAsTheirWorkloadIdentity() throws Exception {
    Path file = write(entry("aaaaaaaaaaaaaaaa1", "shop", "web") + entry("bbbbbbbbbbbbbbbb2", "shop", "cart"),
        Instant.parse("2026-01-01T00:00:00Z"));
    BootstrapTokenAuthenticator authenticator = new BootstrapTokenAuthenticator(file, TD);

    assertThat(authenticator.authenticate("bbbbbbbbbbbbbbbb2")).isEqualTo(SpiffeId.forWorkload(TD, "shop", "cart"));
    assertThatThrownBy(() -> authenticator.authenticate("aaaaaaaaaaaaaaaa"))
        .isInstanceOf(AuthenticationException.class)
        .hasMessage("bootstrap token is not in tokens.yaml");
  }

  @Test
  void reloadsWhenTheFileChangesAndKeepsPreviousTokensWhenTheNewFileIsBroken() throws Exception {
    Path file = write(entry("aaaaaaaaaaaaaaaa1", "shop", "web"), Instant.parse("2026-01-01T00:00:00Z"));
    BootstrapTokenAuthenticator authenticator = new BootstrapTokenAuthenticator(file, TD);
    assertThat(authenticator.authenticate("aaaaaaaaaaaaaaaa1")).isEqualTo(SpiffeId.forWorkload(TD, "shop", "web"));

    write(entry("cccccccccccccccc3", "shop", "api"), Instant.parse("2026-01-01T00:01:00Z"));
    assertThat(authenticator.authenticate("cccccccccccccccc3")).isEqualTo(SpiffeId.forWorkload(TD, "shop", "api"));
    assertThatThrownBy(() -> authenticator.authenticate("aaaaaaaaaaaaaaaa1")).isInstanceOf(AuthenticationException.class);

    write("- token: [unclosed", Instant.parse("2026-01-01T00:02:00Z"));
    assertThat(authenticator.authenticate("cccccccccccccccc3")).isEqualTo(SpiffeId.forWorkload(TD, "shop", "api"));
    assertThat(authenticator.size()).isEqualTo(1);
  }

  @Test
  void malformedEntriesAreNamedWithoutRevealingTokens() {
    assertThatThrownBy(() -> BootstrapTokenAuthenticator.parse(entry("short", "shop", "web"), "t.yaml", TD))
        .hasMessage("t.yaml: entry 0: token is 5 characters long (expected: >= 16)");
    assertThatThrownBy(() -> BootstrapTokenAuthenticator.parse("- token: aaaaaaaaaaaaaaaa1\n  namespace: shop\n",
        "t.yaml", TD))
        .hasMessage("t.yaml: entry 0: missing 'serviceAccount'");
    assertThatThrownBy(() -> BootstrapTokenAuthenticator.parse(entry("aaaaaaaaaaaaaaaa1", "shop", "web")
        + "  serviceaccount: x\n", "t.yaml", TD))
        .hasMessageContaining("unknown field 'serviceaccount'");
    assertThatThrownBy(() -> BootstrapTokenAuthenticator.parse(entry("aaaaaaaaaaaaaaaa1", "shop", "web")
        + entry("aaaaaaaaaaaaaaaa1", "shop", "cart"), "t.yaml", TD))
        .hasMessage("t.yaml: entry 1: token is the same as an earlier entry's (expected: unique tokens)")
        .message().doesNotContain("aaaaaaaaaaaaaaaa1");
    assertThatThrownBy(() -> BootstrapTokenAuthenticator.parse("token: x", "t.yaml", TD))
        .hasMessageContaining("expected: a list");
  }
}

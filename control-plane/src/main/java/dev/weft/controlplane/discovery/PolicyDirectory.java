package dev.weft.controlplane.discovery;

import dev.weft.controlplane.policy.PolicyError;
import dev.weft.controlplane.policy.PolicyLoad;
import dev.weft.controlplane.policy.PolicyLoader;
import dev.weft.controlplane.policy.PolicySet;
import java.io.IOException;
import java.io.UncheckedIOException;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.ArrayList;
import java.util.HashMap;
import java.util.List;
import java.util.Map;
import java.util.Set;
import java.util.stream.Collectors;
import java.util.stream.Stream;

/**
 * The local-mode policy directory, loaded again on every change. A file with an error is
 * rejected — its errors are returned in the loader's format ({@code reviews.yaml:14:7:
 * spec.routes[0].retries.attempts: -1 (expected: >= 0)}) — and its last good version stays in
 * force, so the sidecars keep their last good config for it; the other files apply. If the last
 * good versions no longer fit the new files, the whole previous policy set stays in force.
 */
public final class PolicyDirectory {

  private final Path dir;
  private final Path shadow;
  private final Map<String, String> lastGood = new HashMap<>();
  private PolicySet effective = PolicySet.EMPTY;

  public PolicyDirectory(Path dir) {
    this.dir = dir;
    try {
      this.shadow = Files.createTempDirectory("weft-policies-last-good");
      shadow.toFile().deleteOnExit();
    } catch (IOException e) {
      throw new UncheckedIOException(e);
    }
  }

  /** The result of a reload: the policies in force and the errors of this load. */
  public record Result(PolicySet policies, List<PolicyError> errors) {}

  /** Loads the directory; blocking file I/O. */
  public synchronized Result reload() {
    List<Path> files;
    try (Stream<Path> s = Files.list(dir)) {
      files = s.filter(Files::isRegularFile).filter(p -> {
        String n = p.getFileName().toString();
        return n.endsWith(".yaml") || n.endsWith(".yml") || n.endsWith(".json");
      }).sorted().toList();
    } catch (IOException e) {
      return new Result(effective, List.of(new PolicyError(dir.toString(), 0, 0, "", "", "cannot read: " + e)));
    }
    PolicyLoad load = PolicyLoader.loadFiles(files);
    if (load.errors().isEmpty()) {
      lastGood.clear();
      for (Path f : files) {
        remember(f);
      }
      effective = load.policies();
      return new Result(effective, List.of());
    }
    Set<String> bad = load.errors().stream().map(PolicyError::source).collect(Collectors.toSet());
    List<Path> substituted = new ArrayList<>();
    Map<String, String> nextGood = new HashMap<>();
    try {
      for (Path f : files) {
        String key = f.getFileName().toString();
        if (bad.contains(f.toString())) {
          String good = lastGood.get(key);
          if (good != null) {
            Path copy = shadow.resolve(key);
            Files.writeString(copy, good);
            substituted.add(copy);
            nextGood.put(key, good);
          }
        } else {
          substituted.add(f);
          nextGood.put(key, Files.readString(f));
        }
      }
    } catch (IOException e) {
      return new Result(effective, load.errors());
    }
    PolicyLoad merged = PolicyLoader.loadFiles(substituted);
    if (merged.errors().isEmpty()) {
      effective = merged.policies();
      lastGood.clear();
      lastGood.putAll(nextGood);
    }
    return new Result(effective, load.errors());
  }

  private void remember(Path f) {
    try {
      lastGood.put(f.getFileName().toString(), Files.readString(f));
    } catch (IOException ignored) {
      // read again next time
    }
  }
}

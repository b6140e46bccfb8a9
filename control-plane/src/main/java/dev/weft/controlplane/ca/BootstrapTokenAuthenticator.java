package dev.weft.controlplane.ca;

import dev.weft.certs.InvalidSpiffeIdException;
import dev.weft.certs.SpiffeId;
import dev.weft.certs.TrustDomain;
import java.io.IOException;
import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.NoSuchFileException;
import java.nio.file.Path;
import java.nio.file.attribute.BasicFileAttributes;
import java.nio.file.attribute.FileTime;
import java.security.MessageDigest;
import java.security.NoSuchAlgorithmException;
import java.util.ArrayList;
import java.util.HashSet;
import java.util.List;
import java.util.Map;
import java.util.Objects;
import java.util.Set;
import org.slf4j.Logger;
import org.slf4j.LoggerFactory;
import org.snakeyaml.engine.v2.api.Load;
import org.snakeyaml.engine.v2.api.LoadSettings;
import org.snakeyaml.engine.v2.exceptions.YamlEngineException;

/**
 * Authenticates callers with per-workload bootstrap tokens from a file: the local-mode stand-in for
 * Kubernetes service-account tokens.
 *
 * <pre>{@code
 * # tokens.yaml
 * - token: 9f2c...          # at least 16 characters
 *   namespace: shop
 *   serviceAccount: cart
 * }</pre>
 *
 * <p>The file is checked on every call and reloaded when its modification time or size changes,
 * so tokens can be added or revoked without a restart. A file that no longer parses is reported
 * and the previous tokens stay in force. Tokens are compared as SHA-256 digests with {@link
 * MessageDigest#isEqual}, and every entry is compared, so the time taken does not reveal how much
 * of a token matched or which entry it was.
 */
public final class BootstrapTokenAuthenticator implements Authenticator {

  private static final Logger log = LoggerFactory.getLogger(BootstrapTokenAuthenticator.class);

  /** Shortest token accepted in the file. */
  public static final int MIN_TOKEN_LENGTH = 16;

  private record Entry(byte[] digest, SpiffeId identity) {}

  private record Snapshot(FileTime modified, long size, List<Entry> entries) {}

  private final Path file;
  private final TrustDomain trustDomain;
  private final Object reloadLock = new Object();
  private volatile Snapshot snapshot;

  /**
   * Loads the token file.
   *
   * @param file the YAML token file
   * @param trustDomain the trust domain of the identities it returns
   * @throws IOException if the file cannot be read
   * @throws IllegalArgumentException naming the entry and field when the file is malformed
   */
  public BootstrapTokenAuthenticator(Path file, TrustDomain trustDomain) throws IOException {
    this.file = Objects.requireNonNull(file, "file");
    this.trustDomain = Objects.requireNonNull(trustDomain, "trustDomain");
    this.snapshot = read();
  }

  @Override
  public SpiffeId authenticate(String token) throws AuthenticationException {
    byte[] digest = sha256(token);
    SpiffeId match = null;
    for (Entry entry : current().entries()) {
      // No early exit: every entry costs the same whether or not an earlier one matched.
      if (MessageDigest.isEqual(entry.digest(), digest) && match == null) {
        match = entry.identity();
      }
    }
    if (match == null) {
      throw new AuthenticationException("bootstrap token is not in " + file.getFileName());
    }
    return match;
  }

  /** Returns the number of tokens currently loaded, after reloading the file if it changed. */
  public int size() {
    return current().entries().size();
  }

  @Override
  public String toString() {
    return "BootstrapTokenAuthenticator[file=" + file + ", trustDomain=" + trustDomain + "]";
  }

  private Snapshot current() {
    Snapshot loaded = snapshot;
    BasicFileAttributes attributes;
    try {
      attributes = Files.readAttributes(file, BasicFileAttributes.class);
    } catch (IOException e) {
      log.warn("cannot stat bootstrap token file {}; keeping {} loaded tokens: {}", file, loaded.entries().size(),
          e.toString());
      return loaded;
    }
    if (attributes.lastModifiedTime().equals(loaded.modified()) && attributes.size() == loaded.size()) {
      return loaded;
    }
    synchronized (reloadLock) {
      if (snapshot != loaded) {
        return snapshot;
      }
      try {
        snapshot = read();
        log.info("reloaded {} bootstrap tokens from {}", snapshot.entries().size(), file);
      } catch (IOException | RuntimeException e) {
        log.warn("bootstrap token file {} changed but cannot be loaded; keeping {} previous tokens: {}", file,
            loaded.entries().size(), e.getMessage());
        // Remember the bad version so it is not parsed again on every call.
        snapshot = new Snapshot(attributes.lastModifiedTime(), attributes.size(), loaded.entries());
      }
      return snapshot;
    }
  }

  private Snapshot read() throws IOException {
    BasicFileAttributes attributes;
    String text;
    try {
      attributes = Files.readAttributes(file, BasicFileAttributes.class);
      text = Files.readString(file, StandardCharsets.UTF_8);
    } catch (NoSuchFileException e) {
      throw new NoSuchFileException(file.toString(), null, "bootstrap token file does not exist");
    }
    return new Snapshot(attributes.lastModifiedTime(), attributes.size(), parse(text, file.toString(), trustDomain));
  }

  /** Parses the token file; the messages name the entry and field, never a token. */
  static List<Entry> parse(String yaml, String source, TrustDomain trustDomain) {
    Object document;
    try {
      document = new Load(LoadSettings.builder().setLabel(source).build()).loadFromString(yaml);
    } catch (YamlEngineException e) {
      throw new IllegalArgumentException(source + ": not valid YAML: " + e.getMessage(), e);
    }
    if (document == null) {
      return List.of();
    }
    if (!(document instanceof List<?> items)) {
      throw new IllegalArgumentException(source + ": top level is a " + document.getClass().getSimpleName()
          + " (expected: a list of {token, namespace, serviceAccount})");
    }
    List<Entry> entries = new ArrayList<>();
    Set<String> seen = new HashSet<>();
    for (int i = 0; i < items.size(); i++) {
      String where = source + ": entry " + i;
      if (!(items.get(i) instanceof Map<?, ?> map)) {
        throw new IllegalArgumentException(where + " is not a mapping (expected: token, namespace, serviceAccount)");
      }
      for (Object key : map.keySet()) {
        if (!Set.of("token", "namespace", "serviceAccount").contains(String.valueOf(key))) {
          throw new IllegalArgumentException(where + ": unknown field '" + key
              + "' (expected: token, namespace, serviceAccount)");
        }
      }
      String token = field(map, "token", where);
      String namespace = field(map, "namespace", where);
      String serviceAccount = field(map, "serviceAccount", where);
      if (token.length() < MIN_TOKEN_LENGTH) {
        throw new IllegalArgumentException(where + ": token is " + token.length() + " characters long (expected: >= "
            + MIN_TOKEN_LENGTH + ")");
      }
      if (!seen.add(token)) {
        throw new IllegalArgumentException(where + ": token is the same as an earlier entry's (expected: unique tokens)");
      }
      SpiffeId identity;
      try {
        identity = SpiffeId.forWorkload(trustDomain, namespace, serviceAccount);
      } catch (InvalidSpiffeIdException e) {
        throw new IllegalArgumentException(where + ": " + e.getMessage(), e);
      }
      entries.add(new Entry(sha256(token), identity));
    }
    return List.copyOf(entries);
  }

  private static String field(Map<?, ?> map, String name, String where) {
    Object value = map.get(name);
    if (value == null) {
      throw new IllegalArgumentException(where + ": missing '" + name + "'");
    }
    if (!(value instanceof String text) || text.isBlank()) {
      throw new IllegalArgumentException(where + ": '" + name + "' is " + (value instanceof String ? "blank" : "a "
          + value.getClass().getSimpleName()) + " (expected: a non-empty string)");
    }
    return text;
  }

  private static byte[] sha256(String token) {
    try {
      return MessageDigest.getInstance("SHA-256").digest(token.getBytes(StandardCharsets.UTF_8));
    } catch (NoSuchAlgorithmException e) {
      throw new IllegalStateException("SHA-256 is unavailable", e);
    }
  }
}

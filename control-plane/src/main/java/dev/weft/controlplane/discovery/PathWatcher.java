package dev.weft.controlplane.discovery;

import java.io.IOException;
import java.nio.file.ClosedWatchServiceException;
import java.nio.file.FileSystems;
import java.nio.file.Files;
import java.nio.file.Path;
import java.nio.file.StandardWatchEventKinds;
import java.nio.file.WatchKey;
import java.nio.file.WatchService;
import java.nio.file.attribute.BasicFileAttributes;
import java.time.Duration;
import java.util.ArrayList;
import java.util.List;
import java.util.Objects;
import java.util.TreeMap;
import java.util.concurrent.TimeUnit;
import java.util.stream.Stream;
import org.slf4j.Logger;
import org.slf4j.LoggerFactory;

/**
 * Watches files and directories and calls {@code onChange} (on its own virtual thread) when their
 * content may have changed: at once on a file-system event (inotify on Linux), and by comparing
 * the files' content every {@code pollInterval} as a fallback for file systems without
 * events and for replaced directories (Kubernetes ConfigMap volumes swap a symlink). Callers
 * debounce and compare content themselves; a spurious call is harmless.
 *
 * <p>{@code onChange} runs on the watcher's thread, one call at a time, so a reload always reads
 * the files after the change that triggered it and the last reload sees the last change. Handing
 * each call to a thread of its own breaks that: a reload triggered by an editor's truncate can
 * finish after the one triggered by its write and publish the older content.
 */
public final class PathWatcher implements AutoCloseable {

  private static final Logger log = LoggerFactory.getLogger(PathWatcher.class);

  private final List<Path> paths;
  private final Runnable onChange;
  private final Duration pollInterval;
  private final WatchService watchService;
  private final Thread thread;
  private volatile boolean closed;
  private String fingerprint;

  private PathWatcher(List<Path> paths, Runnable onChange, Duration pollInterval) throws IOException {
    this.paths = List.copyOf(paths);
    this.onChange = Objects.requireNonNull(onChange, "onChange");
    this.pollInterval = pollInterval;
    this.watchService = FileSystems.getDefault().newWatchService();
    for (Path p : this.paths) {
      Path dir = Files.isDirectory(p) ? p : p.toAbsolutePath().getParent();
      if (dir != null && Files.isDirectory(dir)) {
        dir.register(watchService, StandardWatchEventKinds.ENTRY_CREATE, StandardWatchEventKinds.ENTRY_MODIFY,
            StandardWatchEventKinds.ENTRY_DELETE);
      }
    }
    this.fingerprint = fingerprint();
    this.thread = Thread.ofVirtual().name("weft-watch-" + this.paths.getFirst().getFileName()).unstarted(this::run);
  }

  /** Starts watching {@code paths} (files or directories). */
  public static PathWatcher start(List<Path> paths, Duration pollInterval, Runnable onChange) throws IOException {
    PathWatcher w = new PathWatcher(paths, onChange, pollInterval);
    w.thread.start();
    return w;
  }

  private void run() {
    while (!closed) {
      try {
        WatchKey key = watchService.poll(pollInterval.toMillis(), TimeUnit.MILLISECONDS);
        if (key != null) {
          key.pollEvents();
          key.reset();
        }
        String now = fingerprint();
        if (!now.equals(fingerprint)) {
          fingerprint = now;
          onChange.run();
        }
      } catch (ClosedWatchServiceException | InterruptedException e) {
        return;
      } catch (RuntimeException e) {
        log.warn("watching {}: {}", paths, e.toString());
      }
    }
  }

  /** The content of every watched file (and of the files directly in watched directories). */
  private String fingerprint() {
    TreeMap<String, String> all = new TreeMap<>();
    for (Path p : paths) {
      List<Path> files = new ArrayList<>();
      if (Files.isDirectory(p)) {
        try (Stream<Path> s = Files.list(p)) {
          s.forEach(files::add);
        } catch (IOException e) {
          all.put(p.toString(), "unreadable");
        }
      } else {
        files.add(p);
      }
      for (Path f : files) {
        try {
          BasicFileAttributes a = Files.readAttributes(f, BasicFileAttributes.class);
          // Small config files: the content itself decides (an edit may keep size and timestamp).
          all.put(f.toString(), a.isRegularFile() && a.size() < (1 << 20)
              ? Integer.toHexString(java.util.Arrays.hashCode(Files.readAllBytes(f))) + "/" + a.size()
              : a.size() + "@" + a.lastModifiedTime());
        } catch (IOException e) {
          all.put(f.toString(), "missing");
        }
      }
    }
    return all.toString();
  }

  @Override
  public void close() {
    closed = true;
    try {
      watchService.close();
    } catch (IOException ignored) {
      // closing anyway
    }
    thread.interrupt();
  }
}

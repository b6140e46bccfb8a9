package dev.weft.proxy.tls;

import dev.weft.certs.CertificateChain;
import dev.weft.certs.CertifiedKey;
import dev.weft.certs.Pem;
import java.io.IOException;
import java.nio.file.Files;
import java.nio.file.Path;
import java.security.cert.X509Certificate;
import java.util.List;
import java.util.concurrent.CopyOnWriteArrayList;
import java.util.concurrent.ScheduledExecutorService;
import java.util.concurrent.TimeUnit;
import java.util.logging.Level;
import java.util.logging.Logger;

/**
 * TLS material read from PEM files and reloaded when they change. Files are polled (size and
 * modification time) rather than watched, which also catches Kubernetes' symlink swaps of
 * mounted secrets. A change that does not parse, or a key that does not match its
 * certificate, is logged and ignored: the last good material keeps serving.
 */
public final class FileMaterial {
  private static final Logger LOG = Logger.getLogger(FileMaterial.class.getName());

  private FileMaterial() {}

  /** A certificate chain file and its private key file. */
  public static TlsMaterial.KeySource keys(Path chain, Path key, ScheduledExecutorService poller, long pollMillis)
      throws IOException {
    Watched<CertifiedKey> w = new Watched<>(List.of(chain, key),
        () -> new CertifiedKey(Pem.readPrivateKey(key), new CertificateChain(Pem.readCertificates(chain))));
    w.start(poller, pollMillis);
    return new TlsMaterial.KeySource() {
      @Override
      public CertifiedKey current() {
        return w.value;
      }

      @Override
      public void onChange(Runnable listener) {
        w.listeners.add(listener);
      }
    };
  }

  /** A PEM bundle of trusted roots. */
  public static TlsMaterial.TrustSource roots(Path bundle, ScheduledExecutorService poller, long pollMillis)
      throws IOException {
    Watched<List<X509Certificate>> w = new Watched<>(List.of(bundle), () -> {
      List<X509Certificate> roots = Pem.readCertificates(bundle);
      if (roots.isEmpty()) {
        throw new IOException(bundle + ": no certificates");
      }
      return roots;
    });
    w.start(poller, pollMillis);
    return new TlsMaterial.TrustSource() {
      @Override
      public List<X509Certificate> roots() {
        return w.value;
      }

      @Override
      public void onChange(Runnable listener) {
        w.listeners.add(listener);
      }
    };
  }

  /** Reads a value from files and reloads it when any of them changes. */
  private static final class Watched<T> {
    interface Loader<T> {
      T load() throws Exception;
    }

    final List<Path> files;
    final Loader<T> loader;
    final List<Runnable> listeners = new CopyOnWriteArrayList<>();
    volatile T value;
    private String stamp;

    Watched(List<Path> files, Loader<T> loader) throws IOException {
      this.files = files;
      this.loader = loader;
      try {
        this.stamp = stamp();
        this.value = loader.load();
      } catch (IOException e) {
        throw e;
      } catch (Exception e) {
        throw new IOException(files + ": " + e.getMessage(), e);
      }
    }

    void start(ScheduledExecutorService poller, long pollMillis) {
      poller.scheduleWithFixedDelay(this::poll, pollMillis, pollMillis, TimeUnit.MILLISECONDS);
    }

    private String stamp() throws IOException {
      StringBuilder sb = new StringBuilder();
      for (Path f : files) {
        Path real = f.toRealPath();
        sb.append(real).append(':').append(Files.size(real)).append(':')
            .append(Files.getLastModifiedTime(real).toMillis()).append(';');
      }
      return sb.toString();
    }

    private void poll() {
      try {
        String now = stamp();
        if (now.equals(stamp)) {
          return;
        }
        T loaded = loader.load();
        stamp = now;
        value = loaded;
        LOG.info("reloaded " + files);
        listeners.forEach(Runnable::run);
      } catch (Exception e) {
        // Half-written files are common mid-rotation: keep the last good value and try again.
        LOG.log(Level.FINE, "cannot reload " + files + " yet: " + e.getMessage());
      }
    }
  }
}

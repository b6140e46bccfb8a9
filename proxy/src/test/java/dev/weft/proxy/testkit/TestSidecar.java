package dev.weft.proxy.testkit;

import dev.weft.proxy.Sidecar;
import dev.weft.proxy.bootstrap.BootstrapLoader;
import dev.weft.proxy.bootstrap.ConfigException;
import java.net.URI;
import java.time.Duration;

/**
 * An in-process sidecar started from bootstrap YAML (listeners usually on port 0), with
 * helpers to reach its listeners and admin port.
 */
public final class TestSidecar implements AutoCloseable {
  private final Sidecar sidecar;

  private TestSidecar(Sidecar sidecar) {
    this.sidecar = sidecar;
  }

  /** Starts a sidecar with 2 workers, epoll, and a 2 s drain timeout. */
  public static TestSidecar start(String yaml) throws ConfigException, InterruptedException {
    return start(yaml, new Sidecar.Options(2, true, Duration.ofSeconds(2)));
  }

  public static TestSidecar start(String yaml, Sidecar.Options options) throws ConfigException, InterruptedException {
    var loaded = BootstrapLoader.parse(yaml, "test.yaml");
    return new TestSidecar(Sidecar.start(loaded.config(), loaded.bootstrap(), options));
  }

  public Sidecar sidecar() {
    return sidecar;
  }

  public int port(String listener) {
    return sidecar.port(listener);
  }

  /** {@code http://127.0.0.1:PORT} of a listener. */
  public URI uri(String listener, String path) {
    return URI.create("http://127.0.0.1:" + port(listener) + path);
  }

  public URI adminUri(String path) {
    return URI.create("http://127.0.0.1:" + sidecar.adminAddress().getPort() + path);
  }

  @Override
  public void close() {
    sidecar.close();
  }
}

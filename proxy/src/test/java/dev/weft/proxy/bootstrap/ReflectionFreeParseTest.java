package dev.weft.proxy.bootstrap;

import static org.assertj.core.api.Assertions.assertThat;

import com.google.protobuf.GeneratedMessage;
import dev.weft.proxy.testkit.Bootstraps;
import java.io.File;
import java.lang.reflect.Field;
import java.net.URL;
import java.net.URLClassLoader;
import java.util.ArrayList;
import java.util.List;
import java.util.Map;
import java.util.function.Function;
import org.junit.jupiter.api.Test;

/**
 * A bootstrap is parsed, checked and translated without protobuf's reflection tables: a generated
 * message's table holds a {@code java.lang.reflect.Method} per accessor and lives as long as the
 * process (about 17,000 objects for a typical bootstrap), and building it is start-up time.
 */
class ReflectionFreeParseTest {
  /** Message types of a plain bootstrap, each with the generated class that holds its table. */
  private static final Map<String, String> TYPES = Map.of(
      "envoy.config.bootstrap.v3.Bootstrap", "io.envoyproxy.envoy.config.bootstrap.v3.BootstrapProto",
      "envoy.config.listener.v3.Listener", "io.envoyproxy.envoy.config.listener.v3.ListenerProto",
      "envoy.config.cluster.v3.Cluster", "io.envoyproxy.envoy.config.cluster.v3.ClusterProto",
      "envoy.config.route.v3.RouteConfiguration", "io.envoyproxy.envoy.config.route.v3.RouteProto",
      "envoy.extensions.filters.network.http_connection_manager.v3.HttpConnectionManager",
      "io.envoyproxy.envoy.extensions.filters.network.http_connection_manager.v3.HttpConnectionManagerProto",
      "google.protobuf.Duration", "com.google.protobuf.DurationProto",
      "google.protobuf.Any", "com.google.protobuf.AnyProto");

  @Test
  @SuppressWarnings("unchecked")
  void loadingABootstrapInitializesNoReflectionTable() throws Exception {
    String yaml = Bootstraps.bootstrap(Bootstraps.httpListener("http", Bootstraps.routeAllTo("app"), ""),
        Bootstraps.cluster("app", false, 8080));
    // A fresh class loader: other tests in this JVM may have used reflection on these types.
    try (URLClassLoader loader = new URLClassLoader(testClassPath(), ClassLoader.getPlatformClassLoader())) {
      var load = (Function<String, List<String>>) loader.loadClass(LoadAndInspect.class.getName())
          .getDeclaredConstructor().newInstance();
      assertThat(load.apply(yaml)).as("types whose reflection tables were built").isEmpty();
    }
  }

  private static URL[] testClassPath() throws Exception {
    String cp = System.getProperty("surefire.test.class.path", System.getProperty("java.class.path"));
    List<URL> urls = new ArrayList<>();
    for (String entry : cp.split(File.pathSeparator)) {
      if (!entry.isBlank()) {
        urls.add(new File(entry).toURI().toURL());
      }
    }
    return urls.toArray(URL[]::new);
  }

  /** Runs in the fresh loader: loads the bootstrap, then lists the types whose table is built. */
  public static final class LoadAndInspect implements Function<String, List<String>> {
    @Override
    public List<String> apply(String yaml) {
      try {
        BootstrapLoader.parse(yaml, "b.yaml");
        List<String> built = new ArrayList<>();
        Field initialized = GeneratedMessage.FieldAccessorTable.class.getDeclaredField("initialized");
        initialized.setAccessible(true);
        for (Map.Entry<String, String> type : TYPES.entrySet()) {
          // The table itself, as generated code keeps it (asking the message for it would build it).
          Field table = Class.forName(type.getValue())
              .getDeclaredField("internal_static_" + type.getKey().replace('.', '_') + "_fieldAccessorTable");
          table.setAccessible(true);
          if ((boolean) initialized.get(table.get(null))) {
            built.add(type.getKey());
          }
        }
        return built;
      } catch (Exception e) {
        throw new IllegalStateException(e);
      }
    }
  }
}

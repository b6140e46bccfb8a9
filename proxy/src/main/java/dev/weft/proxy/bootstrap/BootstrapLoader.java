package dev.weft.proxy.bootstrap;

import dev.weft.proxy.config.ProxyConfig;
import io.envoyproxy.envoy.config.bootstrap.v3.Bootstrap;
import java.io.IOException;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.List;

/** Loads an Envoy bootstrap file (YAML or JSON) into a validated {@link ProxyConfig}. */
public final class BootstrapLoader {

  private BootstrapLoader() {}

  /** A loaded bootstrap: the proto as written and its translation. */
  public record Loaded(Bootstrap bootstrap, ProxyConfig config) {}

  public static Loaded load(Path file) throws ConfigException {
    String text;
    try {
      text = Files.readString(file);
    } catch (IOException e) {
      throw new ConfigException(List.of(new ConfigError(file.toString(), "", "cannot read: " + e)));
    }
    return parse(text, file.getFileName().toString());
  }

  public static Loaded parse(String text, String sourceName) throws ConfigException {
    ProtoYamlParser parser = new ProtoYamlParser(AnyTypes.WEFT);
    ProtoYamlParser.Parsed<Bootstrap> parsed = parser.parse(text, sourceName, Bootstrap.newBuilder());
    return new Loaded(parsed.message(), ConfigTranslator.translate(parsed.message(), parsed.locations()));
  }
}

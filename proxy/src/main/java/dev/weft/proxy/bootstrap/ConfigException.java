package dev.weft.proxy.bootstrap;

import java.util.List;
import java.util.stream.Collectors;

/** Configuration that cannot be used, with every problem found. */
public final class ConfigException extends Exception {
  private static final long serialVersionUID = 1L;
  private final transient List<ConfigError> errors;

  public ConfigException(List<ConfigError> errors) {
    super(errors.stream().map(ConfigError::toString).collect(Collectors.joining("\n")));
    this.errors = List.copyOf(errors);
  }

  public List<ConfigError> errors() {
    return errors;
  }
}

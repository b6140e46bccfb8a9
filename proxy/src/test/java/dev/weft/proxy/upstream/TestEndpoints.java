package dev.weft.proxy.upstream;

import dev.weft.proxy.config.EndpointConfig;
import java.util.List;

/** Builds {@link EndpointState}s for unit tests outside this package. */
public final class TestEndpoints {
  private TestEndpoints() {}

  public static List<EndpointState> of(List<EndpointConfig> configs) {
    return configs.stream().map(EndpointState::new).toList();
  }
}

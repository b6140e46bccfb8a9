package dev.weft.proxy.config;

import java.util.List;

/**
 * A filter chain: which connections it takes and the terminal network filter that serves them.
 *
 * @param networkRbac network RBAC filters applied, in order, before the terminal filter
 */
public record FilterChainConfig(String name, FilterChainMatch match, NetworkFilterConfig filter,
    List<RbacConfig> networkRbac) {

  public FilterChainConfig {
    networkRbac = List.copyOf(networkRbac);
  }

  /** A chain with no network RBAC filter. */
  public FilterChainConfig(String name, FilterChainMatch match, NetworkFilterConfig filter) {
    this(name, match, filter, List.of());
  }
}

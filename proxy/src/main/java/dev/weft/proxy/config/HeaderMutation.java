package dev.weft.proxy.config;

import io.netty.handler.codec.http.HttpHeaders;
import java.util.List;

/**
 * Header additions and removals, applied as Envoy does: removals first, then additions.
 *
 * @param remove lower-case names to remove
 * @param add    headers to add, each with its append action
 */
public record HeaderMutation(List<String> remove, List<HeaderAdd> add) {

  public static final HeaderMutation NONE = new HeaderMutation(List.of(), List.of());

  public HeaderMutation {
    remove = List.copyOf(remove);
    add = List.copyOf(add);
  }

  public boolean isEmpty() {
    return remove.isEmpty() && add.isEmpty();
  }

  public void apply(HttpHeaders headers) {
    for (String name : remove) {
      headers.remove(name);
    }
    for (HeaderAdd h : add) {
      switch (h.action()) {
        case APPEND_IF_EXISTS_OR_ADD -> headers.add(h.name(), h.value());
        case ADD_IF_ABSENT -> {
          if (!headers.contains(h.name())) {
            headers.add(h.name(), h.value());
          }
        }
        case OVERWRITE_IF_EXISTS_OR_ADD -> headers.set(h.name(), h.value());
        case OVERWRITE_IF_EXISTS -> {
          if (headers.contains(h.name())) {
            headers.set(h.name(), h.value());
          }
        }
      }
    }
  }

  /** One header to add. */
  public record HeaderAdd(String name, String value, Action action) {}

  /** Envoy's {@code HeaderValueOption.HeaderAppendAction}. */
  public enum Action { APPEND_IF_EXISTS_OR_ADD, ADD_IF_ABSENT, OVERWRITE_IF_EXISTS_OR_ADD, OVERWRITE_IF_EXISTS }
}

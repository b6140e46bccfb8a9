package dev.weft.perf.bench;

/** The benchmark scenarios, each measured in the same run against the same upstream. */
public enum Scenario {
  /** Client → upstream, the baseline every other scenario is compared with. */
  DIRECT("direct", "client → upstream"),
  /** Client → Weft sidecar → sidecar-to-sidecar hop → Weft sidecar → upstream. */
  WEFT("weft", "client → Weft → Weft → upstream"),
  /** Client → HAProxy → mTLS → HAProxy → upstream. */
  HAPROXY("haproxy", "client → HAProxy → mTLS → HAProxy → upstream"),
  /** Client → nginx → mTLS → nginx → upstream. */
  NGINX("nginx", "client → nginx → mTLS → nginx → upstream");

  private final String id;
  private final String shape;

  Scenario(String id, String shape) {
    this.id = id;
    this.shape = shape;
  }

  /** Short name used in file names, JSON keys and on the command line. */
  public String id() {
    return id;
  }

  /** The request path through the processes. */
  public String shape() {
    return shape;
  }

  /** Parses an {@link #id()}. */
  public static Scenario parse(String id) {
    for (Scenario s : values()) {
      if (s.id.equalsIgnoreCase(id.trim())) {
        return s;
      }
    }
    throw new IllegalArgumentException("scenario: '" + id + "' (expected: direct, weft, haproxy or nginx)");
  }
}

package dev.weft.proxy.http;

/**
 * Whether the sidecar is draining. Handlers ask it when a response finishes so that HTTP/1.1
 * connections close after their current request.
 */
public final class DrainState {
  private volatile boolean draining;

  public boolean draining() {
    return draining;
  }

  public void start() {
    draining = true;
  }

  /** Fired down every downstream pipeline when draining starts. */
  public static final Object DRAIN_EVENT = new Object() {
    @Override
    public String toString() {
      return "DRAIN";
    }
  };
}

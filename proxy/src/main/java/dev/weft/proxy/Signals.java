package dev.weft.proxy;

import sun.misc.Signal;

/**
 * SIGTERM/SIGINT handling. A JVM shutdown hook would exit with status 143 after the hooks run;
 * handling the signal ourselves lets the proxy drain and then exit 0, as a sidecar should.
 */
final class Signals {
  private Signals() {}

  static void onTerminate(Runnable action) {
    Signal.handle(new Signal("TERM"), s -> action.run());
    Signal.handle(new Signal("INT"), s -> action.run());
  }
}

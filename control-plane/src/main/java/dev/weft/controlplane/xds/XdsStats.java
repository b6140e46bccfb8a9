package dev.weft.controlplane.xds;

import java.util.concurrent.atomic.AtomicLong;

/** Counters of the ADS server, since it started. */
public final class XdsStats {
  final AtomicLong streamsOpened = new AtomicLong();
  final AtomicLong responses = new AtomicLong();
  final AtomicLong acks = new AtomicLong();
  final AtomicLong nacks = new AtomicLong();
  final AtomicLong heldNacks = new AtomicLong();

  /** ADS streams opened. */
  public long streamsOpened() {
    return streamsOpened.get();
  }

  /** Discovery responses sent. */
  public long responses() {
    return responses.get();
  }

  /** Responses the clients accepted. */
  public long acks() {
    return acks.get();
  }

  /** Responses the clients rejected. */
  public long nacks() {
    return nacks.get();
  }

  @Override
  public String toString() {
    return "streams=" + streamsOpened + " responses=" + responses + " acks=" + acks + " nacks=" + nacks;
  }
}

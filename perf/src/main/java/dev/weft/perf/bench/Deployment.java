package dev.weft.perf.bench;

import java.util.ArrayList;
import java.util.List;
import java.util.Map;

/**
 * The processes of one running scenario and the port the load generator talks to. Closing it
 * stops the processes, last started first.
 *
 * @param targetPort  where the client sends requests (the upstream itself for {@link Scenario#DIRECT})
 * @param processes   the proxy processes to measure, in start order
 * @param readyMillis for each process that reports readiness (Weft), milliseconds from spawn to
 *                    its {@code /ready} answering 200
 */
record Deployment(int targetPort, List<ManagedProcess> processes, Map<String, Double> readyMillis)
    implements AutoCloseable {

  Deployment {
    processes = List.copyOf(processes);
    readyMillis = java.util.Collections.unmodifiableMap(new java.util.LinkedHashMap<>(readyMillis));
  }

  @Override
  public void close() {
    List<ManagedProcess> reversed = new ArrayList<>(processes);
    java.util.Collections.reverse(reversed);
    reversed.forEach(ManagedProcess::close);
  }
}

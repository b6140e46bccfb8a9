package dev.weft.controlplane.discovery;

/**
 * A port of a service.
 *
 * @param name       the port's name (may be empty)
 * @param port       the port clients call
 * @param targetPort the port the workloads listen on
 * @param protocol   the application protocol spoken on it
 */
public record ServicePort(String name, int port, int targetPort, AppProtocol protocol) {

  /** Application protocols, as Kubernetes' {@code appProtocol} or Istio's port-name prefixes say. */
  public enum AppProtocol { HTTP, HTTP2, GRPC, TCP }
}

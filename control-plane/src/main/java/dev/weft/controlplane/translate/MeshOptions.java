package dev.weft.controlplane.translate;

/**
 * How the translator addresses things.
 *
 * @param trustDomain  the SPIFFE trust domain (a MeshConfig's {@code trustDomain} overrides it)
 * @param kubernetes   Kubernetes mode: listeners bind 0.0.0.0 and the app is at 127.0.0.1; in local
 *                     mode listeners bind the workload's own address, where its app also listens
 * @param outboundPort the outbound listener's port (15001)
 * @param inboundPort  the inbound listener's port (15006), also the port of every EDS endpoint
 */
public record MeshOptions(String trustDomain, boolean kubernetes, int outboundPort, int inboundPort) {

  public static final int OUTBOUND_PORT = 15001;
  public static final int INBOUND_PORT = 15006;

  /** Local mode (every workload has its own loopback address) with the standard ports. */
  public static MeshOptions local(String trustDomain) {
    return new MeshOptions(trustDomain, false, OUTBOUND_PORT, INBOUND_PORT);
  }

  /** Kubernetes mode with the standard ports. */
  public static MeshOptions kubernetes(String trustDomain) {
    return new MeshOptions(trustDomain, true, OUTBOUND_PORT, INBOUND_PORT);
  }
}

package dev.weft.certs;

/**
 * The role a peer plays in the TLS connection being verified, which decides the extendedKeyUsage
 * its leaf must carry: a server verifying a client requires {@code clientAuth}; a client verifying
 * a server requires {@code serverAuth}.
 */
public enum PeerRole {
  /** The peer is the TLS client; its leaf must allow {@code clientAuth} (1.3.6.1.5.5.7.3.2). */
  CLIENT("clientAuth", "1.3.6.1.5.5.7.3.2"),
  /** The peer is the TLS server; its leaf must allow {@code serverAuth} (1.3.6.1.5.5.7.3.1). */
  SERVER("serverAuth", "1.3.6.1.5.5.7.3.1");

  private final String usageName;
  private final String usageOid;

  PeerRole(String usageName, String usageOid) {
    this.usageName = usageName;
    this.usageOid = usageOid;
  }

  /** Returns the name of the required extended key usage, e.g. {@code clientAuth}. */
  public String requiredUsageName() {
    return usageName;
  }

  /** Returns the OID of the required extended key usage. */
  public String requiredUsageOid() {
    return usageOid;
  }
}

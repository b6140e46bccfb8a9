package dev.weft.controlplane.discovery;

/** Where an endpoint runs (Envoy's locality; empty strings when unknown). */
public record Locality(String region, String zone, String subZone) {
  public static final Locality UNKNOWN = new Locality("", "", "");
}

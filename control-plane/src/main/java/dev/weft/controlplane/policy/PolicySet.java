package dev.weft.controlplane.policy;

/**
 * Every valid traffic policy in force: the input of the translator. Immutable.
 * (Its components are the policy kinds; see the policy reference in the README.)
 */
public record PolicySet() {
  public static final PolicySet EMPTY = new PolicySet();
}

package dev.weft.controlplane.policy;

import java.util.List;

/**
 * The result of loading policies: the valid ones, and every error found in the others.
 *
 * @param policies the policies that passed validation
 * @param errors   every error, in source order
 */
public record PolicyLoad(PolicySet policies, List<PolicyError> errors) {
  public PolicyLoad {
    errors = List.copyOf(errors);
  }
}

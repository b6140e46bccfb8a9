package dev.weft.controlplane.discovery;

import io.fabric8.kubernetes.api.model.GenericKubernetesResource;
import io.fabric8.kubernetes.client.KubernetesClient;
import io.fabric8.kubernetes.client.KubernetesClientException;
import java.time.Clock;
import java.time.Instant;
import java.time.temporal.ChronoUnit;
import java.util.ArrayList;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Map;
import java.util.Objects;
import org.slf4j.Logger;
import org.slf4j.LoggerFactory;

/**
 * Writes the {@code Accepted} condition onto policy custom resources, in the shape of Kubernetes'
 * {@code metav1.Condition}:
 *
 * <pre>
 * status:
 *   observedGeneration: 3
 *   conditions:
 *   - type: Accepted
 *     status: "False"                 # "True" when the policy is in force
 *     reason: Invalid                 # or Accepted
 *     message: 'spec.routes[0].retries.attempts: -1 (expected: >= 0)'
 *     observedGeneration: 3
 *     lastTransitionTime: "2026-01-01T10:00:00Z"   # changes only when status changes
 * </pre>
 *
 * <p>A resource is written only when its condition (status, reason, message or generation)
 * differs from what it holds, so the status write (which the informer sees as an update) does not
 * cause another write. Other condition types on the resource are kept. Blocking: call it off the
 * informer and gRPC threads.
 */
public final class PolicyStatusWriter {

  private static final Logger log = LoggerFactory.getLogger(PolicyStatusWriter.class);

  /** The condition type written. */
  public static final String ACCEPTED = "Accepted";

  private final KubernetesClient client;
  private final Map<String, String> plurals;
  private final Clock clock;

  /**
   * @param plurals policy kind to its plural resource name
   */
  public PolicyStatusWriter(KubernetesClient client, Map<String, String> plurals, Clock clock) {
    this.client = client;
    this.plurals = Map.copyOf(plurals);
    this.clock = clock;
  }

  /**
   * Brings the {@code Accepted} condition of resource {@code Kind/namespace/name} up to date.
   *
   * @param invalidMessage null when the policy is accepted, else what is wrong with it
   * @return true if the status was written
   */
  public boolean write(String kind, String namespace, String name, String invalidMessage) {
    String plural = plurals.get(kind);
    if (plural == null) {
      return false;
    }
    var resources = client.genericKubernetesResources(KubernetesDiscovery.context(kind, plural)).inNamespace(namespace);
    try {
      GenericKubernetesResource current = resources.withName(name).get();
      if (current == null) {
        return false;
      }
      long generation = current.getMetadata().getGeneration() == null ? 0 : current.getMetadata().getGeneration();
      boolean accepted = invalidMessage == null;
      String status = accepted ? "True" : "False";
      String reason = accepted ? "Accepted" : "Invalid";
      String message = accepted ? "the policy is valid and in force" : invalidMessage;

      @SuppressWarnings("unchecked")
      Map<String, Object> oldStatus = current.getAdditionalProperties().get("status") instanceof Map<?, ?> m
          ? (Map<String, Object>) m : Map.of();
      List<Map<String, Object>> conditions = new ArrayList<>();
      Map<String, Object> previous = null;
      if (oldStatus.get("conditions") instanceof List<?> list) {
        for (Object o : list) {
          if (o instanceof Map<?, ?> c) {
            @SuppressWarnings("unchecked")
            Map<String, Object> cond = (Map<String, Object>) c;
            if (ACCEPTED.equals(cond.get("type"))) {
              previous = cond;
            } else {
              conditions.add(cond);
            }
          }
        }
      }
      if (previous != null && status.equals(previous.get("status")) && reason.equals(previous.get("reason"))
          && message.equals(previous.get("message"))
          && Objects.equals(number(previous.get("observedGeneration")), generation)) {
        return false;
      }
      String transition = previous != null && status.equals(previous.get("status"))
          && previous.get("lastTransitionTime") != null
          ? String.valueOf(previous.get("lastTransitionTime"))
          : Instant.now(clock).truncatedTo(ChronoUnit.SECONDS).toString();
      Map<String, Object> condition = new LinkedHashMap<>();
      condition.put("type", ACCEPTED);
      condition.put("status", status);
      condition.put("reason", reason);
      condition.put("message", message);
      condition.put("observedGeneration", generation);
      condition.put("lastTransitionTime", transition);
      conditions.add(0, condition);
      Map<String, Object> newStatus = new LinkedHashMap<>(oldStatus);
      newStatus.put("observedGeneration", generation);
      newStatus.put("conditions", conditions);
      current.getAdditionalProperties().put("status", newStatus);
      resources.resource(current).updateStatus();
      log.info("{}/{}/{}: Accepted={} {}", kind, namespace, name, status, accepted ? "" : message);
      return true;
    } catch (KubernetesClientException e) {
      log.warn("cannot write the status of {}/{}/{}: {}", kind, namespace, name, e.getMessage());
      return false;
    }
  }

  private static Long number(Object o) {
    return o instanceof Number n ? n.longValue() : null;
  }
}

/** The traffic-policy model: Kubernetes-style YAML documents parsed and validated into immutable records. */
package dev.weft.controlplane.policy;

/** Pure translation: (policies, registry snapshot, node) to Envoy xDS resources. */
package dev.weft.controlplane.translate;

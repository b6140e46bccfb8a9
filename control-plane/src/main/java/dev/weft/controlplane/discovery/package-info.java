/** Service discovery: the local registry file and Kubernetes informers, both producing {@link dev.weft.controlplane.discovery.RegistrySnapshot}. */
package dev.weft.controlplane.discovery;

/**
 * Role-based access control at the edge of a workload, as Envoy's RBAC filters do it: the
 * request and connection views that rules from {@link dev.weft.proxy.config.RbacConfig} are
 * evaluated against, and the network RBAC handler that closes denied connections. The HTTP
 * RBAC filters run in {@link dev.weft.proxy.http.HttpProxyHandler} before routing.
 */
package dev.weft.proxy.rbac;

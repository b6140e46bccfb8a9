/**
 * Listeners: binding, the per-connection pipeline assembled in one place
 * ({@link dev.weft.proxy.listener.ListenerInitializer}), application-protocol sniffing and
 * connection accounting.
 */
package dev.weft.proxy.listener;

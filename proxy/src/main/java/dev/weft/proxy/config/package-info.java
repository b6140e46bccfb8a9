/**
 * Weft's immutable configuration snapshot: records translated from Envoy resources by
 * {@link dev.weft.proxy.bootstrap.ConfigTranslator}. A snapshot is published with one volatile
 * write and read once per connection or request; nothing here holds runtime state.
 */
package dev.weft.proxy.config;

/** Prometheus metrics through Micrometer, with meters resolved once per listener and cluster. */
package dev.weft.proxy.metrics;

/** Opaque TCP proxying: a relay between two channels with backpressure and half-close. */
package dev.weft.proxy.tcp;

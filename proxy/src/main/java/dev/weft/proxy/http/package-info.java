/**
 * The HTTP data path: downstream codecs (HTTP/1.1 and HTTP/2 streams, both seen as Netty
 * {@code HttpObject}s), the per-request proxying state machine, and the one place where
 * errors become responses.
 */
package dev.weft.proxy.http;

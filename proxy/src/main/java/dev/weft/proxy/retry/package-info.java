/**
 * The pure pieces of retrying: which failures a route's {@code retry_on} retries
 * ({@link dev.weft.proxy.retry.RetryConditions}), Envoy's jittered exponential back-off
 * ({@link dev.weft.proxy.retry.BackOff}), the retry budget arithmetic
 * ({@link dev.weft.proxy.retry.RetryBudget}), the hosts a retry avoids
 * ({@link dev.weft.proxy.retry.RetryLbContext}) and why a retry was refused
 * ({@link dev.weft.proxy.retry.RetryRefusal}). The router in {@code http} drives them on the
 * request's event loop.
 */
package dev.weft.proxy.retry;

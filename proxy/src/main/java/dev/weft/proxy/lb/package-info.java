/** Load balancers: pick an endpoint per request. */
package dev.weft.proxy.lb;

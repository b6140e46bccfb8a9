/** Request routing: virtual host and route selection over an immutable {@link dev.weft.proxy.config.RouteTable}. */
package dev.weft.proxy.route;

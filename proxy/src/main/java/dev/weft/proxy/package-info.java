/** Weft proxy. */
package dev.weft.proxy;

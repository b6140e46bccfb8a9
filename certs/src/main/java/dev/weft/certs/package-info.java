/** Weft certs. */
package dev.weft.certs;

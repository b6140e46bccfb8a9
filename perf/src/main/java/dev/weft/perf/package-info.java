/** Weft perf. */
package dev.weft.perf;

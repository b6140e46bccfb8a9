/** Weft control-plane. */
package dev.weft.controlplane;

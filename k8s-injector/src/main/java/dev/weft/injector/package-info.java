/** Weft k8s-injector. */
package dev.weft.injector;

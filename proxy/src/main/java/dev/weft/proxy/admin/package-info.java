/** The admin server: config dump, cluster state, readiness, Prometheus metrics, drain. */
package dev.weft.proxy.admin;

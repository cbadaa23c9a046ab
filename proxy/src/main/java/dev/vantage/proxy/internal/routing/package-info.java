/**
 * Routing intelligence behind {@link dev.vantage.proxy.RoutingEngine}: affinity cookies, user keys, consistent
 * hashing with bounded load, user location, best-mirror scoring with locality, retry budget, hedging, shadow
 * sampling, tenant limits and the routing metrics. Everything on the decision path is allocation-free.
 */
package dev.vantage.proxy.internal.routing;

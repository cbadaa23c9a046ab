/** The Netty HTTP/1.1 data plane: listeners, strict codec, routing, upstream pools, admin API. */
package dev.vantage.proxy;

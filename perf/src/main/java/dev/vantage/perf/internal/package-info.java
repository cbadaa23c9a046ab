/** Internals of the load generator: event-loop workers, request sources, transports; not for other modules. */
package dev.vantage.perf.internal;

package dev.vantage.probe.internal;

/** A monotonic clock in nanoseconds, injected into the probe logic so tests control time. */
@FunctionalInterface
public interface NanoClock {

    /** The system's monotonic clock. */
    NanoClock SYSTEM = System::nanoTime;

    long nanoTime();
}

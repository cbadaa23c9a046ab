package dev.vantage.probe.internal;

/** A probe that has started and not completed yet, as the probe driver sees it. Probe thread only. */
interface ProbeInFlight {

    /** The probe's deadline passed: it fails with a timeout (and closes what it cannot trust any more). */
    void timeout();

    /** The target was removed or replaced, or the prober closes: stop, release everything, report nothing. */
    void abort();
}

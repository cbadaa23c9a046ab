/** The probe cost benchmark: many loopback targets probed at 1 s intervals, CPU of the probing process. */
package dev.vantage.perf.probe;

package dev.vantage.perf;

import java.util.ArrayList;
import java.util.List;

/**
 * The target request rate over the measured part of a run: one or more phases of constant rate. Immutable.
 *
 * @param phases in order; each lasts {@code seconds} at {@code requestsPerSecond}
 */
public record RateSchedule(List<Phase> phases) {

    /** A constant rate for {@code seconds}. */
    public record Phase(double requestsPerSecond, double seconds) {
        public Phase {
            if (!(requestsPerSecond > 0) || Double.isInfinite(requestsPerSecond)) {
                throw new IllegalArgumentException("rate: " + requestsPerSecond + " (expected: > 0 requests/s)");
            }
            if (!(seconds > 0) || Double.isInfinite(seconds)) {
                throw new IllegalArgumentException("phase duration: " + seconds + " (expected: > 0 s)");
            }
        }
    }

    public RateSchedule {
        phases = List.copyOf(phases);
        if (phases.isEmpty()) {
            throw new IllegalArgumentException("schedule: empty (expected: at least one RATE:SECONDS phase)");
        }
    }

    public static RateSchedule constant(double requestsPerSecond, double seconds) {
        return new RateSchedule(List.of(new Phase(requestsPerSecond, seconds)));
    }

    /** Parses {@code RATE:SECONDS[,RATE:SECONDS]...}, e.g. {@code 1000:10,2000:10,4000:10}. */
    public static RateSchedule parse(String text) {
        List<Phase> phases = new ArrayList<>();
        for (String part : text.split(",")) {
            String[] fields = part.trim().split(":");
            if (fields.length != 2) {
                throw new IllegalArgumentException("schedule: '" + part.trim() + "' (expected: RATE:SECONDS, e.g. 1000:10)");
            }
            try {
                phases.add(new Phase(Double.parseDouble(fields[0].trim()), Double.parseDouble(fields[1].trim())));
            } catch (NumberFormatException e) {
                throw new IllegalArgumentException("schedule: '" + part.trim() + "' (expected: two numbers RATE:SECONDS)", e);
            }
        }
        return new RateSchedule(phases);
    }

    public double totalSeconds() {
        double total = 0;
        for (Phase phase : phases) {
            total += phase.seconds();
        }
        return total;
    }

    /** Requests per second intended over the whole schedule. */
    public double averageRequestsPerSecond() {
        double requests = 0;
        for (Phase phase : phases) {
            requests += phase.requestsPerSecond() * phase.seconds();
        }
        return requests / totalSeconds();
    }

    /** The rate at {@code seconds} after the start of the schedule; the last phase's rate after its end. */
    public double rateAt(double seconds) {
        double phaseEnd = 0;
        for (Phase phase : phases) {
            phaseEnd += phase.seconds();
            if (seconds < phaseEnd) {
                return phase.requestsPerSecond();
            }
        }
        return phases.get(phases.size() - 1).requestsPerSecond();
    }

    public double firstRate() {
        return phases.get(0).requestsPerSecond();
    }
}

package dev.vantage.perf.internal;

import java.io.BufferedReader;
import java.io.IOException;
import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.ArrayList;
import java.util.Arrays;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Map;

/**
 * The tracks of a location trace file (CSV {@code user,ts_ms,lat,lon}, sorted by user then time, one header
 * line allowed). Immutable after {@link #load}; {@link #positionAt} may be called from any thread.
 */
public final class LocationTrace {

    private final List<Track> tracks;

    private record Track(String user, long[] timesMillis, double[] lats, double[] lons) {
        long startMillis() {
            return timesMillis[0];
        }

        long spanMillis() {
            return Math.max(1, timesMillis[timesMillis.length - 1] - timesMillis[0]);
        }
    }

    private LocationTrace(List<Track> tracks) {
        this.tracks = tracks;
    }

    public static LocationTrace load(Path file) throws IOException {
        Map<String, List<double[]>> rows = new LinkedHashMap<>();
        try (BufferedReader reader = Files.newBufferedReader(file, StandardCharsets.UTF_8)) {
            String line;
            int lineNumber = 0;
            while ((line = reader.readLine()) != null) {
                lineNumber++;
                if (line.isBlank() || (lineNumber == 1 && line.startsWith("user"))) {
                    continue;
                }
                String[] f = line.split(",");
                if (f.length != 4) {
                    throw new IllegalArgumentException(file + ":" + lineNumber + ": '" + line
                            + "' (expected: user,ts_ms,lat,lon)");
                }
                try {
                    rows.computeIfAbsent(f[0].trim(), u -> new ArrayList<>()).add(new double[] {
                            Long.parseLong(f[1].trim()), Double.parseDouble(f[2].trim()), Double.parseDouble(f[3].trim())});
                } catch (NumberFormatException e) {
                    throw new IllegalArgumentException(file + ":" + lineNumber + ": '" + line
                            + "' (expected: user,ts_ms,lat,lon with numbers)", e);
                }
            }
        }
        List<Track> tracks = new ArrayList<>();
        for (Map.Entry<String, List<double[]>> user : rows.entrySet()) {
            List<double[]> fixes = user.getValue();
            fixes.sort((a, b) -> Double.compare(a[0], b[0]));
            int n = fixes.size();
            long[] times = new long[n];
            double[] lats = new double[n];
            double[] lons = new double[n];
            for (int i = 0; i < n; i++) {
                times[i] = (long) fixes.get(i)[0];
                lats[i] = fixes.get(i)[1];
                lons[i] = fixes.get(i)[2];
            }
            tracks.add(new Track(user.getKey(), times, lats, lons));
        }
        if (tracks.isEmpty()) {
            throw new IllegalArgumentException(file + ": no fixes (expected: lines user,ts_ms,lat,lon)");
        }
        return new LocationTrace(List.copyOf(tracks));
    }

    public int trackCount() {
        return tracks.size();
    }

    /**
     * Where simulated user {@code userIndex} is after {@code traceMillis} of trace time: the user follows track
     * {@code userIndex % trackCount}, shifted by a per-user offset so that users sharing a track are apart, and
     * starts over at the end of the track. Returns {@code {lat, lon}} of the last fix at or before that time.
     */
    public double[] positionAt(int userIndex, long traceMillis) {
        Track track = tracks.get(userIndex % tracks.size());
        int lap = userIndex / tracks.size();
        long offset = (traceMillis + lap * (track.spanMillis() / 7)) % track.spanMillis();
        int i = Arrays.binarySearch(track.timesMillis(), track.startMillis() + offset);
        if (i < 0) {
            i = Math.max(0, -i - 2);
        }
        return new double[] {track.lats()[i], track.lons()[i]};
    }
}

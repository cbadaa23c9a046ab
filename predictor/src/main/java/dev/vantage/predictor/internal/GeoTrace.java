package dev.vantage.predictor.internal;

import java.io.BufferedReader;
import java.io.IOException;
import java.io.UncheckedIOException;
import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.ArrayList;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Map;

/**
 * Location traces ({@code user,ts_ms,lat,lon}), stay-point detection and the 500 m grid of places used by the
 * next-place protocol of the data README.
 */
public final class GeoTrace {

    /** One GPS fix. */
    public record Fix(long timeMillis, double lat, double lon) {}

    /** A stay: the user remained within the distance threshold for at least the time threshold. */
    public record StayPoint(long arriveMillis, long leaveMillis, double lat, double lon) {}

    public static final double STAY_DISTANCE_METRES = 200;
    public static final long STAY_MIN_MILLIS = 20 * 60_000L;
    public static final double CELL_METRES = 500;

    private GeoTrace() {
    }

    /** Reads a trace, grouped by user in file order; every malformed line is reported at once. */
    public static Map<String, List<Fix>> read(Path file) {
        Map<String, List<Fix>> byUser = new LinkedHashMap<>();
        List<String> problems = new ArrayList<>();
        try (BufferedReader r = Files.newBufferedReader(file, StandardCharsets.UTF_8)) {
            String line;
            int lineNo = 0;
            while ((line = r.readLine()) != null) {
                lineNo++;
                if (line.isBlank() || (lineNo == 1 && line.startsWith("user"))) {
                    continue;
                }
                String[] p = line.split(",");
                if (p.length != 4) {
                    problems.add(file + ":" + lineNo + ": " + p.length + " columns (expected: 4, user,ts_ms,lat,lon)");
                    continue;
                }
                try {
                    long ts = Long.parseLong(p[1].trim());
                    double lat = Double.parseDouble(p[2].trim());
                    double lon = Double.parseDouble(p[3].trim());
                    if (lat < -90 || lat > 90 || lon < -180 || lon > 180) {
                        problems.add(file + ":" + lineNo + ": lat,lon " + lat + "," + lon + " (expected: -90..90,-180..180)");
                        continue;
                    }
                    byUser.computeIfAbsent(p[0].trim(), u -> new ArrayList<>()).add(new Fix(ts, lat, lon));
                } catch (NumberFormatException e) {
                    problems.add(file + ":" + lineNo + ": '" + line + "' (expected: user,ts_ms,lat,lon with numbers)");
                }
                if (problems.size() >= 20) {
                    break;
                }
            }
        } catch (IOException e) {
            throw new UncheckedIOException("cannot read " + file + ": " + e.getMessage(), e);
        }
        if (!problems.isEmpty()) {
            throw new IllegalArgumentException(String.join("\n", problems));
        }
        for (List<Fix> fixes : byUser.values()) {
            fixes.sort((a, b) -> Long.compare(a.timeMillis(), b.timeMillis()));
        }
        return byUser;
    }

    /** Great-circle distance in metres (equirectangular; exact enough below a few km). */
    public static double distanceMetres(double lat1, double lon1, double lat2, double lon2) {
        double x = Math.toRadians(lon2 - lon1) * Math.cos(Math.toRadians((lat1 + lat2) / 2));
        double y = Math.toRadians(lat2 - lat1);
        return Math.sqrt(x * x + y * y) * 6_371_008.8;
    }

    /**
     * Stay points (Li et al. 2008): from each fix, extend while later fixes stay within the distance threshold;
     * when the run lasts at least the time threshold it is a stay at the mean position.
     */
    public static List<StayPoint> stayPoints(List<Fix> fixes) {
        List<StayPoint> out = new ArrayList<>();
        int i = 0;
        int n = fixes.size();
        while (i < n) {
            Fix a = fixes.get(i);
            int j = i + 1;
            while (j < n && distanceMetres(a.lat(), a.lon(), fixes.get(j).lat(), fixes.get(j).lon()) <= STAY_DISTANCE_METRES) {
                j++;
            }
            Fix last = fixes.get(j - 1);
            if (last.timeMillis() - a.timeMillis() >= STAY_MIN_MILLIS) {
                double lat = 0;
                double lon = 0;
                for (int k = i; k < j; k++) {
                    lat += fixes.get(k).lat();
                    lon += fixes.get(k).lon();
                }
                out.add(new StayPoint(a.timeMillis(), last.timeMillis(), lat / (j - i), lon / (j - i)));
                i = j;
            } else {
                i++;
            }
        }
        return out;
    }

    /** The ~500 m grid cell of a position, as one long (latitude row in the high half, longitude column low). */
    public static long cell(double lat, double lon) {
        double latStep = CELL_METRES / 110_540.0;
        long row = (long) Math.floor(lat / latStep);
        double rowLat = (row + 0.5) * latStep;
        double lonStep = CELL_METRES / (111_320.0 * Math.max(0.01, Math.cos(Math.toRadians(rowLat))));
        long col = (long) Math.floor(lon / lonStep);
        return (row << 32) | (col & 0xFFFFFFFFL);
    }

    /** Centre latitude of a cell. */
    public static double cellLat(long cell) {
        double latStep = CELL_METRES / 110_540.0;
        return ((cell >> 32) + 0.5) * latStep;
    }

    /** Centre longitude of a cell. */
    public static double cellLon(long cell) {
        double latStep = CELL_METRES / 110_540.0;
        double rowLat = ((cell >> 32) + 0.5) * latStep;
        double lonStep = CELL_METRES / (111_320.0 * Math.max(0.01, Math.cos(Math.toRadians(rowLat))));
        return ((int) (cell & 0xFFFFFFFFL) + 0.5) * lonStep;
    }
}

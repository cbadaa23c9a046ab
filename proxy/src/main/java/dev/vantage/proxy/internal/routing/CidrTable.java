package dev.vantage.proxy.internal.routing;

import java.io.IOException;
import java.net.Inet4Address;
import java.net.InetAddress;
import java.net.UnknownHostException;
import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.ArrayList;
import java.util.List;

import org.agrona.collections.Long2LongHashMap;

import dev.vantage.config.CidrLocation;
import dev.vantage.config.GeoPoint;

/**
 * Longest-prefix match of client addresses (IPv4 and IPv6) to known locations. IPv4 blocks live in the IPv6 space
 * as {@code ::ffff:a.b.c.d/96+n}. One hash map per prefix length that occurs, tried longest first, so a lookup costs
 * one map probe per distinct prefix length and allocates nothing for IPv4 clients.
 *
 * <p>Threading: immutable after construction; safe for any number of readers.
 */
final class CidrTable {

    /** One located block. */
    record Entry(String cidr, GeoPoint location, String region, double x, double y, double z) {
    }

    private static final long V4_MAPPED_LO = 0x0000_ffff_0000_0000L;

    private final Entry[] entries;
    private final long[] entryHi;
    private final long[] entryLo;
    private final int[] entryLength;
    private final int[] lengths;
    private final Long2LongHashMap[] byLength;

    private CidrTable(List<Entry> list, List<long[]> prefixes) {
        entries = list.toArray(new Entry[0]);
        entryHi = new long[entries.length];
        entryLo = new long[entries.length];
        entryLength = new int[entries.length];
        Long2LongHashMap[] maps = new Long2LongHashMap[129];
        for (int i = 0; i < entries.length; i++) {
            long[] p = prefixes.get(i);
            entryHi[i] = p[0];
            entryLo[i] = p[1];
            entryLength[i] = (int) p[2];
            int len = entryLength[i];
            if (maps[len] == null) {
                maps[len] = new Long2LongHashMap(-1);
            }
            long key = key(p[0], p[1]);
            long previous = maps[len].get(key);
            if (previous >= 0) {
                // Same block listed twice (or a 64-bit hash collision): the first one wins, as in route order.
                continue;
            }
            maps[len].put(key, i);
        }
        int count = 0;
        for (int len = 128; len >= 0; len--) {
            if (maps[len] != null) {
                count++;
            }
        }
        lengths = new int[count];
        byLength = new Long2LongHashMap[count];
        int at = 0;
        for (int len = 128; len >= 0; len--) {
            if (maps[len] != null) {
                lengths[at] = len;
                byLength[at++] = maps[len];
            }
        }
    }

    static CidrTable empty() {
        return new CidrTable(List.of(), List.of());
    }

    /**
     * A table of the inline blocks followed by the CSV file's (inline ones win on identical blocks).
     *
     * @throws IllegalArgumentException listing every malformed block, with the file and line for CSV rows
     */
    static CidrTable of(List<CidrLocation> inline, Path csvFile) {
        List<Entry> list = new ArrayList<>();
        List<long[]> prefixes = new ArrayList<>();
        List<String> problems = new ArrayList<>();
        for (int i = 0; i < inline.size(); i++) {
            CidrLocation c = inline.get(i);
            add(list, prefixes, problems, "location.cidrLocations[" + i + "]", c.cidr(), c.location(), c.region());
        }
        if (csvFile != null) {
            readCsv(csvFile, list, prefixes, problems);
        }
        if (!problems.isEmpty()) {
            throw new IllegalArgumentException(String.join("\n", problems));
        }
        return new CidrTable(list, prefixes);
    }

    private static void readCsv(Path file, List<Entry> list, List<long[]> prefixes, List<String> problems) {
        List<String> lines;
        try {
            lines = Files.readAllLines(file, StandardCharsets.UTF_8);
        } catch (IOException e) {
            problems.add(file + ": cannot read (" + e.getMessage() + ")");
            return;
        }
        for (int n = 0; n < lines.size(); n++) {
            String line = lines.get(n).strip();
            String where = file + ":" + (n + 1);
            if (line.isEmpty() || line.startsWith("#") || (n == 0 && line.toLowerCase().startsWith("cidr"))) {
                continue;
            }
            String[] cells = line.split(",", -1);
            if (cells.length < 3 || cells.length > 4) {
                problems.add(where + ": " + line + " (expected: cidr,lat,lon,region)");
                continue;
            }
            double lat;
            double lon;
            try {
                lat = Double.parseDouble(cells[1].strip());
                lon = Double.parseDouble(cells[2].strip());
            } catch (NumberFormatException e) {
                problems.add(where + ": lat,lon " + cells[1] + "," + cells[2] + " (expected: decimal degrees)");
                continue;
            }
            if (!(lat >= -90 && lat <= 90) || !(lon >= -180 && lon <= 180)) {
                problems.add(where + ": lat,lon " + lat + "," + lon + " (expected: -90..90,-180..180)");
                continue;
            }
            String region = cells.length == 4 && !cells[3].isBlank() ? cells[3].strip() : null;
            add(list, prefixes, problems, where, cells[0].strip(), new GeoPoint(lat, lon), region);
        }
    }

    private static void add(List<Entry> list, List<long[]> prefixes, List<String> problems, String where,
                            String cidr, GeoPoint location, String region) {
        long[] prefix = parse(cidr);
        if (prefix == null) {
            problems.add(where + ": cidr " + cidr
                    + " (expected: an IPv4 block a.b.c.d/0..32 or an IPv6 block x:y::/0..128)");
            return;
        }
        double[] v = unitVector(location.latitude(), location.longitude());
        list.add(new Entry(cidr, location, region, v[0], v[1], v[2]));
        prefixes.add(prefix);
    }

    /** {hi, lo, length} of a CIDR block with the host bits cleared, or null when malformed. */
    static long[] parse(String cidr) {
        int slash = cidr.indexOf('/');
        String address = slash < 0 ? cidr : cidr.substring(0, slash);
        if (address.isEmpty() || !isIpLiteral(address)) {
            return null;
        }
        InetAddress ip;
        try {
            ip = InetAddress.getByName(address);
        } catch (UnknownHostException e) {
            return null;
        }
        byte[] bytes = ip.getAddress();
        boolean v4 = ip instanceof Inet4Address;
        int maxLength = v4 ? 32 : 128;
        int length;
        try {
            length = slash < 0 ? maxLength : Integer.parseInt(cidr.substring(slash + 1));
        } catch (NumberFormatException e) {
            return null;
        }
        if (length < 0 || length > maxLength) {
            return null;
        }
        long hi;
        long lo;
        if (v4) {
            hi = 0;
            lo = V4_MAPPED_LO | (toInt(bytes, 0) & 0xffff_ffffL);
            length += 96;
        } else {
            hi = (long) toInt(bytes, 0) << 32 | (toInt(bytes, 4) & 0xffff_ffffL);
            lo = (long) toInt(bytes, 8) << 32 | (toInt(bytes, 12) & 0xffff_ffffL);
        }
        return new long[] {maskHi(hi, length), maskLo(lo, length), length};
    }

    private static boolean isIpLiteral(String text) {
        for (int i = 0; i < text.length(); i++) {
            char c = text.charAt(i);
            boolean ok = (c >= '0' && c <= '9') || (c >= 'a' && c <= 'f') || (c >= 'A' && c <= 'F') || c == ':' || c == '.';
            if (!ok) {
                return false;
            }
        }
        return text.indexOf(':') >= 0 || text.chars().filter(c -> c == '.').count() == 3;
    }

    private static int toInt(byte[] b, int at) {
        return (b[at] & 0xff) << 24 | (b[at + 1] & 0xff) << 16 | (b[at + 2] & 0xff) << 8 | (b[at + 3] & 0xff);
    }

    int size() {
        return entries.length;
    }

    Entry entry(int index) {
        return entries[index];
    }

    /** The longest block containing {@code address}, or -1. Allocates nothing for IPv4 addresses. */
    int lookup(InetAddress address) {
        if (address == null || lengths.length == 0) {
            return -1;
        }
        if (address instanceof Inet4Address) {
            // Inet4Address.hashCode() is the address itself: no copy of the bytes.
            return lookup(0, V4_MAPPED_LO | (address.hashCode() & 0xffff_ffffL));
        }
        byte[] b = address.getAddress();
        return lookup((long) toInt(b, 0) << 32 | (toInt(b, 4) & 0xffff_ffffL),
                (long) toInt(b, 8) << 32 | (toInt(b, 12) & 0xffff_ffffL));
    }

    int lookup(long hi, long lo) {
        for (int i = 0; i < lengths.length; i++) {
            int len = lengths[i];
            long mh = maskHi(hi, len);
            long ml = maskLo(lo, len);
            long index = byLength[i].get(key(mh, ml));
            if (index >= 0 && entryHi[(int) index] == mh && entryLo[(int) index] == ml) {
                return (int) index;
            }
        }
        return -1;
    }

    private static long key(long hi, long lo) {
        return Hashing.mix(hi * 0x9e3779b97f4a7c15L ^ Hashing.mix(lo));
    }

    private static long maskHi(long hi, int length) {
        if (length >= 64) {
            return hi;
        }
        return length == 0 ? 0 : hi & (-1L << (64 - length));
    }

    private static long maskLo(long lo, int length) {
        if (length <= 64) {
            return 0;
        }
        return length == 128 ? lo : lo & (-1L << (128 - length));
    }

    /** The unit vector of a point on the sphere: x, y, z. */
    static double[] unitVector(double latitudeDegrees, double longitudeDegrees) {
        double lat = Math.toRadians(latitudeDegrees);
        double lon = Math.toRadians(longitudeDegrees);
        return new double[] {Math.cos(lat) * Math.cos(lon), Math.cos(lat) * Math.sin(lon), Math.sin(lat)};
    }
}

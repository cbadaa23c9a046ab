package dev.vantage.predictor.internal;

import java.io.IOException;
import java.nio.file.Files;
import java.nio.file.Path;
import java.nio.file.StandardCopyOption;
import java.util.ArrayList;
import java.util.List;

import net.openhft.chronicle.bytes.Bytes;
import net.openhft.chronicle.wire.ValueIn;
import net.openhft.chronicle.wire.ValueOut;
import net.openhft.chronicle.wire.Wire;
import net.openhft.chronicle.wire.WireType;

import dev.vantage.predictor.ModelAggregate;

/**
 * Saves and restores a {@link PredictorCore}'s state with Chronicle Wire (binary): the shared models as an
 * aggregate, then every user (LRU order, oldest first, so the restored LRU order is the same) with place counts,
 * histories and resource use. Written to a temporary file and moved into place, so a crash never leaves half a
 * file.
 *
 * <p>Threading: call from the owner thread of the core.
 */
public final class ModelStore {

    private static final int VERSION = 1;

    private ModelStore() {
    }

    public static void save(PredictorCore core, Path file) throws IOException {
        Bytes<?> bytes = Bytes.allocateElasticOnHeap(1 << 16);
        try {
            Wire wire = WireType.BINARY_LIGHT.apply(bytes);
            ValueOut out = wire.getValueOut();
            out.int32(VERSION);
            ModelAggregate agg = core.exportAggregate();
            writeStrings(out, agg.sites());
            writeStrings(out, agg.resources());
            writeCounts(out, agg.siteTransitions());
            writeCounts(out, agg.resourceSequences());
            out.int32(agg.siteByHour().size());
            for (ModelAggregate.HourCount h : agg.siteByHour()) {
                out.int32(h.hour());
                out.int32(h.site());
                out.int32(h.count());
            }
            List<UserState> users = new ArrayList<>();
            core.usersOldestFirst().forEach(users::add);
            out.int32(users.size());
            for (UserState u : users) {
                out.int64(u.key);
                out.int64(u.lastMillis);
                out.int64(u.arrivedMillis);
                out.float64(u.meanDwellMillis);
                List<int[]> counts = new ArrayList<>();
                u.places.forEachCount((context, order, symbol, count) -> {
                    int[] row = new int[order + 3];
                    row[0] = order;
                    System.arraycopy(context, 0, row, 1, order);
                    row[order + 1] = symbol;
                    row[order + 2] = count;
                    counts.add(row);
                });
                out.int32(counts.size());
                for (int[] row : counts) {
                    out.int32(row.length);
                    for (int x : row) {
                        out.int32(x);
                    }
                }
                writeInts(out, u.placeHistory, u.placeLength);
                writeInts(out, u.resourceHistory, u.resourceLength);
                out.int32(u.resourceCount);
                for (int i = 0; i < u.resourceCount; i++) {
                    out.int32(u.resource(i));
                    out.float64(u.resourceWeight(i));
                    out.float64(u.resourceRecent(i));
                    out.int64(u.resourceLastMillis(i));
                }
            }
            Path tmp = file.resolveSibling(file.getFileName() + ".tmp");
            Files.write(tmp, bytes.toByteArray());
            Files.move(tmp, file, StandardCopyOption.REPLACE_EXISTING, StandardCopyOption.ATOMIC_MOVE);
        } finally {
            bytes.releaseLast();
        }
    }

    /** Restores into a fresh core built with the same sites and settings. */
    public static void restore(PredictorCore core, Path file) throws IOException {
        Bytes<byte[]> bytes = Bytes.wrapForRead(Files.readAllBytes(file));
        Wire wire = WireType.BINARY_LIGHT.apply(bytes);
        ValueIn in = wire.getValueIn();
        int version = in.int32();
        if (version != VERSION) {
            throw new IOException(file + ": model version " + version + " (expected: " + VERSION + ")");
        }
        List<String> sites = readStrings(in);
        List<String> resources = readStrings(in);
        List<ModelAggregate.Count> transitions = readCounts(in);
        List<ModelAggregate.Count> sequences = readCounts(in);
        int hours = in.int32();
        List<ModelAggregate.HourCount> byHour = new ArrayList<>(hours);
        for (int i = 0; i < hours; i++) {
            byHour.add(new ModelAggregate.HourCount(in.int32(), in.int32(), in.int32()));
        }
        ModelAggregate agg = new ModelAggregate(sites, resources, transitions, sequences, byHour);
        core.merge(agg);
        int[] siteMap = new int[sites.size()];
        for (int i = 0; i < siteMap.length; i++) {
            siteMap[i] = core.siteIndex(sites.get(i));
        }
        int[] resourceMap = new int[resources.size()];
        for (int i = 0; i < resourceMap.length; i++) {
            resourceMap[i] = core.resourceIndex(resources.get(i));
        }
        int users = in.int32();
        int[] ctx = new int[17];
        for (int k = 0; k < users; k++) {
            UserState u = core.restoreUser(in.int64());
            u.lastMillis = in.int64();
            u.arrivedMillis = in.int64();
            u.meanDwellMillis = in.float64();
            int rows = in.int32();
            for (int r = 0; r < rows; r++) {
                int len = in.int32();
                int[] row = new int[len];
                for (int i = 0; i < len; i++) {
                    row[i] = in.int32();
                }
                int order = row[0];
                for (int i = 0; i < order; i++) {
                    ctx[i] = siteMap[row[1 + i]];
                }
                u.places.addCount(ctx, order, siteMap[row[order + 1]], row[order + 2]);
            }
            u.placeLength = readInts(in, u.placeHistory, siteMap);
            u.resourceLength = readInts(in, u.resourceHistory, resourceMap);
            u.resourceCount = in.int32();
            for (int i = 0; i < u.resourceCount; i++) {
                int resource = resourceMap[in.int32()];
                double weight = in.float64();
                double recent = in.float64();
                u.setResource(i, resource, weight, recent, in.int64());
            }
            u.dirty = true;
        }
    }

    private static void writeStrings(ValueOut out, List<String> values) {
        out.int32(values.size());
        for (String s : values) {
            out.text(s);
        }
    }

    private static List<String> readStrings(ValueIn in) {
        int n = in.int32();
        List<String> out = new ArrayList<>(n);
        for (int i = 0; i < n; i++) {
            out.add(in.text());
        }
        return out;
    }

    private static void writeCounts(ValueOut out, List<ModelAggregate.Count> counts) {
        out.int32(counts.size());
        for (ModelAggregate.Count c : counts) {
            out.int32(c.context().size());
            for (int x : c.context()) {
                out.int32(x);
            }
            out.int32(c.symbol());
            out.int32(c.count());
        }
    }

    private static List<ModelAggregate.Count> readCounts(ValueIn in) {
        int n = in.int32();
        List<ModelAggregate.Count> out = new ArrayList<>(n);
        for (int i = 0; i < n; i++) {
            int order = in.int32();
            List<Integer> ctx = new ArrayList<>(order);
            for (int k = 0; k < order; k++) {
                ctx.add(in.int32());
            }
            out.add(new ModelAggregate.Count(ctx, in.int32(), in.int32()));
        }
        return out;
    }

    private static void writeInts(ValueOut out, int[] values, int length) {
        out.int32(length);
        for (int i = 0; i < length; i++) {
            out.int32(values[i]);
        }
    }

    private static int readInts(ValueIn in, int[] into, int[] map) {
        int n = in.int32();
        for (int i = 0; i < n; i++) {
            int x = map[in.int32()];
            if (i < into.length) {
                into[i] = x;
            }
        }
        return Math.min(n, into.length);
    }
}

package dev.vantage.predictor.internal;

import java.util.Arrays;

/**
 * Variable-order Markov (PPM) counts over small integer symbols: for every context of length 1..maxOrder seen in
 * training, how often each symbol followed it, plus the order-0 counts. Predictions blend all orders by
 * interpolation with an escape probability ({@link #predict}); counts are additive, so models trained on disjoint
 * sets of sequences merge exactly ({@link #mergeFrom}).
 *
 * <p>Contexts are keyed by a 64-bit hash of (order, symbols); the successor lists are linked lists in flat
 * arrays, kept move-to-front so that frequent successors are found first (or, for shared models, found through a
 * hash index of (context, symbol)). Symbols must be in {@code 0..2^24}.
 *
 * <p>Threading: single writer; not safe for concurrent use.
 */
public final class SequenceModel {

    private final int maxOrder;

    private int[] order0Counts = new int[8];
    private int order0Total;
    private int alphabetSize;

    private final LongIntMap contextIndex;
    private long[] contextKeys;
    /** Per context, interleaved so that one cache line holds them: total, distinct successors, first entry. */
    private int[] contextData;
    private long[] contextSymbols;
    private int contextCount;

    /** Per entry, interleaved: symbol, count, next entry of the same context (-1 ends the list). */
    private int[] entries;
    private int entryCountUsed;

    /**
     * Order-1 contexts by their symbol (-1 = not seen), for symbols below {@link #DIRECT_SYMBOLS}: a flat array
     * indexed by place or resource that stays cache-resident, instead of a hash probe on every update.
     */
    private int[] order1Context = new int[0];
    static final int DIRECT_SYMBOLS = 1 << 16;
    /**
     * For indexed (shared) models: per order-1 context symbol below {@link #DENSE_SYMBOLS}, the entry (+1) of each
     * successor symbol below it, a dense row instead of a probe of the (context, symbol) hash index, which is too
     * large to stay in cache. At most 4 MiB.
     */
    private int[][] order1Rows = new int[0][];
    static final int DENSE_SYMBOLS = 1 << 10;

    private final int[] contextScratch;
    /** (context, symbol) to entry, for models with long successor lists; null for small per-user models. */
    private final LongIntMap entryIndex;

    public SequenceModel(int maxOrder) {
        this(maxOrder, 16);
    }

    public SequenceModel(int maxOrder, int expectedContexts) {
        this(maxOrder, expectedContexts, false);
    }

    /**
     * @param indexed keep a hash index of (context, symbol) so that an update costs O(1) instead of a scan of the
     *                context's successors; worth it for shared models with many successors per context
     */
    public SequenceModel(int maxOrder, int expectedContexts, boolean indexed) {
        if (maxOrder < 0 || maxOrder > 16) {
            throw new IllegalArgumentException("maxOrder: " + maxOrder + " (expected: 0..16)");
        }
        this.maxOrder = maxOrder;
        int n = Math.max(4, expectedContexts);
        contextIndex = new LongIntMap(n);
        contextKeys = new long[n];
        contextData = new int[3 * n];
        contextSymbols = new long[n];
        entries = new int[3 * n];
        contextScratch = new int[maxOrder + 1];
        entryIndex = indexed ? new LongIntMap(n) : null;
    }

    public int maxOrder() {
        return maxOrder;
    }

    /** Number of distinct symbols seen (the highest symbol + 1 that has a count). */
    public int alphabetSize() {
        return alphabetSize;
    }

    public int order0Total() {
        return order0Total;
    }

    public int order0Count(int symbol) {
        return symbol < order0Counts.length ? order0Counts[symbol] : 0;
    }

    public int contextCount() {
        return contextCount;
    }

    public int entryCount() {
        return entryCountUsed;
    }

    /** Learns that {@code next} followed {@code history[0..length)} (most recent last). */
    public void observe(int[] history, int length, int next) {
        add(history, length, next, 1);
    }

    /** Adds {@code weight} observations of {@code next} after the given history. */
    public void add(int[] history, int length, int next, int weight) {
        addOrder0(next, weight);
        int orders = Math.min(maxOrder, length);
        long key = 0;
        long packed = 0;
        for (int k = 1; k <= orders; k++) {
            int s = history[length - k];
            key = extend(key, k, s);
            packed = k <= 4 && s >= 0 && s < 0xFFFF && packed >= 0 ? packed | ((long) (s + 1) << (16 * (k - 1))) : -1;
            addToContext(key, packed, k == 1 ? s : -1, next, weight);
        }
    }

    /** The index of a context, or {@link LongIntMap#MISSING}; {@code order1Symbol} >= 0 for order-1 contexts. */
    private int context(long key, int order1Symbol) {
        if (order1Symbol >= 0 && order1Symbol < DIRECT_SYMBOLS) {
            return order1Symbol < order1Context.length ? order1Context[order1Symbol] : LongIntMap.MISSING;
        }
        return contextIndex.get(key);
    }

    /** Hash of the context (order k) formed by appending {@code symbol} at distance k to the order k-1 key. */
    public static long extend(long previousKey, int order, int symbol) {
        long z = previousKey ^ ((long) order << 40) ^ (symbol + 0x9E3779B97F4A7C15L * order);
        z = (z ^ (z >>> 30)) * 0xBF58476D1CE4E5B9L;
        z = (z ^ (z >>> 27)) * 0x94D049BB133111EBL;
        return z ^ (z >>> 31);
    }

    private void addOrder0(int symbol, int weight) {
        if (symbol < 0 || symbol >= (1 << 24)) {
            throw new IllegalArgumentException("symbol: " + symbol + " (expected: 0..16777215)");
        }
        if (symbol >= order0Counts.length) {
            order0Counts = Arrays.copyOf(order0Counts, Math.max(symbol + 1, order0Counts.length * 2));
        }
        order0Counts[symbol] += weight;
        order0Total += weight;
        if (symbol >= alphabetSize) {
            alphabetSize = symbol + 1;
        }
    }

    private void addToContext(long key, long packed, int order1Symbol, int symbol, int weight) {
        int ctx = context(key, order1Symbol);
        if (ctx == LongIntMap.MISSING) {
            ctx = newContext(key, packed, order1Symbol);
        }
        contextData[3 * ctx] += weight;
        if (entryIndex != null && order1Symbol >= 0 && order1Symbol < DENSE_SYMBOLS && symbol < DENSE_SYMBOLS) {
            int[] row = denseRow(order1Symbol, symbol);
            int e = row[symbol] - 1;
            if (e >= 0) {
                entries[3 * e + 1] += weight;
                return;
            }
            row[symbol] = newEntry(ctx, symbol, weight) + 1;
            return;
        }
        if (entryIndex != null) {
            long entryKey = ((long) ctx << 24) | symbol;
            int e = entryIndex.get(entryKey);
            if (e != LongIntMap.MISSING) {
                entries[3 * e + 1] += weight;
                return;
            }
            entryIndex.put(entryKey, newEntry(ctx, symbol, weight));
            return;
        }
        int prev = -1;
        for (int e = contextData[3 * ctx + 2]; e >= 0; prev = e, e = entries[3 * e + 2]) {
            if (entries[3 * e] == symbol) {
                entries[3 * e + 1] += weight;
                if (prev >= 0) {
                    entries[3 * prev + 2] = entries[3 * e + 2];
                    entries[3 * e + 2] = contextData[3 * ctx + 2];
                    contextData[3 * ctx + 2] = e;
                }
                return;
            }
        }
        newEntry(ctx, symbol, weight);
    }

    /** The dense successor row of an order-1 context, grown to hold {@code symbol}. */
    private int[] denseRow(int contextSymbol, int symbol) {
        if (contextSymbol >= order1Rows.length) {
            order1Rows = Arrays.copyOf(order1Rows, Math.min(DENSE_SYMBOLS, Math.max(contextSymbol + 1, 2 * order1Rows.length)));
        }
        int[] row = order1Rows[contextSymbol];
        if (row == null || symbol >= row.length) {
            int[] grown = new int[Math.min(DENSE_SYMBOLS, Math.max(symbol + 1, row == null ? 16 : 2 * row.length))];
            if (row != null) {
                System.arraycopy(row, 0, grown, 0, row.length);
            }
            order1Rows[contextSymbol] = grown;
            row = grown;
        }
        return row;
    }

    private int newEntry(int ctx, int symbol, int weight) {
        if (3 * entryCountUsed == entries.length) {
            int n = entries.length / 3 + (entries.length / 6) + 1;
            entries = Arrays.copyOf(entries, 3 * n);
        }
        int e = entryCountUsed++;
        entries[3 * e] = symbol;
        entries[3 * e + 1] = weight;
        entries[3 * e + 2] = contextData[3 * ctx + 2];
        contextData[3 * ctx + 2] = e;
        contextData[3 * ctx + 1]++;
        return e;
    }

    private int newContext(long key, long packed, int order1Symbol) {
        if (contextCount == contextKeys.length) {
            int n = contextKeys.length + (contextKeys.length >> 1) + 1;
            contextKeys = Arrays.copyOf(contextKeys, n);
            contextData = Arrays.copyOf(contextData, 3 * n);
            contextSymbols = Arrays.copyOf(contextSymbols, n);
        }
        int ctx = contextCount++;
        contextKeys[ctx] = key;
        contextSymbols[ctx] = packed;
        contextData[3 * ctx + 2] = -1;
        contextIndex.put(key, ctx);
        if (order1Symbol >= 0 && order1Symbol < DIRECT_SYMBOLS) {
            if (order1Symbol >= order1Context.length) {
                int old = order1Context.length;
                order1Context = Arrays.copyOf(order1Context, Math.min(DIRECT_SYMBOLS, Math.max(order1Symbol + 1, old * 2)));
                Arrays.fill(order1Context, old, order1Context.length, LongIntMap.MISSING);
            }
            order1Context[order1Symbol] = ctx;
        }
        return ctx;
    }

    /** Adds every count of {@code other} (same maxOrder, same symbol numbering) to this model. */
    public void mergeFrom(SequenceModel other) {
        mergeFrom(other, null);
    }

    /**
     * Adds every count of {@code other} to this model, renumbering its symbols through {@code symbolMap}
     * ({@code null} = identity): the federated merge. Contexts are rebuilt from their symbols, so the result is
     * exactly the model that would have been trained on both inputs.
     */
    public void mergeFrom(SequenceModel other, int[] symbolMap) {
        other.forEachCount((context, order, symbol, count) -> {
            int[] mapped = new int[order];
            for (int i = 0; i < order; i++) {
                mapped[i] = symbolMap == null ? context[i] : symbolMap[context[i]];
            }
            addCount(mapped, order, symbolMap == null ? symbol : symbolMap[symbol], count);
        });
    }

    /**
     * Visits every count with its context, most recent symbol first ({@code order == 0} for the order-0 counts).
     * Fails for contexts whose symbols are not in 0..65534 or longer than 4 (those are kept only as hashes).
     */
    public void forEachCount(CountVisitor visitor) {
        int[] context = new int[4];
        for (int s = 0; s < alphabetSize; s++) {
            if (order0Counts[s] > 0) {
                visitor.count(context, 0, s, order0Counts[s]);
            }
        }
        for (int ctx = 0; ctx < contextCount; ctx++) {
            long packed = contextSymbols[ctx];
            if (packed < 0) {
                throw new IllegalStateException("context " + ctx + " has symbols above 65534 or order above 4 "
                        + "(expected: exportable contexts)");
            }
            int order = 0;
            while (order < 4 && ((packed >>> (16 * order)) & 0xFFFF) != 0) {
                context[order] = (int) ((packed >>> (16 * order)) & 0xFFFF) - 1;
                order++;
            }
            for (int e = contextData[3 * ctx + 2]; e >= 0; e = entries[3 * e + 2]) {
                visitor.count(context, order, entries[3 * e], entries[3 * e + 1]);
            }
        }
    }

    /** Adds {@code count} observations of {@code symbol} after a context given most recent symbol first. */
    public void addCount(int[] contextMostRecentFirst, int order, int symbol, int count) {
        if (order == 0) {
            addOrder0(symbol, count);
            return;
        }
        long key = 0;
        long packed = 0;
        for (int k = 1; k <= order; k++) {
            int s = contextMostRecentFirst[k - 1];
            key = extend(key, k, s);
            packed = k <= 4 && s >= 0 && s < 0xFFFF && packed >= 0 ? packed | ((long) (s + 1) << (16 * (k - 1))) : -1;
        }
        addToContext(key, packed, order == 1 ? contextMostRecentFirst[0] : -1, symbol, count);
    }

    /** Receives one count; the context array is reused between calls. */
    @FunctionalInterface
    public interface CountVisitor {
        void count(int[] contextMostRecentFirst, int order, int symbol, int count);
    }

    /** Approximate heap bytes of the counts, for memory metrics. */
    public long footprintBytes() {
        return 64 + (long) order0Counts.length * 4 + contextIndex.footprintBytes()
                + (entryIndex == null ? 0 : entryIndex.footprintBytes())
                + (long) contextKeys.length * 28 + (long) entries.length * 4 + (long) order1Context.length * 4
                + denseRowBytes();
    }

    private long denseRowBytes() {
        long bytes = 16L + 4L * order1Rows.length;
        for (int[] row : order1Rows) {
            bytes += row == null ? 0 : 16 + 4L * row.length;
        }
        return bytes;
    }

    /**
     * Writes the blended distribution over symbols {@code 0..alphabetSize()} into {@code out} (index
     * {@code alphabetSize()} is the "unseen symbol" class) and returns the highest order that was found.
     *
     * <p>{@code P_k(x) = max(c_k(x) - discount, 0) / (T_k + escape D_k) + gamma_k P_{k-1}(x)} with
     * {@code gamma_k = (discount + escape) D_k / (T_k + escape D_k)}, where {@code T_k} is the context's total and
     * {@code D_k} its number of distinct successors; {@code P_{-1}} is uniform over the alphabet plus the unseen
     * class. {@code discount = 0, escape = 1} is PPM-C (Witten-Bell) blending; {@code escape = 0} is absolute
     * discounting; a tiny escape with no discount is "highest order with backoff".
     *
     * @param out at least {@code alphabetSize() + 1} long
     */
    public int predict(int[] history, int length, int useOrder, double discount, double escape, double[] out) {
        int v = alphabetSize;
        int orders = Math.min(Math.min(maxOrder, useOrder), length);
        int found = 0;
        long key = 0;
        for (int k = 1; k <= orders; k++) {
            int symbol = history[length - k];
            key = extend(key, k, symbol);
            int ctx = context(key, k == 1 ? symbol : -1);
            if (ctx == LongIntMap.MISSING) {
                break;
            }
            contextScratch[k] = ctx;
            found = k;
        }
        // Weight of each order's own term: product of the escapes of all higher orders.
        double weight = 1.0;
        Arrays.fill(out, 0, v + 1, 0.0);
        for (int k = found; k >= 1; k--) {
            int ctx = contextScratch[k];
            double denom = contextData[3 * ctx] + escape * contextData[3 * ctx + 1];
            double scale = weight / denom;
            for (int e = contextData[3 * ctx + 2]; e >= 0; e = entries[3 * e + 2]) {
                double c = entries[3 * e + 1] - discount;
                if (c > 0) {
                    out[entries[3 * e]] += c * scale;
                }
            }
            weight *= (discount + escape) * contextData[3 * ctx + 1] / denom;
        }
        int distinct0 = 0;
        for (int s = 0; s < v; s++) {
            if (order0Counts[s] > 0) {
                distinct0++;
            }
        }
        if (order0Total > 0) {
            double denom = order0Total + escape * distinct0;
            double scale = weight / denom;
            for (int s = 0; s < v; s++) {
                double c = order0Counts[s] - discount;
                if (c > 0) {
                    out[s] += c * scale;
                }
            }
            weight *= Math.max((discount + escape) * distinct0 / denom, 1e-9);
        }
        // No renormalisation: the terms sum to 1 by construction, and adding them per symbol in a fixed order
        // keeps merged and centrally trained models bit-identical whatever their symbol numbering.
        double uniform = weight / (v + 1);
        for (int s = 0; s <= v; s++) {
            out[s] += uniform;
        }
        return found;
    }
}

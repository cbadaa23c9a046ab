package dev.vantage.predictor;

import java.io.IOException;
import java.io.UncheckedIOException;
import java.nio.ByteBuffer;
import java.nio.file.Path;
import java.time.InstantSource;
import java.util.List;
import java.util.Locale;
import java.util.Map;
import java.util.concurrent.CompletableFuture;
import java.util.concurrent.ConcurrentLinkedQueue;
import java.util.concurrent.atomic.AtomicLong;
import java.util.function.Consumer;

import org.agrona.MutableDirectBuffer;
import org.agrona.concurrent.Agent;
import org.agrona.concurrent.AgentRunner;
import org.agrona.concurrent.BackoffIdleStrategy;
import org.agrona.concurrent.UnsafeBuffer;
import org.agrona.concurrent.ringbuffer.ManyToOneRingBuffer;
import org.agrona.concurrent.ringbuffer.RingBuffer;
import org.agrona.concurrent.ringbuffer.RingBufferDescriptor;

import dev.vantage.config.PredictorSettings;
import dev.vantage.config.Site;
import dev.vantage.predictor.internal.ModelStore;
import dev.vantage.predictor.internal.PredictorCore;

/**
 * The predictor of one site: access events are offered from any thread into a many-to-one ring (offering never
 * blocks; a full ring counts a drop), one owner thread ({@link #doWork}, an Agrona {@link Agent}) learns from them
 * and publishes an immutable {@link DecisionSnapshot} at most every {@code decisionIntervalMillis} through a
 * volatile reference ({@link #snapshot}).
 *
 * <p>Everything that touches model state (hints, federation, persistence) is queued as a task and runs on the
 * owner thread; the futures complete there. Threading: {@link #offerAccess}, {@link #snapshot}, {@link #weight},
 * {@link #outlook}, {@link #metricsText} and the task methods are safe from any thread; {@link #doWork} only from
 * the owner (or through {@link #start}).
 */
public final class Predictor implements Agent, AutoCloseable {

    static final int ACCESS_MSG = 1;
    private static final int MAX_KEY_CHARS = 256;

    private final PredictorSettings settings;
    private final InstantSource clock;
    private final PredictorCore core;
    private final RingBuffer ring;
    private final ConcurrentLinkedQueue<Consumer<PredictorCore>> tasks = new ConcurrentLinkedQueue<>();
    private final AtomicLong dropped = new AtomicLong();
    private final AtomicLong rejected = new AtomicLong();
    private volatile DecisionSnapshot snapshot = DecisionSnapshot.EMPTY;
    private volatile long[] gauges = new long[6];
    private long lastDecisionMillis = Long.MIN_VALUE / 2;
    private long decisions;
    private AgentRunner runner;

    private final org.agrona.concurrent.MessageHandler handler = this::onMessage;

    /**
     * @param sites        the sites of the policy (places are sites; a GPS fix maps to the nearest site)
     * @param settings     the policy's predictor settings
     * @param clock        decision timing
     * @param ringCapacityBytes power of two, e.g. 1 MiB
     */
    public Predictor(List<Site> sites, PredictorSettings settings, InstantSource clock, int ringCapacityBytes) {
        if (Integer.bitCount(ringCapacityBytes) != 1) {
            throw new IllegalArgumentException("ringCapacityBytes: " + ringCapacityBytes + " (expected: a power of two)");
        }
        this.settings = settings;
        this.clock = clock;
        this.core = new PredictorCore(sites, settings);
        this.ring = new ManyToOneRingBuffer(new UnsafeBuffer(
                ByteBuffer.allocateDirect(ringCapacityBytes + RingBufferDescriptor.TRAILER_LENGTH)));
    }

    public static Predictor create(List<Site> sites, PredictorSettings settings, InstantSource clock) {
        return new Predictor(sites, settings, clock, 1 << 20);
    }

    /**
     * Offers one access event; never blocks. Returns false (and counts a drop) when the ring is full, or counts a
     * rejection when a key is longer than 256 characters.
     *
     * @param lat latitude of the user's device, or NaN
     * @param lon longitude, or NaN
     */
    public boolean offerAccess(CharSequence userKey, CharSequence siteId, CharSequence resourceId, long timeMillis,
                               double lat, double lon) {
        int resourceLength = resourceId == null ? 0 : resourceId.length();
        if (siteId.length() > MAX_KEY_CHARS || resourceLength > MAX_KEY_CHARS) {
            rejected.incrementAndGet();
            return false;
        }
        int length = 8 + 8 + 8 + 8 + 8 + 4 + 2 * resourceLength;
        int index = ring.tryClaim(ACCESS_MSG, length);
        if (index <= 0) {
            dropped.incrementAndGet();
            return false;
        }
        MutableDirectBuffer b = ring.buffer();
        b.putLong(index, PredictorCore.hash(userKey));
        b.putLong(index + 8, PredictorCore.hash(siteId));
        b.putLong(index + 16, timeMillis);
        b.putDouble(index + 24, lat);
        b.putDouble(index + 32, lon);
        b.putInt(index + 40, resourceLength);
        for (int i = 0; i < resourceLength; i++) {
            b.putChar(index + 44 + 2 * i, resourceId.charAt(i));
        }
        ring.commit(index);
        return true;
    }

    private final ResourceName resourceName = new ResourceName();

    /** A reusable view of the resource name inside the ring (read only on first sight of a resource). */
    private static final class ResourceName implements CharSequence {
        org.agrona.DirectBuffer buffer;
        int offset;
        int length;

        @Override
        public int length() {
            return length;
        }

        @Override
        public char charAt(int i) {
            return buffer.getChar(offset + 2 * i);
        }

        @Override
        public CharSequence subSequence(int start, int end) {
            return toString().substring(start, end);
        }

        @Override
        public String toString() {
            char[] c = new char[length];
            for (int i = 0; i < length; i++) {
                c[i] = charAt(i);
            }
            return new String(c);
        }
    }

    private void onMessage(int msgTypeId, org.agrona.MutableDirectBuffer buffer, int index, int length) {
        if (msgTypeId != ACCESS_MSG) {
            return;
        }
        long user = buffer.getLong(index);
        int site = core.siteIndex(buffer.getLong(index + 8));
        long time = buffer.getLong(index + 16);
        double lat = buffer.getDouble(index + 24);
        double lon = buffer.getDouble(index + 32);
        int resourceLength = buffer.getInt(index + 40);
        int resource = -1;
        if (resourceLength > 0) {
            long h = 0xcbf29ce484222325L;
            for (int i = 0; i < resourceLength; i++) {
                h ^= buffer.getChar(index + 44 + 2 * i);
                h *= 0x100000001b3L;
            }
            h ^= h >>> 33;
            h *= 0xff51afd7ed558ccdL;
            h ^= h >>> 33;
            resourceName.buffer = buffer;
            resourceName.offset = index + 44;
            resourceName.length = resourceLength;
            resource = core.resourceIndex(h, resourceName);
        }
        core.onAccess(user, site, resource, time, lat, lon);
    }

    /** One duty cycle: drains tasks and up to 4096 events, and decides when the interval has passed. */
    @Override
    public int doWork() {
        int work = 0;
        Consumer<PredictorCore> task;
        while ((task = tasks.poll()) != null) {
            task.accept(core);
            work++;
        }
        work += ring.read(handler, 4096);
        long now = clock.millis();
        if (now - lastDecisionMillis >= settings.decisionIntervalMillis()) {
            lastDecisionMillis = now;
            snapshot = core.decide(now);
            decisions++;
            gauges = new long[] {core.userCount(), core.accessEvents(), core.evictions(), core.gpsOutliers(),
                    core.footprintBytes(), decisions};
            work++;
        }
        return work;
    }

    @Override
    public String roleName() {
        return "vantage-predictor";
    }

    /** Runs the duty cycle on its own thread until {@link #close}. */
    public synchronized Predictor start() {
        if (runner == null) {
            runner = new AgentRunner(new BackoffIdleStrategy(), Throwable::printStackTrace, null, this);
            AgentRunner.startOnThread(runner);
        }
        return this;
    }

    @Override
    public synchronized void close() {
        if (runner != null) {
            runner.close();
            runner = null;
        }
    }

    /** The latest decisions (never null). */
    public DecisionSnapshot snapshot() {
        return snapshot;
    }

    /** The routing weight source: see {@link DecisionSnapshot#weight}. */
    public double weight(String siteId, String resourceId) {
        return snapshot.weight(siteId, resourceId);
    }

    /** The placement advice for the mirror lifecycle controller: see {@link DecisionSnapshot#outlook(String)}. */
    public List<SiteOutlook> outlook(String resourceId) {
        return snapshot.outlook(resourceId);
    }

    private <T> CompletableFuture<T> submit(java.util.function.Function<PredictorCore, T> work) {
        CompletableFuture<T> f = new CompletableFuture<>();
        tasks.add(c -> {
            try {
                f.complete(work.apply(c));
            } catch (RuntimeException e) {
                f.completeExceptionally(e);
            }
        });
        return f;
    }

    /** Adds a calendar or public-event hint. */
    public CompletableFuture<Void> addHint(CalendarHint hint) {
        return submit(c -> {
            c.addHint(hint);
            return null;
        });
    }

    /** This site's shared-model counts, for the other sites (federated learning). */
    public CompletableFuture<ModelAggregate> exportAggregate() {
        return submit(PredictorCore::exportAggregate);
    }

    /** Adds another site's counts (federated learning). */
    public CompletableFuture<Void> mergeAggregate(ModelAggregate aggregate) {
        return submit(c -> {
            c.merge(aggregate);
            return null;
        });
    }

    /** The user's place distribution over sites within the horizon (site id to probability), empty if unknown. */
    public CompletableFuture<Map<String, Double>> placeDistribution(String userKey) {
        return submit(c -> {
            double[] p = c.placeDistribution(userKey, clock.millis());
            Map<String, Double> out = new java.util.LinkedHashMap<>();
            if (p != null) {
                for (int s = 0; s < p.length; s++) {
                    out.put(c.siteName(s), p[s]);
                }
            }
            return out;
        });
    }

    /** Saves the model state (Chronicle Wire) on the owner thread. */
    public CompletableFuture<Void> save(Path file) {
        return submit(c -> {
            try {
                ModelStore.save(c, file);
            } catch (IOException e) {
                throw new UncheckedIOException("cannot save predictor state to " + file + ": " + e.getMessage(), e);
            }
            return null;
        });
    }

    /** Restores state saved by {@link #save} into this (fresh) predictor, on the owner thread. */
    public CompletableFuture<Void> restore(Path file) {
        return submit(c -> {
            try {
                ModelStore.restore(c, file);
            } catch (IOException e) {
                throw new UncheckedIOException("cannot restore predictor state from " + file + ": " + e.getMessage(), e);
            }
            return null;
        });
    }

    public long droppedEvents() {
        return dropped.get();
    }

    /** Prometheus text exposition of the predictor's counters and gauges. */
    public String metricsText() {
        long[] g = gauges;
        StringBuilder b = new StringBuilder();
        metric(b, "vantage_predictor_users", "gauge", "Users tracked (LRU-bounded).", g[0]);
        metric(b, "vantage_predictor_access_events_total", "counter", "Access events learnt from.", g[1]);
        metric(b, "vantage_predictor_user_evictions_total", "counter", "Users evicted by the LRU bound.", g[2]);
        metric(b, "vantage_predictor_gps_outliers_total", "counter", "GPS fixes rejected by Kalman gating.", g[3]);
        metric(b, "vantage_predictor_model_bytes", "gauge", "Approximate heap bytes of model state.", g[4]);
        metric(b, "vantage_predictor_decisions_total", "counter", "Decision snapshots published.", g[5]);
        metric(b, "vantage_predictor_dropped_events_total", "counter", "Access events dropped (ring full).", dropped.get());
        metric(b, "vantage_predictor_rejected_events_total", "counter", "Access events rejected (key too long).", rejected.get());
        return b.toString();
    }

    private static void metric(StringBuilder b, String name, String type, String help, long value) {
        b.append("# HELP ").append(name).append(' ').append(help).append('\n');
        b.append("# TYPE ").append(name).append(' ').append(type).append('\n');
        b.append(name).append(' ').append(String.format(Locale.ROOT, "%d", value)).append('\n');
    }
}

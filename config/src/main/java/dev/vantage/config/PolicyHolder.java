package dev.vantage.config;

import java.io.IOException;
import java.nio.file.ClosedWatchServiceException;
import java.nio.file.FileSystems;
import java.nio.file.Path;
import java.nio.file.StandardWatchEventKinds;
import java.nio.file.WatchEvent;
import java.nio.file.WatchKey;
import java.nio.file.WatchService;
import java.time.Clock;
import java.time.Duration;
import java.util.List;
import java.util.Objects;
import java.util.Optional;
import java.util.concurrent.CopyOnWriteArrayList;
import java.util.concurrent.TimeUnit;

/**
 * Holds the policy in force as one volatile {@link PolicySnapshot} and replaces it whole on reload: from the
 * policy file on demand ({@link #reload()}, for the admin API and SIGHUP), when the file changes
 * ({@link #watch(Duration)}), or with a policy built elsewhere ({@link #apply(Policy)}). An invalid new policy is
 * rejected with all its problems, the old snapshot stays in force, and the failure is kept in {@link #lastError()}
 * until a later reload succeeds.
 *
 * <p>Threading: {@link #current()} is a single volatile read and may be called from any thread (event loops
 * included); readers always see a whole old or a whole new snapshot. Reloads are serialised on one lock, so the
 * snapshot has one writer at a time; listeners run on the reloading thread, in order, after the swap.
 */
public final class PolicyHolder implements AutoCloseable {

    private static final System.Logger LOG = System.getLogger(PolicyHolder.class.getName());

    private final Path file;
    private final Clock clock;
    private final Object reloadLock = new Object();
    private final List<PolicyChangeListener> listeners = new CopyOnWriteArrayList<>();
    private volatile PolicySnapshot current;
    private volatile ReloadFailure lastError;
    private WatchService watchService;
    private Thread watcher;

    private PolicyHolder(Path file, Policy policy, Clock clock) {
        this.file = file;
        this.clock = clock;
        this.current = PolicySnapshot.of(1, policy, clock.instant());
    }

    /** Loads {@code file}, which must be valid; later {@link #reload()}s read the same file. */
    public static PolicyHolder load(Path file) throws PolicyException {
        return load(file, Clock.systemUTC());
    }

    public static PolicyHolder load(Path file, Clock clock) throws PolicyException {
        Objects.requireNonNull(file, "file");
        Objects.requireNonNull(clock, "clock");
        return new PolicyHolder(file, PolicyLoader.loadOrThrow(file), clock);
    }

    /** Holds {@code policy}, which has no file: {@link #reload()} then only re-applies it (unchanged). */
    public static PolicyHolder of(Policy policy) {
        return new PolicyHolder(null, Objects.requireNonNull(policy, "policy"), Clock.systemUTC());
    }

    /** The snapshot in force; one volatile read. */
    public PolicySnapshot current() {
        return current;
    }

    /** The policy in force. */
    public Policy policy() {
        return current.policy();
    }

    /** The policy file, when the policy came from one. */
    public Optional<Path> file() {
        return Optional.ofNullable(file);
    }

    /** The last rejected reload, until a later reload succeeds. */
    public Optional<ReloadFailure> lastError() {
        return Optional.ofNullable(lastError);
    }

    public void addListener(PolicyChangeListener listener) {
        listeners.add(Objects.requireNonNull(listener, "listener"));
    }

    public void removeListener(PolicyChangeListener listener) {
        listeners.remove(listener);
    }

    /**
     * Reads and validates the policy file again and applies it when valid and different. Blocks while another
     * reload runs. Never throws for a bad policy: the result says what happened.
     */
    public ReloadResult reload() {
        synchronized (reloadLock) {
            if (file == null) {
                return apply(current.policy());
            }
            PolicyLoadResult loaded = PolicyLoader.load(file);
            if (!loaded.isValid()) {
                return reject(loaded.problems());
            }
            return apply(loaded.policy());
        }
    }

    /** Applies {@code next} (already valid, e.g. from {@link PolicyLoader}) when it differs from the current one. */
    public ReloadResult apply(Policy next) {
        Objects.requireNonNull(next, "next");
        synchronized (reloadLock) {
            PolicySnapshot previous = current;
            lastError = null;
            if (previous.policy().equals(next)) {
                return new ReloadResult(ReloadResult.Status.UNCHANGED, previous, PolicyDiff.none(), List.of());
            }
            PolicyDiff diff = PolicyDiff.between(previous.policy(), next);
            PolicySnapshot snapshot = PolicySnapshot.of(previous.version() + 1, next, clock.instant());
            current = snapshot;
            ReloadResult result = new ReloadResult(ReloadResult.Status.APPLIED, snapshot, diff, List.of());
            LOG.log(System.Logger.Level.INFO, "policy {0}", result.summary());
            for (PolicyChangeListener listener : listeners) {
                try {
                    listener.onPolicyChange(previous, snapshot, diff);
                } catch (RuntimeException e) {
                    // The new snapshot is already in force; one failing listener must not starve the others.
                    LOG.log(System.Logger.Level.ERROR, "policy listener " + listener + " failed", e);
                }
            }
            return result;
        }
    }

    private ReloadResult reject(List<PolicyProblem> problems) {
        lastError = new ReloadFailure(clock.instant(), problems);
        ReloadResult result = new ReloadResult(ReloadResult.Status.REJECTED, current, PolicyDiff.none(), problems);
        StringBuilder text = new StringBuilder("policy ").append(result.summary());
        for (PolicyProblem problem : problems) {
            text.append(System.lineSeparator()).append(problem.message());
        }
        LOG.log(System.Logger.Level.WARNING, text.toString());
        return result;
    }

    /**
     * Starts a daemon thread that reloads when the policy file changes, once the directory has been quiet for
     * {@code debounce} (editors write in several steps). Watches the file's directory, so replacing the file by
     * rename (and Kubernetes' {@code ..data} symlink swap) is seen too.
     *
     * @throws IllegalStateException when the policy has no file or watching already started
     */
    public synchronized void watch(Duration debounce) throws IOException {
        if (file == null) {
            throw new IllegalStateException("watch: no policy file (expected: a holder created with load(file))");
        }
        if (watcher != null) {
            throw new IllegalStateException("watch: already watching " + file);
        }
        Path directory = file.toAbsolutePath().getParent();
        WatchService service = FileSystems.getDefault().newWatchService();
        directory.register(service, StandardWatchEventKinds.ENTRY_CREATE, StandardWatchEventKinds.ENTRY_MODIFY,
                StandardWatchEventKinds.ENTRY_DELETE);
        long debounceMillis = Math.max(1, debounce.toMillis());
        Path name = file.getFileName();
        watchService = service;
        watcher = new Thread(() -> watchLoop(service, name, debounceMillis), "vantage-policy-watch");
        watcher.setDaemon(true);
        watcher.start();
    }

    private void watchLoop(WatchService service, Path name, long debounceMillis) {
        try {
            while (true) {
                if (!relevant(service.take(), name)) {
                    continue;
                }
                // Wait until the file has been quiet for the debounce time; other files' events do not extend it.
                long debounceNanos = TimeUnit.MILLISECONDS.toNanos(debounceMillis);
                long quietUntil = System.nanoTime() + debounceNanos;
                long waitNanos;
                while ((waitNanos = quietUntil - System.nanoTime()) > 0) {
                    WatchKey more = service.poll(waitNanos, TimeUnit.NANOSECONDS);
                    if (more != null && relevant(more, name)) {
                        quietUntil = System.nanoTime() + debounceNanos;
                    }
                }
                try {
                    reload();
                } catch (RuntimeException e) {
                    // Keep watching: the next change may well load.
                    LOG.log(System.Logger.Level.ERROR, "policy reload after a file change failed", e);
                }
            }
        } catch (ClosedWatchServiceException | InterruptedException e) {
            // close() ends the watch.
        }
    }

    private static boolean relevant(WatchKey key, Path name) {
        boolean relevant = false;
        for (WatchEvent<?> event : key.pollEvents()) {
            Object context = event.context();
            if (event.kind() == StandardWatchEventKinds.OVERFLOW || name.equals(context)
                    || (context instanceof Path p && p.toString().equals("..data"))) {
                relevant = true;
            }
        }
        key.reset();
        return relevant;
    }

    /** Stops watching; the current snapshot stays readable. */
    @Override
    public synchronized void close() {
        if (watchService != null) {
            try {
                watchService.close();
            } catch (IOException e) {
                LOG.log(System.Logger.Level.WARNING, "closing the policy watch service failed", e);
            }
            watcher.interrupt();
            watchService = null;
            watcher = null;
        }
    }
}

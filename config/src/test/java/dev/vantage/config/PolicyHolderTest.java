package dev.vantage.config;

import static org.assertj.core.api.Assertions.assertThat;
import static org.awaitility.Awaitility.await;

import java.nio.file.Files;
import java.nio.file.Path;
import java.time.Duration;
import java.util.ArrayList;
import java.util.List;
import java.util.concurrent.CopyOnWriteArrayList;
import java.util.concurrent.atomic.AtomicBoolean;
import java.util.concurrent.atomic.AtomicLong;
import java.util.concurrent.atomic.AtomicReference;

import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

class PolicyHolderTest {

    /**
     * A policy whose every generation-dependent field equals {@code generation}: the site capacity, the tenant's
     * connection limit, every route's response timeout, and the route names; odd and even generations also
     * differ in their number of routes.
     */
    private static String versioned(int generation) {
        StringBuilder yaml = new StringBuilder("""
                sites:
                  - id: fra
                    location: {latitude: 50.11, longitude: 8.68}
                    replicationAddress: 127.0.0.1:17080
                    adminAddress: 127.0.0.1:19080
                """);
        yaml.append("    capacityRequestsPerSecond: ").append(generation).append('\n');
        yaml.append("""
                    upstreamGroups:
                      - name: web
                        upstreams: [127.0.0.1:28080]
                tenants:
                """);
        yaml.append("  - {id: acme, maxConnections: ").append(generation).append("}\n");
        yaml.append("routes:\n");
        int routes = generation % 2 == 0 ? 20 : 10;
        for (int i = 0; i < routes; i++) {
            yaml.append("  - name: g").append(generation).append("-r").append(i).append('\n')
                    .append("    tenant: acme\n")
                    .append("    match: {pathPrefix: /p").append(i).append("}\n")
                    .append("    target: {upstreamGroup: web}\n")
                    .append("    timeouts: {responseTimeoutMillis: ").append(generation).append("}\n");
        }
        return yaml.toString();
    }

    /** Null when consistent, else what is inconsistent. */
    private static String inconsistency(PolicySnapshot snapshot) {
        Policy policy = snapshot.policy();
        int generation = policy.sites().get(0).capacityRequestsPerSecond();
        if (policy.tenant("acme").orElseThrow().maxConnections() != generation) {
            return "tenant of another generation in " + generation;
        }
        int expectedRoutes = generation % 2 == 0 ? 20 : 10;
        if (policy.routes().size() != expectedRoutes || snapshot.routeTable().size() != expectedRoutes) {
            return "route count " + policy.routes().size() + "/" + snapshot.routeTable().size() + " in " + generation;
        }
        for (Route route : snapshot.routeTable().routes()) {
            if (route.timeouts().responseTimeoutMillis() != generation
                    || !route.name().startsWith("g" + generation + "-")) {
                return "route " + route.name() + " in generation " + generation;
            }
        }
        return null;
    }

    @Test
    void shouldApplyAChangedPolicyAndTellListenersWithTheDiff(@TempDir Path dir) throws Exception {
        Path file = Files.writeString(dir.resolve("policy.yaml"), versioned(1));
        try (PolicyHolder holder = PolicyHolder.load(file)) {
            List<String> seen = new CopyOnWriteArrayList<>();
            holder.addListener((previous, current, diff) -> seen.add(previous.version() + "->" + current.version()
                    + " " + diff.lines().get(0)));
            Files.writeString(file, versioned(1).replace("capacityRequestsPerSecond: 1", "capacityRequestsPerSecond: 7"));

            ReloadResult result = holder.reload();

            assertThat(result.status()).isEqualTo(ReloadResult.Status.APPLIED);
            assertThat(result.summary()).isEqualTo("applied version 2: 1 change");
            assertThat(holder.current().version()).isEqualTo(2);
            assertThat(holder.policy().sites().get(0).capacityRequestsPerSecond()).isEqualTo(7);
            assertThat(seen).containsExactly("1->2 ~ site fra: capacityRequestsPerSecond: 1 -> 7");
        }
    }

    @Test
    void shouldKeepTheOldPolicyAndRememberEveryProblemOfAnInvalidOne(@TempDir Path dir) throws Exception {
        Path file = Files.writeString(dir.resolve("policy.yaml"), versioned(1));
        try (PolicyHolder holder = PolicyHolder.load(file)) {
            PolicySnapshot before = holder.current();
            List<PolicySnapshot> notified = new ArrayList<>();
            holder.addListener((previous, current, diff) -> notified.add(current));
            Files.writeString(file, versioned(2).replace("maxConnections: 2", "maxConnections: -1")
                    .replace("responseTimeoutMillis: 2}", "responseTimeoutMillis: soon}"));

            ReloadResult result = holder.reload();

            assertThat(result.status()).isEqualTo(ReloadResult.Status.REJECTED);
            assertThat(result.problems()).hasSize(21);
            assertThat(result.problems().get(0).message())
                    .isEqualTo(file + ":11:32 tenants[0].maxConnections: -1 (expected: >= 1)");
            assertThat(result.summary()).isEqualTo("rejected with 21 problems, keeping version 1");
            assertThat(holder.current()).isSameAs(before);
            assertThat(holder.lastError()).hasValueSatisfying(
                    failure -> assertThat(failure.problems()).isEqualTo(result.problems()));
            assertThat(notified).isEmpty();

            Files.writeString(file, versioned(2));
            assertThat(holder.reload().status()).isEqualTo(ReloadResult.Status.APPLIED);
            assertThat(holder.lastError()).isEmpty();
        }
    }

    @Test
    void shouldNotSwapOrNotifyWhenNothingChanged(@TempDir Path dir) throws Exception {
        Path file = Files.writeString(dir.resolve("policy.yaml"), versioned(1));
        try (PolicyHolder holder = PolicyHolder.load(file)) {
            PolicySnapshot before = holder.current();
            AtomicLong calls = new AtomicLong();
            holder.addListener((previous, current, diff) -> calls.incrementAndGet());
            Files.writeString(file, "# same policy, new comment\n" + versioned(1));

            ReloadResult result = holder.reload();

            assertThat(result.status()).isEqualTo(ReloadResult.Status.UNCHANGED);
            assertThat(holder.current()).isSameAs(before);
            assertThat(calls).hasValue(0);
        }
    }

    @Test
    void shouldTellEveryListenerEvenWhenOneFails(@TempDir Path dir) throws Exception {
        Path file = Files.writeString(dir.resolve("policy.yaml"), versioned(1));
        try (PolicyHolder holder = PolicyHolder.load(file)) {
            AtomicLong told = new AtomicLong();
            holder.addListener((previous, current, diff) -> {
                throw new IllegalStateException("listener bug");
            });
            holder.addListener((previous, current, diff) -> told.incrementAndGet());

            ReloadResult result = holder.apply(PolicyLoader.parse(versioned(2), "v2.yaml", dir).orThrow());

            assertThat(result.status()).isEqualTo(ReloadResult.Status.APPLIED);
            assertThat(told).hasValue(1);
            assertThat(holder.current().version()).isEqualTo(2);
        }
    }

    @Test
    void shouldReloadWhenTheFileChangesAndKeepTheOldPolicyWhenTheChangeIsInvalid(@TempDir Path dir)
            throws Exception {
        Path file = Files.writeString(dir.resolve("policy.yaml"), versioned(1));
        try (PolicyHolder holder = PolicyHolder.load(file)) {
            holder.watch(Duration.ofMillis(50));

            Files.writeString(file, versioned(2));
            await().atMost(Duration.ofSeconds(30)).until(() -> holder.current().version() == 2);
            assertThat(inconsistency(holder.current())).isNull();

            Files.writeString(file, versioned(3).replace("upstreamGroup: web}", "upstreamGroup: missing}"));
            await().atMost(Duration.ofSeconds(30)).until(() -> holder.lastError().isPresent());
            assertThat(holder.lastError().orElseThrow().problems()).hasSize(10)
                    .allSatisfy(p -> assertThat(p.path()).endsWith("target.upstreamGroup"));
            assertThat(holder.current().version()).isEqualTo(2);
            assertThat(holder.policy().sites().get(0).capacityRequestsPerSecond()).isEqualTo(2);

            // Replacing the file by rename, as editors and config management do, is seen too.
            Path staged = Files.writeString(dir.resolve("policy.yaml.tmp"), versioned(3));
            Files.move(staged, file, java.nio.file.StandardCopyOption.REPLACE_EXISTING,
                    java.nio.file.StandardCopyOption.ATOMIC_MOVE);
            await().atMost(Duration.ofSeconds(30)).until(() -> holder.current().version() == 3);
            assertThat(holder.lastError()).isEmpty();
        }
    }

    @Test
    void shouldLetConcurrentReadersSeeOnlyWholeSnapshotsDuringManyReloads(@TempDir Path dir) throws Exception {
        Path file = Files.writeString(dir.resolve("policy.yaml"), versioned(1));
        String[] generations = {versioned(1), versioned(2)};
        int reloads = 100;
        try (PolicyHolder holder = PolicyHolder.load(file)) {
            AtomicBoolean done = new AtomicBoolean();
            AtomicReference<String> firstInconsistency = new AtomicReference<>();
            AtomicLong reads = new AtomicLong();
            List<Thread> readers = new ArrayList<>();
            for (int r = 0; r < 2; r++) {
                Thread reader = new Thread(() -> {
                    long lastVersion = 0;
                    while (!done.get()) {
                        PolicySnapshot snapshot = holder.current();
                        String problem = inconsistency(snapshot);
                        if (problem == null && snapshot.version() < lastVersion) {
                            problem = "version went back from " + lastVersion + " to " + snapshot.version();
                        }
                        if (problem != null) {
                            firstInconsistency.compareAndSet(null, problem);
                        }
                        lastVersion = snapshot.version();
                        reads.incrementAndGet();
                        // The machine is shared: let the reloading thread run.
                        Thread.yield();
                    }
                }, "policy-reader-" + r);
                reader.start();
                readers.add(reader);
            }
            List<ReloadResult.Status> statuses = new ArrayList<>();
            try {
                for (int i = 1; i <= reloads; i++) {
                    Files.writeString(file, generations[i % 2]);
                    statuses.add(holder.reload().status());
                }
            } finally {
                done.set(true);
                for (Thread reader : readers) {
                    reader.join(30_000);
                }
            }

            assertThat(statuses).hasSize(reloads).containsOnly(ReloadResult.Status.APPLIED);
            assertThat(holder.current().version()).isEqualTo(reloads + 1);
            assertThat(firstInconsistency.get()).isNull();
            assertThat(reads.get()).isGreaterThan(reloads);
        }
    }

    @Test
    void shouldStopTheWatchThreadOnClose(@TempDir Path dir) throws Exception {
        Path file = Files.writeString(dir.resolve("policy.yaml"), versioned(1));
        PolicyHolder holder = PolicyHolder.load(file);
        holder.watch(Duration.ofMillis(50));
        assertThat(watchThreads()).isNotEmpty();

        holder.close();

        await().atMost(Duration.ofSeconds(30)).until(() -> watchThreads().isEmpty());
        assertThat(holder.current().version()).isEqualTo(1);
    }

    @Test
    void shouldHoldAPolicyWithoutAFile() throws Exception {
        Policy policy = PolicyLoader.loadOrThrow(PolicyLoaderTest.EXAMPLES.resolve("minimal.yaml"));
        try (PolicyHolder holder = PolicyHolder.of(policy)) {
            assertThat(holder.file()).isEmpty();
            assertThat(holder.reload().status()).isEqualTo(ReloadResult.Status.UNCHANGED);
            assertThat(holder.current().routeTable().routes()).isEqualTo(policy.routes());
            org.assertj.core.api.Assertions.assertThatThrownBy(() -> holder.watch(Duration.ofMillis(50)))
                    .isInstanceOf(IllegalStateException.class)
                    .hasMessage("watch: no policy file (expected: a holder created with load(file))");
        }
    }

    private static List<Thread> watchThreads() {
        return Thread.getAllStackTraces().keySet().stream()
                .filter(thread -> thread.getName().equals("vantage-policy-watch") && thread.isAlive())
                .toList();
    }
}

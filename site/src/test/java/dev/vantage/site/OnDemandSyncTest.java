package dev.vantage.site;

import static dev.vantage.site.OnDemandSites.BLOCK;
import static dev.vantage.site.OnDemandSites.BLOCKS;
import static org.assertj.core.api.Assertions.assertThat;
import static org.awaitility.Awaitility.await;

import java.net.http.HttpResponse;
import java.nio.file.Files;
import java.nio.file.Path;
import java.time.Duration;
import java.util.concurrent.CompletableFuture;
import java.util.concurrent.TimeUnit;
import java.util.regex.Matcher;
import java.util.regex.Pattern;

import org.junit.jupiter.api.AfterEach;
import org.junit.jupiter.api.BeforeEach;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

import dev.vantage.replication.MirrorProgress;

/**
 * The operator's on-demand trigger, {@code POST /replication/sync}, on a primary whose resource has an
 * {@code on_demand} schedule, through the real admin API with real sites, volumes and replication on loopback.
 */
class OnDemandSyncTest {

    @TempDir
    Path dir;

    private OnDemandSites sites;

    @BeforeEach
    void setUp() throws Exception {
        sites = new OnDemandSites(dir);
    }

    @AfterEach
    void tearDown() throws Exception {
        sites.close();
    }

    @Test
    void shouldSendNothingBeforeTheTriggerAndMakeEveryMirrorIdenticalAfterIt() throws Exception {
        VantageSite eu = sites.start("eu");
        sites.start("us");
        sites.start("ap");
        eu.write("desktop", 3L * BLOCK, OnDemandSites.bytes(2 * BLOCK, 1)).get(10, TimeUnit.SECONDS);
        eu.write("desktop", 20L * BLOCK + 100, OnDemandSites.bytes(500, 2)).get(10, TimeUnit.SECONDS);

        await().during(Duration.ofSeconds(1)).atMost(Duration.ofSeconds(5)).until(() ->
                !Files.exists(sites.copy("us")) && !Files.exists(sites.copy("ap"))
                        && eu.replicationEngine().progress().isEmpty());

        HttpResponse<String> response = sites.postSync("eu", "resource=desktop");

        assertThat(response.statusCode()).as(response.body()).isEqualTo(200);
        assertThat(response.body()).startsWith("{\"site\":\"eu\",\"resource\":\"desktop\",\"outcome\":\"ok\"");
        assertThat(blocksSent(response.body(), "us")).isEqualTo(BLOCKS);
        assertThat(blocksSent(response.body(), "ap")).isEqualTo(BLOCKS);
        assertThat(response.body()).contains("\"blocksPlanned\":" + BLOCKS).contains("\"attempts\":1")
                .containsPattern("\"durableSequence\":\\d+").containsPattern("\"wireBytes\":[1-9]");
        byte[] primary = Files.readAllBytes(sites.copy("eu"));
        assertThat(Files.readAllBytes(sites.copy("us"))).isEqualTo(primary);
        assertThat(Files.readAllBytes(sites.copy("ap"))).isEqualTo(primary);
    }

    @Test
    void shouldSendOnlyWhatChangedSinceTheLastTrigger() throws Exception {
        VantageSite eu = sites.start("eu");
        sites.start("us");
        sites.start("ap");
        assertThat(sites.postSync("eu", "resource=desktop").statusCode()).isEqualTo(200);

        HttpResponse<String> unchanged = sites.postSync("eu", "resource=desktop");
        eu.write("desktop", 7L * BLOCK + 5, OnDemandSites.bytes(10, 3)).get(10, TimeUnit.SECONDS);
        HttpResponse<String> oneBlock = sites.postSync("eu", "resource=desktop");

        assertThat(unchanged.statusCode()).as(unchanged.body()).isEqualTo(200);
        assertThat(blocksSent(unchanged.body(), "us")).isZero();
        assertThat(blocksSent(unchanged.body(), "ap")).isZero();
        assertThat(oneBlock.statusCode()).as(oneBlock.body()).isEqualTo(200);
        assertThat(blocksSent(oneBlock.body(), "us")).isEqualTo(1);
        assertThat(blocksSent(oneBlock.body(), "ap")).isEqualTo(1);
        assertThat(Files.readAllBytes(sites.copy("us"))).isEqualTo(Files.readAllBytes(sites.copy("eu")));
    }

    @Test
    void shouldRunOnlyTheStreamToTheNamedPeer() throws Exception {
        VantageSite eu = sites.start("eu");
        sites.start("us");
        eu.write("desktop", 0, OnDemandSites.bytes(BLOCK, 4)).get(10, TimeUnit.SECONDS);

        HttpResponse<String> response = sites.postSync("eu", "resource=desktop&peer=us");

        assertThat(response.statusCode()).as(response.body()).isEqualTo(200);
        assertThat(blocksSent(response.body(), "us")).isEqualTo(BLOCKS);
        assertThat(response.body()).doesNotContain("\"peer\":\"ap\"");
        assertThat(eu.replicationEngine().progress("desktop", "ap")).as("no cycle to ap").isEmpty();
        assertThat(Files.readAllBytes(sites.copy("us"))).isEqualTo(Files.readAllBytes(sites.copy("eu")));
    }

    @Test
    void shouldAnswerNotFoundForAnUnknownResourceOrAPeerItDoesNotSendTo() throws Exception {
        sites.start("eu");

        HttpResponse<String> resource = sites.postSync("eu", "resource=laptop");
        HttpResponse<String> peer = sites.postSync("eu", "resource=desktop&peer=mars");

        assertThat(resource.statusCode()).isEqualTo(404);
        assertThat(resource.body()).isEqualTo("{\"error\":\"resource: laptop (expected: one of [desktop])\"}\n");
        assertThat(peer.statusCode()).isEqualTo(404);
        assertThat(peer.body()).contains("peer: mars (expected: one of [us, ap]");
    }

    @Test
    void shouldAnswerConflictAtAMirrorThatSendsNothing() throws Exception {
        sites.start("eu");
        sites.start("us");

        HttpResponse<String> response = sites.postSync("us", "resource=desktop");

        assertThat(response.statusCode()).isEqualTo(409);
        assertThat(response.body()).contains("resource desktop: site us is a mirror, not the primary;"
                + " its primary eu sends it");
    }

    @Test
    void shouldAnswerBadRequestForMissingOrInvalidParameters() throws Exception {
        sites.start("eu");

        HttpResponse<String> missing = sites.postSync("eu", "");
        HttpResponse<String> timeout = sites.postSync("eu", "resource=desktop&timeout_seconds=soon");
        HttpResponse<String> typo = sites.postSync("eu", "resource=desktop&per=us");
        HttpResponse<String> emptyPeer = sites.postSync("eu", "resource=desktop&peer=");

        assertThat(missing.statusCode()).isEqualTo(400);
        assertThat(missing.body()).contains("resource: missing (expected: ?resource=ID[&peer=SITE][&timeout_seconds=N])");
        assertThat(timeout.statusCode()).isEqualTo(400);
        assertThat(timeout.body()).contains("timeout_seconds: soon (expected: an integer in 1..86400)");
        assertThat(typo.statusCode()).isEqualTo(400);
        assertThat(typo.body()).contains("parameter: per (expected: one of resource, peer, timeout_seconds)");
        assertThat(emptyPeer.statusCode()).isEqualTo(400);
        assertThat(emptyPeer.body()).contains("peer: empty (expected: a site id)");
    }

    @Test
    void shouldAnswerBadGatewayWithTheReasonWhenAMirrorCannotBeReached() throws Exception {
        sites.start("eu");

        HttpResponse<String> response = sites.postSync("eu", "resource=desktop&peer=us");

        assertThat(response.statusCode()).as(response.body()).isEqualTo(502);
        assertThat(response.body()).contains("\"outcome\":\"failed\",\"error\":\"1 of 1 cycle(s) failed\"")
                .contains("{\"peer\":\"us\",\"mode\":\"delta\",\"multiMaster\":false,\"outcome\":\"failed\","
                        + "\"error\":\"sync of desktop to us failed: ");
    }

    @Test
    void shouldAnswerGatewayTimeoutAndLetTheCycleGoOnWhenTheTimeoutPasses() throws Exception {
        VantageSite eu = sites.start("eu");

        HttpResponse<String> response = sites.postSync("eu", "resource=desktop&peer=ap&timeout_seconds=1");

        assertThat(response.statusCode()).as(response.body()).isEqualTo(504);
        assertThat(response.body()).contains("\"outcome\":\"timeout\"")
                .contains("timeout_seconds: 1 passed with the cycle(s) to [ap] still running")
                .contains("{\"peer\":\"ap\",\"mode\":\"delta\",\"multiMaster\":false,\"outcome\":\"running\"");
        await().atMost(Duration.ofSeconds(30)).until(() -> eu.replicationEngine().progress("desktop", "ap")
                .map(p -> p.phase() == MirrorProgress.Phase.FAILED).orElse(false));
    }

    @Test
    void shouldFollowAReloadThatRemovesAMirror() throws Exception {
        sites.start("eu");
        sites.start("us");
        sites.rewritePolicy(policy -> policy.replace("      - {site: ap, role: shadow, upstreamGroup: desktop}\n", ""));

        assertThat(sites.postReload("eu").statusCode()).isEqualTo(200);

        await().atMost(Duration.ofSeconds(10)).untilAsserted(() -> {
            HttpResponse<String> ap = sites.postSync("eu", "resource=desktop&peer=ap");
            assertThat(ap.statusCode()).isEqualTo(404);
            assertThat(ap.body()).contains("peer: ap (expected: one of [us]");
        });
        HttpResponse<String> all = sites.postSync("eu", "resource=desktop");
        assertThat(all.statusCode()).as(all.body()).isEqualTo(200);
        assertThat(blocksSent(all.body(), "us")).isEqualTo(BLOCKS);
    }

    @Test
    void shouldStartATriggeredCycleAfterTheRunningOneSoThatItCarriesTheLatestWrite() throws Exception {
        sites.close();
        // 512 KiB at 256 KiB/s: the first cycle runs for more than a second whatever the machine's speed.
        sites = new OnDemandSites(dir.resolve("throttled"), "throttle: {bytesPerSecond: 256KiB/s}");
        VantageSite eu = sites.start("eu");
        sites.start("us");
        CompletableFuture<HttpResponse<String>> first = CompletableFuture.supplyAsync(() -> post("resource=desktop&peer=us"));
        await().atMost(Duration.ofSeconds(30)).until(() -> eu.replicationEngine().progress("desktop", "us")
                .map(p -> p.phase() == MirrorProgress.Phase.SYNCING).orElse(false));
        eu.write("desktop", 31L * BLOCK, OnDemandSites.bytes(BLOCK, 6)).get(10, TimeUnit.SECONDS);

        HttpResponse<String> second = post("resource=desktop&peer=us");

        assertThat(second.statusCode()).as(second.body()).isEqualTo(200);
        assertThat(first).as("the running cycle ended first").isDone();
        HttpResponse<String> firstAnswer = first.get();
        assertThat(firstAnswer.statusCode()).as(firstAnswer.body()).isEqualTo(200);
        assertThat(number(second.body(), "us", "wireBytes")).as("a cycle of its own, not the running one's result")
                .isLessThan(number(firstAnswer.body(), "us", "wireBytes"));
        assertThat(Files.readAllBytes(sites.copy("us"))).isEqualTo(Files.readAllBytes(sites.copy("eu")));
    }

    private HttpResponse<String> post(String query) {
        try {
            return sites.postSync("eu", query);
        } catch (java.io.IOException e) {
            throw new java.io.UncheckedIOException(e);
        } catch (InterruptedException e) {
            Thread.currentThread().interrupt();
            throw new IllegalStateException(e);
        }
    }

    /** The blocks the answer says were sent to {@code peer}. */
    static long blocksSent(String body, String peer) {
        return number(body, peer, "blocksSent");
    }

    /** The figure {@code name} of the ok stream to {@code peer} in an answer. */
    static long number(String body, String peer, String name) {
        Matcher m = Pattern.compile("\\{\"peer\":\"" + peer + "\",[^}]*\"outcome\":\"ok\",[^}]*\"" + name
                + "\":(\\d+)").matcher(body);
        assertThat(m.find()).as("an ok stream to " + peer + " in " + body).isTrue();
        return Long.parseLong(m.group(1));
    }
}

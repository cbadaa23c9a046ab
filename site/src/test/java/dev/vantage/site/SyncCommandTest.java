package dev.vantage.site;

import static dev.vantage.site.OnDemandSites.BLOCK;
import static org.assertj.core.api.Assertions.assertThat;

import java.io.ByteArrayOutputStream;
import java.io.IOException;
import java.io.PrintStream;
import java.net.ServerSocket;
import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.concurrent.TimeUnit;

import org.junit.jupiter.api.AfterEach;
import org.junit.jupiter.api.BeforeEach;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

/** {@code vantage sync} end to end against running sites on loopback (see {@link OnDemandSites}). */
class SyncCommandTest {

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

    /** What a command printed and how it exited. */
    private record Run(int exitCode, String stdout, String stderr) {
    }

    private Run sync(String... args) {
        String[] full = new String[args.length + 1];
        full[0] = "sync";
        System.arraycopy(args, 0, full, 1, args.length);
        PrintStream out = System.out;
        ByteArrayOutputStream captured = new ByteArrayOutputStream();
        int[] exit = new int[1];
        String stderr;
        System.setOut(new PrintStream(captured, true, StandardCharsets.UTF_8));
        try {
            stderr = CliTestSupport.stderrOf(() -> exit[0] = VantageCli.execute(full));
        } finally {
            System.setOut(out);
        }
        return new Run(exit[0], captured.toString(StandardCharsets.UTF_8), stderr);
    }

    @Test
    void shouldExitZeroWithALinePerStreamOnceTheMirrorHoldsTheResource() throws Exception {
        VantageSite eu = sites.start("eu");
        sites.start("us");
        eu.write("desktop", 9L * BLOCK, OnDemandSites.bytes(3 * BLOCK, 5)).get(10, TimeUnit.SECONDS);
        String token = sites.tokenFile().toString();

        Run first = sync("--admin", sites.adminAddress("eu"), "--resource", "desktop", "--peer", "us",
                "--token-file", token, "--timeout", "2m");
        Run again = sync("--admin", sites.adminAddress("eu"), "--resource", "desktop", "--peer", "us",
                "--token-file", token, "--json");

        assertThat(first.exitCode()).as(first.stderr()).isEqualTo(VantageCli.EXIT_OK);
        assertThat(first.stdout()).startsWith("SYNC resource=desktop peer=us mode=delta outcome=ok blocks_planned="
                + OnDemandSites.BLOCKS + " blocks_sent=" + OnDemandSites.BLOCKS + " blocks_skipped=0")
                .containsPattern("wire_bytes=\\d+ raw_bytes=\\d+ attempts=1 seconds=[0-9.]+ durable_sequence=\\d+\n");
        assertThat(first.stderr()).contains("sync: desktop at eu: 1 of 1 cycle(s) ok after");
        assertThat(Files.readAllBytes(sites.copy("us"))).isEqualTo(Files.readAllBytes(sites.copy("eu")));
        assertThat(again.exitCode()).as(again.stderr()).isEqualTo(VantageCli.EXIT_OK);
        assertThat(again.stdout()).startsWith("{\"site\":\"eu\",\"resource\":\"desktop\",\"outcome\":\"ok\"")
                .contains("\"blocksSent\":0,");
    }

    @Test
    void shouldExitOneForInvalidInputOrARequestTheSiteRefuses() throws Exception {
        sites.start("eu");
        String admin = sites.adminAddress("eu");
        String token = sites.tokenFile().toString();

        Run badAddress = sync("--admin", "nowhere", "--resource", "desktop");
        Run badTimeout = sync("--admin", admin, "--resource", "desktop", "--timeout", "soon");
        Run unknown = sync("--admin", admin, "--resource", "laptop", "--token-file", token);
        Run noToken = sync("--admin", admin, "--resource", "desktop");

        assertThat(badAddress.exitCode()).isEqualTo(VantageCli.EXIT_INVALID_INPUT);
        assertThat(badAddress.stderr()).contains("sync: --admin: nowhere (expected: HOST:PORT)");
        assertThat(badTimeout.exitCode()).isEqualTo(VantageCli.EXIT_INVALID_INPUT);
        assertThat(badTimeout.stderr()).contains("--timeout: soon (expected: 1s..24h");
        assertThat(unknown.exitCode()).isEqualTo(VantageCli.EXIT_INVALID_INPUT);
        assertThat(unknown.stderr()).contains("sync: HTTP 404: resource: laptop (expected: one of [desktop])");
        assertThat(noToken.exitCode()).isEqualTo(VantageCli.EXIT_INVALID_INPUT);
        assertThat(noToken.stderr()).contains("HTTP 403: missing or wrong bearer token (give --token-file");
    }

    @Test
    void shouldExitTwoWhenACycleFailsOrTheSiteCannotBeReached() throws Exception {
        sites.start("eu");

        Run failed = sync("--admin", sites.adminAddress("eu"), "--resource", "desktop", "--peer", "us",
                "--token-file", sites.tokenFile().toString());
        Run unreachable = sync("--admin", "127.0.0.1:" + freePort(), "--resource", "desktop");

        assertThat(failed.exitCode()).isEqualTo(VantageCli.EXIT_USAGE);
        assertThat(failed.stdout()).startsWith("SYNC resource=desktop peer=us mode=delta outcome=failed"
                + " error=\"sync of desktop to us failed: ");
        assertThat(failed.stderr()).contains("sync: desktop at eu: 0 of 1 cycle(s) ok after")
                .contains("; 1 of 1 cycle(s) failed");
        assertThat(unreachable.exitCode()).isEqualTo(VantageCli.EXIT_USAGE);
        assertThat(unreachable.stderr()).contains("cannot be reached");
    }

    private static int freePort() throws IOException {
        try (ServerSocket socket = new ServerSocket(0)) {
            return socket.getLocalPort();
        }
    }
}

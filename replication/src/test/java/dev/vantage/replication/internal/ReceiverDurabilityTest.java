package dev.vantage.replication.internal;

import static org.assertj.core.api.Assertions.assertThat;

import java.net.InetSocketAddress;
import java.nio.file.Files;
import java.nio.file.Path;
import java.time.Clock;
import java.util.List;
import java.util.Random;
import java.util.concurrent.CopyOnWriteArrayList;
import java.util.concurrent.TimeUnit;

import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

import dev.vantage.config.Compression;
import dev.vantage.replication.ReplicationEngine;
import dev.vantage.replication.SyncRequest;
import dev.vantage.replication.Volumes;

/** The receiver syncs batches on its own thread while it applies the next ones: it never acknowledges early. */
class ReceiverDurabilityTest {

    private static final int BLOCK = 16 * 1024;

    @TempDir
    Path dir;

    @Test
    void shouldAcknowledgeOnlySequencesThatAreAlreadyDurable() throws Exception {
        byte[] content = new byte[2048 * BLOCK];
        new Random(3).nextBytes(content);
        Path src = Files.write(dir.resolve("src.img"), content);
        Path dst = dir.resolve("mirror/res-1.vol");
        List<String> events = new CopyOnWriteArrayList<>();
        try (Transport transport = new Transport(1);
             ReplicationEngine source = ReplicationEngine.create("site-a")) {
            ReceiverServer server = new ReceiverServer(transport, new InetSocketAddress("127.0.0.1", 0), id -> dst,
                    Clock.systemUTC());
            server.durabilityProbe = (kind, sequence) -> events.add(kind + " " + sequence);
            server.start();
            try {
                source.sync(SyncRequest.of("res-1", src, "site-b", server.address()).withBlockSize(BLOCK, null)
                        .withCompression(Compression.NONE)).get(60, TimeUnit.SECONDS);
            } finally {
                server.close();
            }
        }
        long durable = -1;
        int acks = 0;
        for (String event : events) {
            String[] parts = event.split(" ");
            long sequence = Long.parseLong(parts[1]);
            if (parts[0].equals("durable")) {
                durable = Math.max(durable, sequence);
            } else {
                assertThat(sequence).as("%s after durable up to %d", event, durable).isLessThanOrEqualTo(durable);
                acks++;
            }
        }
        // 32 MiB of blocks: the sender asks for several batches to be made durable before the end.
        assertThat(acks).isGreaterThan(1);
        assertThat(events).contains("done 2048");
        assertThat(Volumes.verify(src, dst, BLOCK).identical()).isTrue();
    }
}

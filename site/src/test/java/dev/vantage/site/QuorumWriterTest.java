package dev.vantage.site;

import static org.assertj.core.api.Assertions.assertThat;
import static org.assertj.core.api.Assertions.assertThatThrownBy;

import java.net.InetSocketAddress;
import java.net.ServerSocket;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Map;
import java.util.Random;
import java.util.concurrent.ExecutionException;
import java.util.concurrent.TimeUnit;

import org.junit.jupiter.api.AfterEach;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

import dev.vantage.config.Consistency;
import dev.vantage.config.Resource;
import dev.vantage.replication.ReceiverEndpoint;
import dev.vantage.replication.ReplicationEngine;
import dev.vantage.replication.Volumes;

/** Quorum writes through real replication endpoints on loopback. */
class QuorumWriterTest {

    private static final int BLOCK = 65_536;

    @TempDir
    Path dir;

    private final ReplicationEngine primary = ReplicationEngine.create("p");
    private final ReplicationEngine mirrorB = ReplicationEngine.create("b");
    private final ReplicationEngine mirrorC = ReplicationEngine.create("c");
    private ReceiverEndpoint receiverB;
    private ReceiverEndpoint receiverC;

    @AfterEach
    void close() throws Exception {
        for (AutoCloseable c : new AutoCloseable[] {receiverB, receiverC, primary, mirrorB, mirrorC}) {
            if (c != null) {
                c.close();
            }
        }
    }

    @Test
    void shouldAcknowledgeAQuorumWriteOnlyOnceEveryRequiredCopyHoldsIt() throws Exception {
        Path volume = seededVolume();
        receiverB = mirrorB.startReceiver(new InetSocketAddress("127.0.0.1", 0), dir.resolve("b"));
        receiverC = mirrorC.startReceiver(new InetSocketAddress("127.0.0.1", 0), dir.resolve("c"));
        Map<String, InetSocketAddress> mirrors = new LinkedHashMap<>();
        mirrors.put("b", receiverB.address());
        mirrors.put("c", receiverC.address());
        byte[] change = new byte[3 * BLOCK];
        new Random(7).nextBytes(change);

        QuorumWriter.WriteAck ack = new QuorumWriter(primary).write(resource(volume, 3), volume, 5L * BLOCK, change,
                mirrors, 1).get(60, TimeUnit.SECONDS);

        assertThat(ack.copiesHolding()).isEqualTo(3);
        assertThat(ack.mirrorsAcknowledged()).containsExactlyInAnyOrder("b", "c");
        assertThat(Volumes.verify(volume, dir.resolve("b").resolve("res.vol"), BLOCK).identical()).isTrue();
        assertThat(Volumes.verify(volume, dir.resolve("c").resolve("res.vol"), BLOCK).identical()).isTrue();
    }

    @Test
    void shouldFailAQuorumThatTheLiveMirrorsCannotReach() throws Exception {
        Path volume = seededVolume();
        receiverB = mirrorB.startReceiver(new InetSocketAddress("127.0.0.1", 0), dir.resolve("b"));
        Map<String, InetSocketAddress> mirrors = new LinkedHashMap<>();
        mirrors.put("b", receiverB.address());
        mirrors.put("dead", new InetSocketAddress("127.0.0.1", closedPort()));

        QuorumWriter writer = new QuorumWriter(primary);
        QuorumWriter.WriteAck two = writer.write(resource(volume, 2), volume, 0, new byte[] {1, 2, 3}, mirrors, 1)
                .get(60, TimeUnit.SECONDS);

        assertThat(two.mirrorsAcknowledged()).containsExactly("b");
        assertThatThrownBy(() -> writer.write(resource(volume, 3), volume, 0, new byte[] {4, 5, 6}, mirrors, 1)
                .get(60, TimeUnit.SECONDS))
                .isInstanceOf(ExecutionException.class)
                .hasMessageContaining("writeQuorum 3");
    }

    private Path seededVolume() throws Exception {
        byte[] image = new byte[16 * BLOCK];
        new Random(1).nextBytes(image);
        Path volume = dir.resolve("primary.img");
        Files.write(volume, image);
        return volume;
    }

    private static Resource resource(Path volume, int writeQuorum) {
        return new Resource("res", null, volume, BLOCK, "p", List.of(), null, Consistency.quorum(writeQuorum), null);
    }

    private static int closedPort() throws Exception {
        try (ServerSocket socket = new ServerSocket(0)) {
            return socket.getLocalPort();
        }
    }
}

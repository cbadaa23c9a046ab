package dev.vantage.replication;

import java.net.InetSocketAddress;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.concurrent.CountDownLatch;

/**
 * A replication receiver in its own JVM, for tests that kill it with SIGKILL:
 * {@code ReceiverProcess PORT DATA_DIR READY_FILE}. It writes READY_FILE once listening, then runs until killed.
 */
public final class ReceiverProcess {

    private ReceiverProcess() {
    }

    public static void main(String[] args) throws Exception {
        int port = Integer.parseInt(args[0]);
        Path dataDir = Path.of(args[1]);
        Path readyFile = Path.of(args[2]);
        ReplicationEngine engine = ReplicationEngine.create("receiver-process");
        ReceiverEndpoint endpoint = engine.startReceiver(new InetSocketAddress("127.0.0.1", port), dataDir);
        Path tmp = readyFile.resolveSibling(readyFile.getFileName() + ".tmp");
        Files.writeString(tmp, Integer.toString(endpoint.address().getPort()));
        Files.move(tmp, readyFile);
        new CountDownLatch(1).await();
    }
}

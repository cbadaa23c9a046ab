package dev.vantage.site;

import java.nio.file.Files;
import java.nio.file.Path;
import java.util.concurrent.Callable;

import picocli.CommandLine.Command;
import picocli.CommandLine.Option;
import picocli.CommandLine.Parameters;

import dev.vantage.replication.VerifyResult;
import dev.vantage.replication.Volumes;

/** {@code vantage verify A B}: compares two volumes block by block; exit 0 when identical, 1 when they differ. */
@Command(name = "verify", mixinStandardHelpOptions = true,
        description = "Compare two volumes block by block; names differing blocks, exit 1 when they differ.")
final class VerifyCommand implements Callable<Integer> {

    @Parameters(index = "0", paramLabel = "PATH", description = "First volume.")
    Path first;

    @Parameters(index = "1", paramLabel = "PATH", description = "Second volume.")
    Path second;

    @Option(names = "--block-size", defaultValue = "64KiB", paramLabel = "SIZE", description = "Default: ${DEFAULT-VALUE}.")
    String blockSize;

    @Override
    public Integer call() throws Exception {
        long block;
        try {
            block = ReplicationCliSupport.bytes("--block-size", blockSize);
        } catch (IllegalArgumentException e) {
            System.err.println("verify: " + e.getMessage());
            return VantageCli.EXIT_INVALID_INPUT;
        }
        for (Path p : new Path[] {first, second}) {
            if (!Files.isRegularFile(p)) {
                System.err.println("verify: " + p + " (expected: an existing file)");
                return VantageCli.EXIT_INVALID_INPUT;
            }
        }
        if (block < 512 || block > 1 << 30) {
            System.err.println("verify: --block-size: " + blockSize + " (expected: 512B..1GiB)");
            return VantageCli.EXIT_INVALID_INPUT;
        }
        VerifyResult r = Volumes.verify(first, second, (int) block);
        if (r.identical()) {
            System.out.println("verify: identical (" + r.blocksCompared() + " blocks of " + block + " bytes, "
                    + r.sizeBytesA() + " bytes)");
            return VantageCli.EXIT_OK;
        }
        if (r.sizeBytesA() != r.sizeBytesB()) {
            System.out.println("verify: sizes differ: " + first + " has " + r.sizeBytesA() + " bytes, " + second
                    + " has " + r.sizeBytesB());
        }
        StringBuilder b = new StringBuilder("verify: ").append(r.differingCount()).append(" of ")
                .append(r.blocksCompared()).append(" blocks differ:");
        for (long index : r.differingBlocks()) {
            b.append(' ').append(index);
        }
        if (r.differingCount() > r.differingBlocks().size()) {
            b.append(" ...");
        }
        System.out.println(b);
        return VantageCli.EXIT_INVALID_INPUT;
    }
}

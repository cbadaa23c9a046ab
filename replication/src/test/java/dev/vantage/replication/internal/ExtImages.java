package dev.vantage.replication.internal;

import static org.assertj.core.api.Assertions.assertThat;

import java.io.IOException;
import java.nio.ByteBuffer;
import java.nio.channels.FileChannel;
import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.Path;
import java.nio.file.StandardOpenOption;
import java.util.ArrayList;
import java.util.List;
import java.util.concurrent.TimeUnit;

import org.junit.jupiter.api.Assumptions;

/** Builds ext2/3/4 images from a directory with e2fsprogs (no root, no mount) for tests. */
public final class ExtImages {

    private ExtImages() {
    }

    /** The e2fsprogs tool {@code name} in /usr/sbin or /sbin, or {@code null}. */
    public static Path tool(String name) {
        for (String dir : new String[] {"/usr/sbin", "/sbin", "/usr/bin", "/bin"}) {
            Path p = Path.of(dir, name);
            if (Files.isExecutable(p)) {
                return p;
            }
        }
        return null;
    }

    /** Skips the calling test, visibly, when e2fsprogs is not installed. */
    public static void assumeE2fsprogs() {
        Assumptions.assumeTrue(tool("mkfs.ext4") != null && tool("mkfs.ext2") != null && tool("mkfs.ext3") != null,
                "e2fsprogs (mkfs.ext4) not installed: apt-get install e2fsprogs to run the ext2/3/4 file selection"
                        + " tests");
    }

    /**
     * Runs {@code mkfs.<type> -q -F -b <blockSize> [-O dir_index] -d <source> <image> <size>}, then, when the
     * filesystem has dir_index, {@code e2fsck -fyD} so that large directories get an htree index.
     */
    public static Path build(String type, int blockSizeBytes, Path source, Path image, String size)
            throws IOException, InterruptedException {
        return build(type, blockSizeBytes, source, image, size, type.equals("ext2") ? List.of() : List.of("-O",
                "dir_index"));
    }

    /** As {@link #build(String, int, Path, Path, String)} with {@code options} for mkfs in place of dir_index. */
    public static Path build(String type, int blockSizeBytes, Path source, Path image, String size,
                             List<String> options) throws IOException, InterruptedException {
        List<String> command = new ArrayList<>(List.of(tool("mkfs." + type).toString(), "-q", "-F",
                "-b", Integer.toString(blockSizeBytes)));
        command.addAll(options);
        command.addAll(List.of("-d", source.toString(), image.toString(), size));
        run(command, 0);
        Path fsck = tool("e2fsck");
        if (fsck != null && !type.equals("ext2")) {
            // 0: nothing to fix, 1: directories optimised (indexed)
            run(List.of(fsck.toString(), "-fyD", image.toString()), 1);
        }
        return image;
    }

    /** The output of {@code debugfs -R "<request>" image}, or {@code null} when debugfs is not installed. */
    public static String debugfs(Path image, String request) throws IOException, InterruptedException {
        Path debugfs = tool("debugfs");
        if (debugfs == null) {
            return null;
        }
        return run(List.of(debugfs.toString(), "-R", request, image.toString()), 0);
    }

    /** Runs {@code debugfs -w -R "<request>" image}, which changes the image. */
    public static void debugfsWrite(Path image, String request) throws IOException, InterruptedException {
        run(List.of(tool("debugfs").toString(), "-w", "-R", request, image.toString()), 0);
    }

    /** Runs {@code command} (its first element a tool name looked up like {@link #tool}), expecting exit code 0. */
    public static String runTool(String... command) throws IOException, InterruptedException {
        List<String> resolved = new ArrayList<>(List.of(command));
        resolved.set(0, tool(command[0]).toString());
        return run(resolved, 0);
    }

    private static String run(List<String> command, int maxExitCode) throws IOException, InterruptedException {
        Process process = new ProcessBuilder(command).redirectErrorStream(true).start();
        process.getOutputStream().close();
        String output = new String(process.getInputStream().readAllBytes(), StandardCharsets.UTF_8);
        assertThat(process.waitFor(60, TimeUnit.SECONDS)).as("%s finished", command).isTrue();
        assertThat(process.exitValue()).as("exit code of %s, output: %s", command, output)
                .isBetween(0, maxExitCode);
        return output;
    }

    /** The content of the file {@code map} describes, read from {@code image} through its data ranges. */
    public static byte[] readFile(Path image, ExtFilesystem.FileMap map) throws IOException {
        byte[] content = new byte[(int) map.sizeBytes()];
        try (FileChannel ch = FileChannel.open(image, StandardOpenOption.READ)) {
            for (ExtFilesystem.DataRange r : map.data()) {
                ByteBuffer into = ByteBuffer.wrap(content, (int) r.fileOffsetBytes(), (int) r.lengthBytes());
                while (into.hasRemaining()) {
                    ch.read(into, r.volumeOffsetBytes() + into.position() - r.fileOffsetBytes());
                }
            }
        }
        return content;
    }
}

package dev.vantage.replication.internal;

import java.nio.ByteBuffer;
import java.util.zip.CRC32C;

import io.netty.buffer.ByteBuf;
import io.netty.buffer.ByteBufAllocator;
import io.netty.buffer.CompositeByteBuf;
import net.openhft.chronicle.bytes.Bytes;
import net.openhft.chronicle.wire.BinaryWire;
import net.openhft.chronicle.wire.ValueIn;
import net.openhft.chronicle.wire.ValueOut;

/**
 * Encodes and decodes {@link Frame}s. Layout of one frame (the transport adds a 4-byte length before it):
 * {@code [u16 headerLength][header: Chronicle BinaryWire values][payload][u32 CRC32C of everything before]}.
 * The header starts with the protocol version. Version 2 added flags, the block's HLC, writer site and version
 * vector (multi-master) after the text field; frames of any other version are rejected. One instance per thread: it
 * reuses its buffers.
 */
public final class FrameCodec {

    public static final int VERSION = 2;
    /** Longest frame the transport accepts: a 1 MiB block that did not compress, plus headers. */
    public static final int MAX_FRAME_BYTES = 4 * 1024 * 1024;

    private final Bytes<?> headerBytes = Bytes.allocateElasticOnHeap(256);
    private final BinaryWire wire;
    private final byte[] scratch = new byte[4096];
    private final CRC32C crc = new CRC32C();
    private final int writeVersion;

    public FrameCodec() {
        this(VERSION);
    }

    /** A codec that writes frames of protocol version {@code writeVersion} (tests of version checks). */
    FrameCodec(int writeVersion) {
        this.writeVersion = writeVersion;
        headerBytes.singleThreadedCheckDisabled(true);
        wire = BinaryWire.binaryOnly(headerBytes);
    }

    /**
     * Encodes and decodes one frame, so that the classes and static state behind the codec (Chronicle Wire takes
     * most of a second of a cold JVM) are ready before the first session needs them. Thread-safe.
     */
    public static void warmUp() {
        FrameCodec codec = new FrameCodec();
        Frame frame = new Frame().reset(FrameType.HELLO).resourceId("warm-up").text("warm-up");
        ByteBuf buf = codec.encode(frame, io.netty.buffer.UnpooledByteBufAllocator.DEFAULT);
        try {
            codec.decode(buf, frame);
        } catch (CorruptFrameException e) {
            throw new IllegalStateException("frame codec warm-up: " + e.getMessage(), e);
        } finally {
            buf.release();
        }
    }

    /** Thrown for a frame that fails its checksum or cannot be parsed. */
    public static final class CorruptFrameException extends Exception {
        private static final long serialVersionUID = 1L;
        /** The sequence read from the header, or -1 when the header itself is unreadable. */
        public final long sequence;

        CorruptFrameException(String message, long sequence) {
            super(message);
            this.sequence = sequence;
        }
    }

    /** Encodes a frame without payload into a new buffer from {@code alloc} (the caller owns it). */
    public ByteBuf encode(Frame frame, ByteBufAllocator alloc) {
        return encode(frame, null, 0, alloc);
    }

    /**
     * Encodes {@code frame} with {@code payloadLength} bytes of {@code payload} (from index 0, may be null when 0)
     * into a new buffer from {@code alloc} (the caller owns it).
     */
    public ByteBuf encode(Frame frame, ByteBuffer payload, int payloadLength, ByteBufAllocator alloc) {
        int headerLength = writeHeader(frame, payloadLength);
        ByteBuf buf = alloc.directBuffer(2 + headerLength + payloadLength + 4);
        buf.writeShort(headerLength);
        buf.writeBytes(scratch, 0, headerLength);
        if (payloadLength > 0) {
            buf.writeBytes(payload.duplicate().clear().limit(payloadLength));
        }
        crc.reset();
        crc.update(buf.nioBuffer(0, buf.writerIndex()));
        buf.writeInt((int) crc.getValue());
        return buf;
    }

    /**
     * Encodes {@code frame} around {@code payload} (its readable bytes) without copying them: the result is a
     * composite of a header buffer, {@code payload} itself and the checksum, which the socket writes with one gathering
     * write. Takes ownership of {@code payload} (released with the result, or here when encoding fails); the caller
     * owns the result.
     */
    public ByteBuf encode(Frame frame, ByteBuf payload, ByteBufAllocator alloc) {
        ByteBuf head = null;
        ByteBuf tail = null;
        try {
            int payloadLength = payload.readableBytes();
            int headerLength = writeHeader(frame, payloadLength);
            head = alloc.directBuffer(2 + headerLength);
            head.writeShort(headerLength);
            head.writeBytes(scratch, 0, headerLength);
            crc.reset();
            crc.update(head.nioBuffer());
            if (payloadLength > 0) {
                crc.update(payload.nioBuffer());
            }
            tail = alloc.directBuffer(4).writeInt((int) crc.getValue());
            CompositeByteBuf out = alloc.compositeDirectBuffer(3);
            out.addComponents(true, head, payload, tail);
            return out;
        } catch (RuntimeException e) {
            payload.release();
            if (head != null) {
                head.release();
            }
            if (tail != null) {
                tail.release();
            }
            throw e;
        }
    }

    /** Writes the header of {@code frame} into {@link #scratch}; returns its length. */
    private int writeHeader(Frame frame, int payloadLength) {
        headerBytes.clear();
        ValueOut out = wire.getValueOut();
        out.int8((byte) writeVersion);
        out.int8((byte) frame.type.ordinal());
        out.text(frame.resourceId);
        out.int64(frame.epoch);
        out.int64(frame.sequence);
        out.int64(frame.blockIndex);
        out.int64(frame.hashHigh);
        out.int64(frame.hashLow);
        out.int8((byte) frame.codec.ordinal());
        out.int32(frame.rawLength);
        out.int64(frame.value);
        out.text(frame.text);
        out.int32(frame.flags);
        out.int64(frame.hlcPhysicalMillis);
        out.int32(frame.hlcLogical);
        out.text(frame.writerSite);
        out.text(frame.versionVector);
        out.int32(payloadLength);
        int headerLength = (int) headerBytes.readRemaining();
        if (headerLength > scratch.length) {
            throw new IllegalArgumentException("frame header: " + headerLength + " bytes (expected: <= "
                    + scratch.length + "; a version vector that long cannot be sent)");
        }
        headerBytes.read(scratch, 0, headerLength);
        return headerLength;
    }

    /**
     * Decodes one frame (without the transport's length prefix) into {@code frame}. On success the payload is a
     * retained slice of {@code in} that the caller must release; {@code in} itself is not released.
     */
    public void decode(ByteBuf in, Frame frame) throws CorruptFrameException {
        int start = in.readerIndex();
        int length = in.readableBytes();
        if (length < 2 + 4) {
            throw new CorruptFrameException("frame: " + length + " bytes (expected: >= 6)", -1);
        }
        int headerLength = in.getUnsignedShort(start);
        if (headerLength > scratch.length || 2 + headerLength + 4 > length) {
            throw new CorruptFrameException("frame header length: " + headerLength + " (expected: <= "
                    + Math.min(scratch.length, length - 6) + ")", -1);
        }
        crc.reset();
        crc.update(in.nioBuffer(start, length - 4));
        int expectedCrc = in.getInt(start + length - 4);
        in.getBytes(start + 2, scratch, 0, headerLength);
        headerBytes.clear();
        headerBytes.write(scratch, 0, headerLength);
        frame.reset(FrameType.HELLO);
        long sequence = -1;
        int payloadLength;
        try {
            ValueIn valueIn = wire.getValueIn();
            int version = valueIn.int8();
            if (version != VERSION) {
                throw new CorruptFrameException("frame version: " + version + " (expected: " + VERSION
                        + "; the peer runs an incompatible Vantage release)", -1);
            }
            frame.type = FrameType.of(valueIn.int8());
            valueIn.textTo(frame.resourceId);
            frame.epoch = valueIn.int64();
            frame.sequence = valueIn.int64();
            sequence = frame.sequence;
            frame.blockIndex = valueIn.int64();
            frame.hashHigh = valueIn.int64();
            frame.hashLow = valueIn.int64();
            frame.codec = Codec.of(valueIn.int8());
            frame.rawLength = valueIn.int32();
            frame.value = valueIn.int64();
            valueIn.textTo(frame.text);
            frame.flags = valueIn.int32();
            frame.hlcPhysicalMillis = valueIn.int64();
            frame.hlcLogical = valueIn.int32();
            valueIn.textTo(frame.writerSite);
            valueIn.textTo(frame.versionVector);
            payloadLength = valueIn.int32();
        } catch (CorruptFrameException e) {
            throw e;
        } catch (RuntimeException e) {
            throw new CorruptFrameException("frame header unreadable: " + e.getMessage(), -1);
        }
        if ((int) crc.getValue() != expectedCrc) {
            throw new CorruptFrameException("frame checksum mismatch (sequence " + sequence + ")", sequence);
        }
        if (payloadLength != length - 2 - headerLength - 4) {
            throw new CorruptFrameException("frame payload length: " + payloadLength + " (expected: "
                    + (length - 2 - headerLength - 4) + ")", sequence);
        }
        frame.payload = payloadLength == 0 ? null : in.retainedSlice(start + 2 + headerLength, payloadLength);
    }
}

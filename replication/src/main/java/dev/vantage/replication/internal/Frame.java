package dev.vantage.replication.internal;

import io.netty.buffer.ByteBuf;

/**
 * One replication protocol message, mutable so that one instance is reused per stage (see {@link FrameType} for
 * what each field means per type). The payload is a {@link ByteBuf} owned by whoever set it: a decoded frame owns a
 * retained slice that the consumer must release.
 */
public final class Frame {

    /** {@link #flags} bit of a HELLO: the session is multi-master, every block frame carries its version. */
    public static final int FLAG_MULTI_MASTER = 1;

    public FrameType type;
    public final StringBuilder resourceId = new StringBuilder();
    public long epoch;
    public long sequence;
    public long blockIndex;
    public long hashHigh;
    public long hashLow;
    public Codec codec = Codec.RAW;
    public int rawLength;
    public long value;
    public final StringBuilder text = new StringBuilder();
    public ByteBuf payload;
    /** HELLO: {@link #FLAG_MULTI_MASTER}. */
    public int flags;
    /** Multi-master block frames: the block's hybrid logical clock. */
    public long hlcPhysicalMillis;
    public int hlcLogical;
    /** Multi-master: HELLO = the sending site; block frames = the site whose write the block holds ("" = none). */
    public final StringBuilder writerSite = new StringBuilder();
    /** Multi-master block frames: the block's version vector, {@code site=n,site=n}. */
    public final StringBuilder versionVector = new StringBuilder();
    /**
     * Receiver only, never on the wire: the payload of this BLOCK frame is the block's raw bytes and matched its
     * content hash where it was decoded ({@link BlockVerifier}).
     */
    public boolean verified;

    public Frame reset(FrameType type) {
        this.type = type;
        resourceId.setLength(0);
        epoch = 0;
        sequence = 0;
        blockIndex = 0;
        hashHigh = 0;
        hashLow = 0;
        codec = Codec.RAW;
        rawLength = 0;
        value = 0;
        text.setLength(0);
        payload = null;
        flags = 0;
        hlcPhysicalMillis = 0;
        hlcLogical = 0;
        writerSite.setLength(0);
        versionVector.setLength(0);
        verified = false;
        return this;
    }

    public Frame resourceId(CharSequence id) {
        resourceId.setLength(0);
        resourceId.append(id);
        return this;
    }

    public Frame text(CharSequence t) {
        text.setLength(0);
        text.append(t);
        return this;
    }

    @Override
    public String toString() {
        return type + "{resource=" + resourceId + ", epoch=" + epoch + ", seq=" + sequence + ", block=" + blockIndex
                + ", codec=" + codec + ", raw=" + rawLength + ", value=" + value
                + (text.length() > 0 ? ", text=" + text : "") + "}";
    }
}

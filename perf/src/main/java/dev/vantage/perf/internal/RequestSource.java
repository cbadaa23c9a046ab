package dev.vantage.perf.internal;

import io.netty.buffer.ByteBuf;
import io.netty.buffer.ByteBufAllocator;

/** Encodes the next HTTP/1.1 request to send; one instance per worker, called only on its event loop. */
public interface RequestSource {

    /**
     * The next request, fully encoded; the caller owns (writes and thereby releases) the buffer.
     *
     * @param elapsedNanos time since the start of the run, for sources whose requests change over time
     */
    ByteBuf next(ByteBufAllocator alloc, long elapsedNanos);
}

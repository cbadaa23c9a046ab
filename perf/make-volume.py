#!/usr/bin/env python3
"""Writes the replication benchmarks' test volume: first half random, second half text-like (compressible), made of
one 8 MiB text rotated differently per 4 MiB chunk, each block stamped with its chunk and block number so that no two
blocks are alike.

Usage: make-volume.py PATH MIB BLOCK_BYTES [WORDS]  (WORDS: the text's vocabulary, space-separated)
"""
import os
import random
import sys

DEFAULT_WORDS = "the mirror site block epoch volume replica shadow primary route user sticky latency probe delta frame"

path, mib, block = sys.argv[1], int(sys.argv[2]), int(sys.argv[3])
words = [w.encode() for w in (sys.argv[4] if len(sys.argv) > 4 else DEFAULT_WORDS).split()]
rnd = random.Random(7)
base = bytearray()
while len(base) < 8 << 20:
    base += rnd.choice(words) + b" " + str(rnd.randrange(1 << 20)).encode() + b"\n"
base = bytes(base[:8 << 20])
with open(path, "wb") as f:
    half = mib * 1024 * 1024 // 2
    f.write(os.urandom(half))
    chunk = 4 << 20
    for i in range(half // chunk):
        r = (i * 1_000_003) % len(base)
        buf = bytearray((base[r:] + base[:r])[:chunk])
        for b in range(0, chunk, block):
            buf[b:b + 16] = b"%08d%08d" % (i, b // block)
        f.write(buf)

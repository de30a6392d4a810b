#!/usr/bin/env python3
"""make-trace.py SIZES OUT [OPS] - a replay trace from real compressed sizes.

Allocates objects with the sizes in SIZES (one a line, in order), frees
random live ones so that the pool churns around a working set, pins a few,
and reclaims now and then.  Which objects a reclaim evicts depends on the
allocator, so the trace is replayed with build/zbud at every reclaim to
learn them: the result is a valid trace for zbud.  Deterministic (seed 1).
Used to make examples/python-heap.trace; not needed to build or test.
"""
import random
import subprocess
import sys


def evicted_by(lines):
    log = subprocess.run(["build/zbud", "replay"], input="\n".join(lines) + "\n",
                         capture_output=True, text=True, check=True).stdout
    return [int(x) for x in log.splitlines()[-1].split()[3:]]


def main():
    sizes = [int(x) for x in open(sys.argv[1]) if x.strip()]
    ops = int(sys.argv[3]) if len(sys.argv) > 3 else 12000
    rng = random.Random(1)
    lines = ["# python heap: real LZ4-compressed page sizes, frees, pins, reclaims"]
    live, pinned, next_id = [], set(), 1
    for i in range(ops):
        roll = rng.random()
        if live and (roll < 0.42 or len(live) > 3000):
            obj = live.pop(rng.randrange(len(live)))
            pinned.discard(obj)
            lines.append(f"f {obj}")
        elif live and roll < 0.44:
            obj = rng.choice(live)
            lines.append(f"{'u' if obj in pinned else 'p'} {obj}")
            pinned ^= {obj}
        elif live and roll < 0.447:
            lines.append(f"r {rng.choice([1, 2, 3, 8])}")
            gone = set(evicted_by(lines))
            live = [x for x in live if x not in gone]
        else:
            lines.append(f"a {next_id} {sizes[i % len(sizes)]}")
            live.append(next_id)
            next_id += 1
    open(sys.argv[2], "w").write("\n".join(lines) + "\n")


main()

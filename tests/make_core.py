#!/usr/bin/env python3
"""make_core.py KIND FILE - write a small ELF core file of KIND, damaged or
made up the ways a hostile file could be, for estimate.sh:

  big          one PT_LOAD spanning 2^56 bytes from 0, nothing in the file
  overlap-file 65534 PT_LOADs over the same 1 MiB of the file
  overlap-mem  two PT_LOADs at the same address
  more-file    a PT_LOAD holding more in the file than it spans
  empty        PT_LOADs with nothing in the file (not dumped)
  cut          a good segment, then one that lies past the end of the file
  good         a note naming one segment a mapped file (NT_FILE), and two more
"""
import struct
import sys

PAGE = 4096
ET_CORE, PT_LOAD, EM_X86_64 = 4, 1, 62


def ehdr(phnum):
    ident = b"\x7fELF" + bytes([2, 1, 1]) + bytes(9)
    return struct.pack("<16sHHIQQQIHHHHHH", ident, ET_CORE, EM_X86_64, 1, 0, 64, 0, 0,
                       64, 56, phnum, 64, 0, 0)


def phdr(offset, vaddr, filesz, memsz):
    return struct.pack("<IIQQQQQQ", PT_LOAD, 6, offset, vaddr, 0, filesz, memsz, PAGE)


def note(offset, size):
    return struct.pack("<IIQQQQQQ", 4, 4, offset, 0, 0, size, 0, 4)


def nt_file(start, end):
    desc = struct.pack("<QQQQQ", 1, PAGE, start, end, 0) + b"/usr/lib/fake.so\0"
    desc += bytes(-len(desc) % 4)
    return struct.pack("<III", 5, len(desc), 0x46494c45) + b"CORE\0\0\0\0" + desc


def core(segments, data_at, data, notes=b""):
    head = ehdr(len(segments) + (1 if notes else 0))
    if notes:
        head += note(64 + 56 * (len(segments) + 1), len(notes))
    head += b"".join(phdr(*s) for s in segments) + notes
    assert len(head) <= data_at
    return head + bytes(data_at - len(head)) + data


def main(kind, path):
    text = (b"the page pool of zbud " * 200)[:PAGE]
    if kind == "big":
        out = core([(PAGE, 0, 0, 1 << 56)], PAGE, bytes(PAGE))
    elif kind == "overlap-file":
        n = 65534
        at = (64 + 56 * n + PAGE - 1) // PAGE * PAGE
        out = core([(at, 0x10000000 + i * (1 << 20), 1 << 20, 1 << 20) for i in range(n)],
                   at, text * 256)
    elif kind == "overlap-mem":
        out = core([(PAGE, 0x10000000, PAGE, PAGE), (2 * PAGE, 0x10000000, PAGE, PAGE)],
                   PAGE, text * 2)
    elif kind == "more-file":
        out = core([(PAGE, 0x10000000, 2 * PAGE, PAGE)], PAGE, text * 2)
    elif kind == "empty":
        out = core([(PAGE, 0x10000000, 0, 4 * PAGE), (PAGE, 0x20000000, 0, PAGE)], PAGE, b"")
    elif kind == "cut":
        out = core([(PAGE, 0x10000000, PAGE, PAGE), (2 * PAGE, 0x20000000, 4 * PAGE, 4 * PAGE)],
                   PAGE, text)
    elif kind == "good":
        out = core([(PAGE, 0x10000000, PAGE, PAGE), (2 * PAGE, 0x20000000, PAGE, PAGE),
                    (3 * PAGE, 0x30000000, PAGE, 2 * PAGE)], PAGE, text + bytes(PAGE) + text[:100],
                   nt_file(0x20000000, 0x20000000 + PAGE))
    else:
        sys.exit("make_core.py: unknown kind " + kind)
    with open(path, "wb") as f:
        f.write(out)


if __name__ == "__main__":
    main(sys.argv[1], sys.argv[2])

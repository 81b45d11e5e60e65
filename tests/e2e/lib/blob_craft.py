#!/usr/bin/env python3
"""blob_craft.py - makes hostile weights blobs the way an attacker would.

Edits header fields or payload bytes of a Kiln blob, then recomputes both
CRCs with Python's zlib (an implementation independent of Kiln's), so the
result passes every CRC check and keeps the real signature.  Used by the
tests/e2e scripts that prove the runtime and the host tools refuse it.

  blob_craft.py IN OUT EDIT...

EDIT is one of
  FIELD=VALUE      set a header field (payload_size, tensor_count, dir_offset,
                   data_offset, align, flags, version, header_size) to VALUE
  reserved=BYTE    set the first reserved header byte (offset 44)
  payload+=N       append N zero bytes to the payload (payload_size grows)
  flip=OFFSET      flip bit 3 of the byte at OFFSET (from the blob start)
  forge=OFFSET     flip bit 3 of the byte at OFFSET and choose the 4 bytes after it
                   so the payload CRC-32 stays what it was (the header is unchanged)
  cut=N            cut the file to N bytes (after the CRCs are recomputed)
  dir_layout=I     set entry I's layout code of the directory to 0x00ff (unknown)
  nocrc            do not recompute the CRCs after the edits (put it first)
The offsets follow docs/blob-format.md; no Kiln code is used.
"""
import struct
import sys
import zlib

FIELDS = {  # name: (offset, struct format)
    "version": (4, "<H"), "header_size": (6, "<H"), "flags": (8, "<I"), "align": (12, "<I"),
    "payload_size": (24, "<I"), "payload_crc": (28, "<I"), "tensor_count": (32, "<I"),
    "dir_offset": (36, "<I"), "data_offset": (40, "<I"),
}


def seal(b):
    payload_size = struct.unpack_from("<I", b, 24)[0]
    payload = bytes(b[64:64 + payload_size])
    struct.pack_into("<I", b, 28, zlib.crc32(payload) & 0xFFFFFFFF)
    struct.pack_into("<I", b, 60, zlib.crc32(bytes(b[:60])) & 0xFFFFFFFF)


def forge(b, at, want):
    """Changes b[at:at+4] (payload offset) so zlib.crc32(b) == want.  CRC-32
    is affine over GF(2): solve for the 32 bits by Gaussian elimination."""
    n = len(b)
    c0 = zlib.crc32(bytes(n))
    rows = []  # (column, combination)
    for j in range(32):
        z = bytearray(n)
        z[at + j // 8] = 1 << (j % 8)
        rows.append([zlib.crc32(bytes(z)) ^ c0, 1 << j])
    rank = 0
    for bit in range(31, -1, -1):
        piv = next((r for r in range(rank, 32) if rows[r][0] >> bit & 1), None)
        if piv is None:
            continue
        rows[rank], rows[piv] = rows[piv], rows[rank]
        for r in range(32):
            if r != rank and rows[r][0] >> bit & 1:
                rows[r][0] ^= rows[rank][0]
                rows[r][1] ^= rows[rank][1]
        rank += 1
    t, x = zlib.crc32(bytes(b)) ^ want, 0
    for col, comb in rows:
        if col and t >> (col.bit_length() - 1) & 1:
            t ^= col
            x ^= comb
    assert t == 0
    for j in range(32):
        if x >> j & 1:
            b[at + j // 8] ^= 1 << (j % 8)
    assert zlib.crc32(bytes(b)) == want


def main(argv):
    if len(argv) < 3:
        sys.stderr.write(__doc__)
        return 2
    b = bytearray(open(argv[1], "rb").read())
    recompute = True
    cut = None
    for edit in argv[3:]:
        if edit == "nocrc":
            recompute = False
        elif edit.startswith("payload+="):
            n = int(edit.split("=", 1)[1], 0)
            b += bytes(n)
            struct.pack_into("<I", b, 24, struct.unpack_from("<I", b, 24)[0] + n)
        elif edit.startswith("flip="):
            b[int(edit.split("=", 1)[1], 0)] ^= 8
        elif edit.startswith("forge="):
            off = int(edit.split("=", 1)[1], 0)
            size = struct.unpack_from("<I", b, 24)[0]
            payload = bytearray(b[64:64 + size])
            want = zlib.crc32(bytes(payload))
            payload[off - 64] ^= 8
            forge(payload, off - 64 + 1, want)
            b[64:64 + size] = payload
        elif edit.startswith("cut="):
            cut = int(edit.split("=", 1)[1], 0)
        elif edit.startswith("reserved="):
            b[44] = int(edit.split("=", 1)[1], 0)
        elif edit.startswith("dir_layout="):
            i = int(edit.split("=", 1)[1], 0)
            d = struct.unpack_from("<I", b, 36)[0] + 16 * i
            struct.pack_into("<H", b, d + 14, 0xFF)
        else:
            name, value = edit.split("=", 1)
            off, fmt = FIELDS[name]
            struct.pack_into(fmt, b, off, int(value, 0))
    if recompute:
        seal(b)
    if cut is not None:
        del b[cut:]
    open(argv[2], "wb").write(b)
    return 0


if __name__ == "__main__":
    sys.exit(main(sys.argv))

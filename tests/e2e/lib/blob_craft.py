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
  dir_reserved=I   set entry I's reserved bytes of the directory to 0x01
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


def main(argv):
    if len(argv) < 3:
        sys.stderr.write(__doc__)
        return 2
    b = bytearray(open(argv[1], "rb").read())
    recompute = True
    for edit in argv[3:]:
        if edit == "nocrc":
            recompute = False
        elif edit.startswith("payload+="):
            n = int(edit.split("=", 1)[1], 0)
            b += bytes(n)
            struct.pack_into("<I", b, 24, struct.unpack_from("<I", b, 24)[0] + n)
        elif edit.startswith("flip="):
            b[int(edit.split("=", 1)[1], 0)] ^= 8
        elif edit.startswith("reserved="):
            b[44] = int(edit.split("=", 1)[1], 0)
        elif edit.startswith("dir_reserved="):
            i = int(edit.split("=", 1)[1], 0)
            d = struct.unpack_from("<I", b, 36)[0] + 16 * i
            b[d + 14] = 1
        else:
            name, value = edit.split("=", 1)
            off, fmt = FIELDS[name]
            struct.pack_into(fmt, b, off, int(value, 0))
    if recompute:
        seal(b)
    open(argv[2], "wb").write(b)
    return 0


if __name__ == "__main__":
    sys.exit(main(sys.argv))

#!/usr/bin/python3
"""garbling_qemu.py - stands in for qemu-system-arm (KILN_QEMU=this file) to
test how the host end of the validation protocol treats a target whose serial
line garbles data.  It ignores its arguments, sends a correct HELLO for the
fake network (fake.c: signature "kilnfake", 67 input / 72 output bytes), reads
one INPUT frame and answers according to $GARBLE:
  crc     an OUTPUT frame with one payload bit flipped after its CRC was made
  length  an OUTPUT header claiming 0x40000000 payload bytes
  seq     a correct OUTPUT frame with the wrong sequence number
then waits to be killed."""
import os, struct, sys, time, zlib

def frame(t, seq, payload, flip=None, length=None):
    h = struct.pack("<BBI", t, seq, len(payload) if length is None else length)
    body = bytearray(payload)
    crc = zlib.crc32(h + bytes(body))
    if flip is not None:
        body[flip] ^= 0x04
    return b"KV" + h + bytes(body) + struct.pack("<I", crc)

out, inp = sys.stdout.buffer, sys.stdin.buffer
hello = struct.pack("<IIQIIIIIIIII", 1, 0, 0x6B696C6E66616B65, 67, 72, 2, 2, 160, 0x60000000, 1 << 24, 25000000, 0)
hello += bytes(44) + b"fake\0KILN_OK\0ok\0"
out.write(frame(0x81, 0, hello)); out.flush()
got = inp.read(8 + 67 + 4)
seq = got[3]
payload = struct.pack("<Q", 10) + bytes(72)
mode = os.environ.get("GARBLE", "crc")
if mode == "crc":
    out.write(frame(0x82, seq, payload, flip=20))
elif mode == "length":
    out.write(frame(0x82, seq, payload, length=0x40000000)[:8])
else:
    out.write(frame(0x82, (seq + 1) & 0xFF, payload))
out.flush()
time.sleep(60)

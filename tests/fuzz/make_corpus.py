#!/usr/bin/env python3
"""make_corpus.py - the generated seeds of tests/fuzz/corpus (called by make_corpus.sh).

  make_corpus.py CORPUS_DIR

Writes tensor/*.npy variants (numpy's own writer), vproto/ and firmware/
frame streams and gdb/ server conversations.  Frames are built here from
docs/validation-protocol.md with zlib's CRC-32, GDB packets from the GDB
manual's checksum rule: independent of Kiln's encoders, so a seed is what a
real peer would send.
"""
import io
import os
import struct
import sys
import zlib

import numpy as np

out = sys.argv[1]


def put(sub, name, data):
    with open(os.path.join(out, sub, name), "wb") as f:
        f.write(data)


# ---- tensors: .npy in every element type Kiln reads, and the odd headers ----
def npy(arr, version=None):
    b = io.BytesIO()
    if version:
        np.lib.format.write_array(b, arr, version=version)
    else:
        np.save(b, arr)
    return b.getvalue()


rng = np.random.RandomState(7)
for dt in ["<f4", "<f8", "<f2", "|i1", "<i2", "<i4", "<i8", "|u1", "<u2", "<u4", "<u8", "|b1", ">f4", ">i2"]:
    a = (rng.rand(2, 3) * 10).astype(dt)
    put("tensor", "npy_%s.npy" % dt.replace("<", "le_").replace(">", "be_").replace("|", ""), npy(a))
put("tensor", "npy_scalar.npy", npy(np.float32(1.5)))
put("tensor", "npy_empty.npy", npy(np.zeros((0, 4), np.float32)))
put("tensor", "npy_rank6.npy", npy(np.zeros((1, 2, 1, 2, 1, 2), np.int8)))
put("tensor", "npy_v2.npy", npy(np.arange(5, dtype=np.int32), version=(2, 0)))
put("tensor", "npy_v3.npy", npy(np.arange(5, dtype=np.int16), version=(3, 0)))
put("tensor", "npy_fortran.npy", npy(np.asfortranarray(np.arange(6, dtype=np.float32).reshape(2, 3))))


# ---- infer: byte 0 = network and buffers (fuzz_infer.c), then input bytes ----
img = np.load(os.path.join(os.path.dirname(os.path.abspath(__file__)), "..", "models", "small_cnn",
                           "input_1.npy")).astype("<f4").tobytes()
for mode in range(4):
    put("infer", "image_mode%d.bin" % mode, bytes([mode]) + img)
put("infer", "ones_s8.bin", b"\x01" + np.ones(16, "<f4").tobytes())
put("infer", "huge_cnn.bin", b"\x00" + np.array([3e38, -3e38, 1e-45, 65504], "<f4").tobytes())


# ---- validation protocol frames ----
T_INPUT, T_QUIT, T_HELLO, T_OUTPUT, T_ERROR, T_FAULT, T_BYE = 0x01, 0x02, 0x81, 0x82, 0x83, 0x84, 0x85


def frame(typ, seq, payload, crc=None):
    body = struct.pack("<BBI", typ, seq, len(payload)) + payload
    c = zlib.crc32(body) & 0xFFFFFFFF if crc is None else crc
    return b"KV" + body + struct.pack("<I", c)


hello = struct.pack("<IIQIIIIIIIII", 1, 0, 0x669a0ec907c01c53, 1, 1, 1, 1, 32, 0, 1568, 25000000, 1)
hello += bytes(96 - len(hello)) + b"fz_fw\0KILN_OK\0ok\0"
target_stream = (frame(T_HELLO, 0, hello) + frame(T_OUTPUT, 1, struct.pack("<Q", 1234) + b"\x05") +
                 frame(T_ERROR, 2, struct.pack("<III", 1, 5, 6) + b"frame CRC mismatch\0") +
                 frame(T_FAULT, 3, bytes(52)) + frame(T_BYE, 4, struct.pack("<I", 1)))
# byte 0: max_payload selector, byte 1: piece size - 1 (fuzz_vproto.c)
put("vproto", "target_session.bin", b"\x03\x00" + target_stream)
put("vproto", "target_session_pieces7.bin", b"\x03\x06" + target_stream)
put("vproto", "max16_bad_length.bin", b"\x01\x40" + target_stream)
put("vproto", "junk_and_bad_crc.bin", b"\x02\x10" + b"semihosting: hello\nK" +
    frame(T_OUTPUT, 1, b"\x00" * 9, crc=0xDEADBEEF) + b"KKV" + frame(T_BYE, 2, b"\x01\x00\x00\x00"))

# The firmware side: fz_fw takes one int8 input byte per INPUT frame.
put("firmware", "two_inputs_quit.bin", frame(T_INPUT, 1, b"\x10") + frame(T_INPUT, 2, b"\x80") + frame(T_QUIT, 3, b""))
put("firmware", "bad_crc_then_quit.bin", frame(T_INPUT, 1, b"\x10", crc=1) + frame(T_QUIT, 2, b""))
put("firmware", "wrong_length.bin", frame(T_INPUT, 1, b"\x10\x11\x12") + frame(T_INPUT, 2, b"\x01") + frame(T_QUIT, 3, b""))
put("firmware", "unknown_type_junk.bin", b"garbage K" + frame(0x7F, 9, b"abc") + frame(T_INPUT, 4, b"\x7f"))
put("firmware", "quit_with_payload.bin", frame(T_QUIT, 1, b"\x00") + frame(T_QUIT, 2, b""))


# ---- GDB remote protocol: what a server sends, in order ----
def pkt(data):
    return b"$" + data + b"#%02x" % (sum(data) & 0xFF)


def esc(data):
    return b"".join(b"}" + bytes([c ^ 0x20]) if c in b"#$}*" else bytes([c]) for c in data)


mem_map = (b'<?xml version="1.0"?><!DOCTYPE memory-map PUBLIC "+//IDN gnu.org//DTD GDB Memory Map V1.0//EN" '
           b'"http://sourceware.org/gdb/gdb-memory-map.dtd"><memory-map>'
           b'<memory type="ram" start="0x20000000" length="0x20000"/>'
           b'<memory type="flash" start="0x90000000" length="0x4000000">'
           b'<property name="blocksize">0x10000</property></memory>'
           b'<memory type="rom" start="0x0" length="0x1000"/></memory-map>')
mem300 = bytes((i * 7) & 0xFF for i in range(300)).hex().encode()

# no-ack mode, memory map in two pieces, X writes taken, flash programmed
conv = (b"+" + pkt(b"PacketSize=1000;QStartNoAckMode+;qXfer:memory-map:read+;vContSupported+") +
        b"+" + pkt(b"OK") + pkt(b"T05thread:01;") +
        pkt(b"m" + esc(mem_map[:200])) + pkt(b"l" + esc(mem_map[200:])) +
        pkt(mem300) + pkt(b"OK") + pkt(b"OK") + pkt(b"OK") + pkt(b"OK"))
put("gdb", "noack_map_flash.bin", conv)
# ack mode throughout (no QStartNoAckMode), no memory map, X unsupported -> M
ram = (b"+" + pkt(b"PacketSize=100") + b"+" + pkt(b"S05") +
       b"+" + pkt(b"0*>" + b"12" * 140) + b"+" + pkt(b"") + b"+" + pkt(b"OK") + b"+" + pkt(b"OK"))
put("gdb", "ack_ram_m_packets.bin", ram)
# NAKs, a bad checksum, a notification and an error reply
noisy = (b"-+" + b"%Stop:T05#00" + b"$PacketSize=400;QStartNoAckMode+#00" + b"+" +
         pkt(b"PacketSize=400;QStartNoAckMode+") + b"+" + pkt(b"OK") + pkt(b"S05") + pkt(b"E14"))
put("gdb", "noise_nak_error.bin", noisy)
put("gdb", "not_a_server.bin", b"SSH-2.0-OpenSSH_9.2\r\n")

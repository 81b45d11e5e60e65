#!/usr/bin/python3
"""flash_fake_gdb_server.py - a small GDB remote-protocol server for the flash
e2e tests: the behaviours of real servers that QEMU's stub does not show.

  flash_fake_gdb_server.py PORTFILE MODE [IMAGE]

Listens on a free 127.0.0.1 port, writes the port number to PORTFILE and
serves connections one after another (the target's memory persists between
them) until none comes for 60 s or it is killed.  MODE:
  flash   a memory map with NOR flash at 0x08000000 (128 KiB, 16 KiB blocks)
          and RAM at 0x20000000; vFlashErase/vFlashWrite/vFlashDone with NOR
          rules (a write over bytes that are not erased is refused with E03,
          so a client that forgets to erase fails); no-ack mode; X packets;
          run-length encoded 'm' replies.  After each connection the flash
          bytes are written to IMAGE; an IMAGE that exists at start is the
          flash's initial content.
  silent  accepts the connection and never answers.
  nak     answers every packet with '-'.
  error   behaves as `flash` but answers every write with E01.
  cut:N   behaves as `flash`, but at the Nth write packet of its life
          (vFlashErase, vFlashWrite, X or M) applies the writes buffered so
          far and half of that packet's bytes, then drops the connection: a
          probe losing power mid-write.  Later connections are served as
          `flash`, with the memory as the cut left it.
Misbehaving servers (each answers qSupported as `flash` does, unless said):
  trickle   answers qSupported with a packet that never ends, one byte every
            0.2 s, so no single wait for a byte is long;
  flood     answers qSupported with '$' and 8 MiB of data, no '#', then
            stays silent with the connection open;
  bigblock  a memory map whose flash region has a 2 GiB block size;
  overlap   a memory map with two overlapping regions;
  emptymap  sends the memory map as endless empty 'm' parts.
"""
import os
import socket
import sys
import time

FLASH_BASE, FLASH_SIZE, BLOCK = 0x08000000, 128 * 1024, 16 * 1024
RAM_BASE, RAM_SIZE = 0x20000000, 64 * 1024
MEMORY_MAP = (
    '<?xml version="1.0"?>\n<memory-map>\n'
    f'  <memory type="flash" start="{FLASH_BASE:#x}" length="{FLASH_SIZE:#x}">\n'
    f'    <property name="blocksize">{BLOCK:#x}</property>\n  </memory>\n'
    f'  <memory type="ram" start="{RAM_BASE:#x}" length="{RAM_SIZE:#x}"/>\n'
    '</memory-map>\n')
BAD_MAPS = {
    'bigblock': (
        '<?xml version="1.0"?>\n<memory-map>\n'
        '  <memory type="flash" start="0x0" length="0x80000000">\n'
        '    <property name="blocksize">0x80000000</property>\n  </memory>\n'
        '</memory-map>\n'),
    'overlap': (
        '<?xml version="1.0"?>\n<memory-map>\n'
        f'  <memory type="flash" start="{FLASH_BASE:#x}" length="{FLASH_SIZE:#x}">\n'
        f'    <property name="blocksize">{BLOCK:#x}</property>\n  </memory>\n'
        f'  <memory type="ram" start="{FLASH_BASE + BLOCK:#x}" length="0x1000"/>\n'
        '</memory-map>\n'),
}


def checksum(data):
    return sum(data) & 0xFF


def escape(data):
    out = bytearray()
    for b in data:
        if b in b'#$}*':
            out += bytes([0x7D, b ^ 0x20])
        else:
            out.append(b)
    return bytes(out)


def unescape(data):
    out, i = bytearray(), 0
    while i < len(data):
        if data[i] == 0x7D:
            out.append(data[i + 1] ^ 0x20)
            i += 2
        else:
            out.append(data[i])
            i += 1
    return bytes(out)


def rle(text):
    """Run-length encodes runs of 4..97 equal characters as GDB stubs may."""
    out, i = bytearray(), 0
    while i < len(text):
        j = i
        while j < len(text) and text[j] == text[i] and j - i < 97:
            j += 1
        n = j - i
        # repeat count n-1 encoded as chr(n-1+29); skip values that would be '#', '$', '+', '-'
        if n >= 4 and chr(n - 1 + 29) not in '#$+-':
            out.append(text[i])
            out += b'*' + bytes([n - 1 + 29])
        else:
            out += text[i:j]
        i = j
    return bytes(out)


WRITES = [0]    # write packets seen over the server's life (cut:N)


class Server:
    def __init__(self, conn, mode):
        self.c, self.mode = conn, mode
        self.ack = True
        self.flash = bytearray(b'\xff' * FLASH_SIZE)
        self.ram = bytearray(RAM_SIZE)
        self.buf = b''
        self.pending = []   # vFlashWrite data, applied at vFlashDone
        self.cut_at = int(mode[4:]) if mode.startswith('cut:') else 0

    def maybe_cut(self, p):
        """cut:N: the Nth write packet is done in half and the link dies."""
        if not p[:1] in (b'X', b'M') and not p.startswith((b'vFlashErase:', b'vFlashWrite:')):
            return
        WRITES[0] += 1
        if WRITES[0] != self.cut_at:
            return
        for o, data in self.pending:
            self.flash[o:o + len(data)] = data
        self.pending = []
        if p.startswith(b'vFlashErase:'):
            addr, n = (int(x, 16) for x in p[12:].split(b','))
            m, o = self.mem(addr, n)
            if m is not None:
                m[o:o + n // 2] = b'\xff' * (n // 2)
        elif p.startswith(b'vFlashWrite:'):
            rest = p[12:]
            colon = rest.index(b':')
            addr, data = int(rest[:colon], 16), unescape(rest[colon + 1:])
            m, o = self.mem(addr, len(data))
            if m is not None:
                m[o:o + len(data) // 2] = data[:len(data) // 2]
        else:
            head, data = p.split(b':', 1)
            addr, n = (int(x, 16) for x in head[1:].split(b','))
            data = unescape(data) if p[:1] == b'X' else bytes.fromhex(data.decode())
            m, o = self.mem(addr, n)
            if m is not None:
                m[o:o + n // 2] = data[:n // 2]
        raise ConnectionError('cut')

    def read_packet(self):
        while True:
            while b'#' not in self.buf or len(self.buf) - self.buf.index(b'#') < 3:
                chunk = self.c.recv(65536)
                if not chunk:
                    return None
                self.buf += chunk
            start = self.buf.find(b'$')
            if start < 0:
                self.buf = b''
                continue
            end = self.buf.index(b'#', start)
            if len(self.buf) < end + 3:
                chunk = self.c.recv(65536)
                if not chunk:
                    return None
                self.buf += chunk
                continue
            data, cs = self.buf[start + 1:end], self.buf[end + 1:end + 3]
            self.buf = self.buf[end + 3:]
            if self.mode == 'nak':
                self.c.sendall(b'-')
                continue
            if int(cs, 16) != checksum(data):
                self.c.sendall(b'-')
                continue
            if self.ack:
                self.c.sendall(b'+')
            return data

    def reply(self, data):
        pkt = b'$' + data + b'#' + b'%02x' % checksum(data)
        self.c.sendall(pkt)
        if self.ack:
            # Wait for the client's ack.
            while not self.buf:
                self.buf += self.c.recv(65536)
            if self.buf[:1] == b'+':
                self.buf = self.buf[1:]

    def mem(self, addr, n):
        if FLASH_BASE <= addr and addr + n <= FLASH_BASE + FLASH_SIZE:
            return self.flash, addr - FLASH_BASE
        if RAM_BASE <= addr and addr + n <= RAM_BASE + RAM_SIZE:
            return self.ram, addr - RAM_BASE
        return None, 0

    def handle(self, p):
        if self.cut_at:
            self.maybe_cut(p)
        if p.startswith(b'qSupported') and self.mode == 'trickle':
            self.c.sendall(b'$PacketSize=400')
            for _ in range(600):
                time.sleep(0.2)
                self.c.sendall(b';')
            raise ConnectionError('trickled for 120 s')
        if p.startswith(b'qSupported') and self.mode == 'flood':
            self.c.sendall(b'$' + b'a' * (8 << 20))
            while self.c.recv(65536):
                pass
            raise ConnectionError('client gone')
        if p.startswith(b'qSupported'):
            return b'PacketSize=400;QStartNoAckMode+;qXfer:memory-map:read+'
        if p == b'QStartNoAckMode':
            self.reply(b'OK')
            self.ack = False
            return None
        if p == b'?':
            return b'S05'
        if p.startswith(b'qXfer:memory-map:read::'):
            off, length = (int(x, 16) for x in p.split(b'::')[1].split(b','))
            if self.mode == 'emptymap':
                return b'm'
            doc = BAD_MAPS.get(self.mode, MEMORY_MAP).encode()
            part = doc[off:off + length]
            return (b'l' if off + length >= len(doc) else b'm') + escape(part)
        if p[:1] == b'm':
            addr, n = (int(x, 16) for x in p[1:].split(b','))
            m, o = self.mem(addr, n)
            if m is None:
                return b'E14'
            return rle(m[o:o + n].hex().encode())
        if p[:1] in (b'X', b'M'):
            if self.mode == 'error':
                return b'E01'
            head, data = p.split(b':', 1)
            addr, n = (int(x, 16) for x in head[1:].split(b','))
            data = unescape(data) if p[:1] == b'X' else bytes.fromhex(data.decode())
            m, o = self.mem(addr, n)
            if m is None or m is self.flash or len(data) != n:
                return b'E01'
            m[o:o + n] = data
            return b'OK'
        if p.startswith(b'vFlashErase:'):
            if self.mode == 'error':
                return b'E01'
            addr, n = (int(x, 16) for x in p[12:].split(b','))
            if (addr - FLASH_BASE) % BLOCK or n % BLOCK or self.mem(addr, n)[0] is not self.flash:
                return b'E02'
            o = addr - FLASH_BASE
            self.flash[o:o + n] = b'\xff' * n
            return b'OK'
        if p.startswith(b'vFlashWrite:'):
            if self.mode == 'error':
                return b'E01'
            rest = p[12:]
            colon = rest.index(b':')
            addr, data = int(rest[:colon], 16), unescape(rest[colon + 1:])
            if self.mem(addr, len(data))[0] is not self.flash:
                return b'E02'
            o = addr - FLASH_BASE
            if any(b != 0xFF for b in self.flash[o:o + len(data)]):
                return b'E03'   # programming over bytes that were not erased
            self.pending.append((o, data))
            return b'OK'
        if p == b'vFlashDone':
            for o, data in self.pending:
                self.flash[o:o + len(data)] = data
            self.pending = []
            return b'OK'
        return b''


def main():
    portfile, mode = sys.argv[1], sys.argv[2]
    image = sys.argv[3] if len(sys.argv) > 3 else None
    ls = socket.socket()
    ls.setsockopt(socket.SOL_SOCKET, socket.SO_REUSEADDR, 1)
    ls.bind(('127.0.0.1', 0))
    ls.listen(1)
    ls.settimeout(60)
    with open(portfile + '.tmp', 'w') as f:
        f.write(str(ls.getsockname()[1]))
    os.replace(portfile + '.tmp', portfile)
    srv = None
    if image and os.path.exists(image):
        srv = Server(None, mode)
        with open(image, 'rb') as f:
            srv.flash[:] = f.read()[:FLASH_SIZE]
    while True:
        try:
            conn, _ = ls.accept()
        except socket.timeout:
            return
        conn.settimeout(60)
        flash, ram = (srv.flash, srv.ram) if srv else (None, None)
        srv = Server(conn, mode)
        if flash is not None:
            srv.flash, srv.ram = flash, ram
        try:
            if mode == 'silent':
                while conn.recv(65536):
                    pass
                continue
            while True:
                p = srv.read_packet()
                if p is None:
                    break
                r = srv.handle(p)
                if r is not None:
                    srv.reply(r)
        except (ConnectionError, socket.timeout, OSError):
            pass
        finally:
            conn.close()
            if image:
                with open(image + '.tmp', 'wb') as f:
                    f.write(srv.flash)
                os.replace(image + '.tmp', image)


if __name__ == '__main__':
    main()

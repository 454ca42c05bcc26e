"""A raw HTTP/2 client for the e2e tests: frames written by hand (and header blocks by
python3-hpack), so that tests can send what no well-behaved client sends (resets in a
burst, endless CONTINUATION, HPACK references that decompress huge, a zero window)."""
import socket
import struct
import time

import hpack

PREFACE = b"PRI * HTTP/2.0\r\n\r\nSM\r\n\r\n"
DATA, HEADERS, PRIORITY, RST_STREAM, SETTINGS, PUSH_PROMISE, PING, GOAWAY, WINDOW_UPDATE, \
    CONTINUATION = range(10)
END_STREAM, ACK, END_HEADERS = 0x1, 0x1, 0x4
INITIAL_WINDOW_SIZE = 0x4
NO_ERROR, PROTOCOL_ERROR, ENHANCE_YOUR_CALM = 0x0, 0x1, 0xb


def frame(ftype, flags, sid, payload=b""):
    return struct.pack(">I", len(payload))[1:] + bytes([ftype, flags]) + struct.pack(">I", sid) \
        + payload


class H2Raw:
    def __init__(self, addr, settings=None, timeout=10.0, source=None):
        self.s = socket.create_connection(addr, timeout=timeout,
                                          source_address=(source, 0) if source else None)
        self.enc = hpack.Encoder()
        self.dec = hpack.Decoder()
        self.buf = b""
        payload = b"".join(struct.pack(">HI", k, v) for k, v in (settings or {}).items())
        self.s.sendall(PREFACE + frame(SETTINGS, 0, 0, payload))

    def close(self):
        try:
            self.s.close()
        except OSError:
            pass

    def __enter__(self):
        return self

    def __exit__(self, *exc):
        self.close()
        return False

    def send(self, *frames):
        """Sends frames; False when the server already closed the connection."""
        try:
            self.s.sendall(b"".join(frames))
            return True
        except (BrokenPipeError, ConnectionResetError):
            return False

    def block(self, path, method="GET", extra=()):
        return self.enc.encode([(":method", method), (":scheme", "http"),
                                (":authority", "localhost"), (":path", path)] + list(extra))

    def headers(self, sid, path, method="GET", end_stream=True, extra=()):
        flags = END_HEADERS | (END_STREAM if end_stream else 0)
        return frame(HEADERS, flags, sid, self.block(path, method, extra))

    def read_frame(self, deadline):
        """(type, flags, stream, payload), or None at EOF; TimeoutError after deadline."""
        while len(self.buf) < 9 or len(self.buf) < 9 + int.from_bytes(self.buf[:3], "big"):
            left = deadline - time.monotonic()
            if left <= 0:
                raise TimeoutError("no complete frame before the deadline")
            self.s.settimeout(left)
            try:
                d = self.s.recv(1 << 16)
            except socket.timeout:
                raise TimeoutError("no complete frame before the deadline") from None
            except ConnectionResetError:
                return None
            if not d:
                return None
            self.buf += d
        n = int.from_bytes(self.buf[:3], "big")
        t, fl = self.buf[3], self.buf[4]
        sid = int.from_bytes(self.buf[5:9], "big") & 0x7FFFFFFF
        p, self.buf = self.buf[9:9 + n], self.buf[9 + n:]
        if t == SETTINGS and not fl & ACK:
            self.send(frame(SETTINGS, ACK, 0))
        return t, fl, sid, p

    def until_goaway(self, timeout=10.0):
        """Reads until GOAWAY and EOF: (error code, last stream id, closed)."""
        deadline = time.monotonic() + timeout
        code = last = None
        while time.monotonic() < deadline:
            try:
                f = self.read_frame(deadline)
            except TimeoutError:
                break
            if f is None:
                return code, last, True
            if f[0] == GOAWAY:
                last = int.from_bytes(f[3][:4], "big") & 0x7FFFFFFF
                code = int.from_bytes(f[3][4:8], "big")
        return code, last, False

    def responses(self, timeout=10.0, want=1):
        """Reads until `want` streams ended: {stream: {"status", "body", "headers"}}, and
        the GOAWAY frames seen [(last stream, code)]."""
        deadline = time.monotonic() + timeout
        out, goaways, done = {}, [], set()
        while len(done) < want:
            f = self.read_frame(deadline)
            if f is None:
                break
            t, fl, sid, p = f
            if t == HEADERS:
                hs = self.dec.decode(p)
                r = out.setdefault(sid, {"status": None, "body": b"", "headers": []})
                for k, v in hs:
                    if k == ":status":
                        if int(v) >= 200:
                            r["status"] = int(v)
                    else:
                        r["headers"].append((k, v))
            elif t == DATA:
                out.setdefault(sid, {"status": None, "body": b"", "headers": []})["body"] += p
                if p:
                    self.send(frame(WINDOW_UPDATE, 0, 0, struct.pack(">I", len(p))),
                              frame(WINDOW_UPDATE, 0, sid, struct.pack(">I", len(p))))
            elif t == RST_STREAM:
                out.setdefault(sid, {"status": None, "body": b"", "headers": []})["reset"] = \
                    int.from_bytes(p[:4], "big")
                done.add(sid)
            elif t == GOAWAY:
                goaways.append((int.from_bytes(p[:4], "big") & 0x7FFFFFFF,
                                int.from_bytes(p[4:8], "big")))
            if t in (HEADERS, DATA) and fl & END_STREAM:
                done.add(sid)
        return out, goaways

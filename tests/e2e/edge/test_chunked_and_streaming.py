"""Chunked bodies both ways, and ~200 MB streamed up and down in constant memory."""
import socket
import threading
import time

from harness import App, RawConn, Tierd, rss_kb, stack

BIG = 200 * 1024 * 1024
RSS_LIMIT_KB = 64 * 1024
PATTERN = b"abcdefghijklmnopqrstuvwxyz"


def test_chunked_upload_is_echoed():
    with App(name="a1") as a1, Tierd(stack(groups={"web": [a1.addr]})) as t:
        with RawConn(*t.addr()) as c:
            c.send(b"POST /echo HTTP/1.1\r\nHost: x\r\nTransfer-Encoding: chunked\r\n\r\n"
                   b"5\r\nhello\r\n1;ext=1\r\n \r\nA\r\n0123456789\r\n"
                   b"0\r\nX-Trailer: t\r\n\r\n")
            r = c.response()
            assert r.status == 200
            assert r.body == b"hello 0123456789"
            c.send(b"GET / HTTP/1.1\r\nHost: x\r\n\r\n")
            assert c.response().status == 200


def test_chunked_download():
    n = 1000003
    with App(name="a1") as a1, Tierd(stack(groups={"web": [a1.addr]})) as t:
        with RawConn(*t.addr()) as c:
            c.send(b"GET /bytes?n=%d&chunked=1 HTTP/1.1\r\nHost: x\r\n\r\n" % n)
            r = c.response()
            assert r.status == 200
            assert r.header("Transfer-Encoding", "").lower() == "chunked"
            assert r.body == (PATTERN * (n // 26 + 1))[:n]
        # An HTTP/1.0 client gets the same bytes, unchunked, delimited by the close.
        with RawConn(*t.addr()) as c:
            c.send(b"GET /bytes?n=%d&chunked=1 HTTP/1.0\r\nHost: x\r\n\r\n" % n)
            r = c.response()
            assert r.status == 200 and r.header("Transfer-Encoding") is None
            assert r.body == (PATTERN * (n // 26 + 1))[:n]


class RssSampler:
    """Samples the VmRSS of pid every 50 ms in a thread; .max_kb after the block and
    .growth_kb, the peak above the RSS at entry (what the transfer itself cost: a
    sanitizer build starts much larger than a release build, for reasons of its own)."""

    def __init__(self, pid):
        self.pid, self.max_kb, self.stop = pid, 0, threading.Event()
        self.base_kb = rss_kb(pid)

    @property
    def growth_kb(self):
        return self.max_kb - self.base_kb

    def __enter__(self):
        def run():
            while not self.stop.wait(0.05):
                self.max_kb = max(self.max_kb, rss_kb(self.pid))
        self.t = threading.Thread(target=run, daemon=True)
        self.t.start()
        return self

    def __exit__(self, *exc):
        self.stop.set()
        self.t.join(5)
        return False


def read_chunked_counting(sock, buf, deadline):
    """Decodes a chunked body from sock without keeping it; returns (length, pattern ok)."""
    total, ok = 0, True

    def more():
        nonlocal buf
        if time.monotonic() > deadline:
            raise TimeoutError("chunked body read timed out")
        d = sock.recv(1 << 20)
        if not d:
            raise ConnectionError(f"closed after {total} body bytes")
        buf += d

    while True:
        while b"\r\n" not in buf:
            more()
        line, buf = buf.split(b"\r\n", 1)
        size = int(line.split(b";")[0], 16)
        if size == 0:
            while not buf.endswith(b"\r\n") or b"\r\n" not in buf:
                more()
            return total, ok
        while len(buf) < size + 2:
            more()
        data, buf = buf[:size], buf[size + 2:]
        if ok and data[:26] != (PATTERN * 2)[total % 26:total % 26 + 26][:len(data[:26])]:
            ok = False
        total += size


def test_200mb_download_in_constant_memory():
    with App(name="a1") as a1, Tierd(stack(groups={"web": [a1.addr]})) as t:
        with RssSampler(t.pid) as rss, socket.create_connection(t.addr(), timeout=30) as s:
            s.sendall(b"GET /bytes?n=%d HTTP/1.1\r\nHost: x\r\nConnection: close\r\n\r\n" % BIG)
            deadline = time.monotonic() + 90
            buf = b""
            while b"\r\n\r\n" not in buf:
                buf += s.recv(65536)
            head, body = buf.split(b"\r\n\r\n", 1)
            assert head.startswith(b"HTTP/1.1 200 ")
            assert b"Content-Length: %d" % BIG in head
            got, first = len(body), body[:26]
            while time.monotonic() < deadline:
                d = s.recv(1 << 20)
                if not d:
                    break
                got += len(d)
            assert first == PATTERN[:len(first)]
            assert got == BIG
        assert 0 < rss.max_kb and rss.growth_kb < RSS_LIMIT_KB, \
            f"tierd RSS grew by {rss.growth_kb} kB (from {rss.base_kb} kB) while streaming"


def test_200mb_upload_in_constant_memory():
    piece = PATTERN * (65536 // 26)        # 65520 bytes, so the pattern stays aligned
    pieces = BIG // len(piece)
    size = pieces * len(piece)
    with App(name="a1") as a1, Tierd(stack(groups={"web": [a1.addr]},
                                           edge="  limits:\n    body_bytes: 1g\n")) as t:
        with RssSampler(t.pid) as rss, socket.create_connection(t.addr(), timeout=30) as s:
            sent_err = []

            def sender():
                try:
                    s.sendall(b"POST /echo HTTP/1.1\r\nHost: x\r\nContent-Length: %d\r\n"
                              b"Connection: close\r\n\r\n" % size)
                    for _ in range(pieces):
                        s.sendall(piece)
                except OSError as e:
                    sent_err.append(e)
            th = threading.Thread(target=sender, daemon=True)
            th.start()
            deadline = time.monotonic() + 90
            buf = b""
            while b"\r\n\r\n" not in buf:
                d = s.recv(65536)
                assert d, f"closed before the response head: {buf!r}"
                buf += d
            head, rest = buf.split(b"\r\n\r\n", 1)
            assert head.startswith(b"HTTP/1.1 200 "), head
            assert b"transfer-encoding: chunked" in head.lower()
            got, ok = read_chunked_counting(s, rest, deadline)
            th.join(30)
            assert not sent_err, sent_err
            assert got == size
            assert ok, "echoed bytes differ from what was sent"
        assert 0 < rss.max_kb and rss.growth_kb < RSS_LIMIT_KB, \
            f"tierd RSS grew by {rss.growth_kb} kB (from {rss.base_kb} kB) while streaming"

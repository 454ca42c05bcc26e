"""Slow clients: slowloris heads, stalled bodies and idle keep-alive connections are ended
by client_header, client_body and keepalive (2 s each here)."""
import select
import time

from harness import App, RawConn, Tierd, stack

EDGE = "  timeouts:\n    client_header: 2s\n    client_body: 2s\n    keepalive: 2s\n"



def trickle(c, data, every, limit):
    """Sends data one byte every `every` seconds until the peer answers or closes; returns
    the seconds it took, or None if nothing happened within limit."""
    t0 = time.monotonic()
    for b in data:
        try:
            c.sock.send(bytes([b]))
        except OSError:
            return time.monotonic() - t0
        r, _, _ = select.select([c.sock], [], [], every)
        if r:
            return time.monotonic() - t0
        if time.monotonic() - t0 > limit:
            return None
    return None


def outcome(c):
    """The status tierd sent before closing (None if it just closed)."""
    data = c.rest(timeout=5)
    if data.startswith(b"HTTP/1.1 "):
        return int(data[9:12])
    return None


def test_slowloris_head():
    with App(name="a1") as a1, Tierd(stack(groups={"web": [a1.addr]}, edge=EDGE)) as t:
        with RawConn(*t.addr()) as c:
            head = b"GET / HTTP/1.1\r\nHost: x\r\n" + b"X-Slow: " + b"s" * 100 + b"\r\n\r\n"
            took = trickle(c, head, 0.5, limit=12)
            assert took is not None, "a head trickled for 12 s was never cut off"
            assert 1.5 <= took <= 6, f"cut off after {took:.1f}s with client_header: 2s"
            assert outcome(c) in (408, None)
            assert c.closed_by_peer(3)


def test_slow_body():
    with App(name="a1") as a1, Tierd(stack(groups={"web": [a1.addr]}, edge=EDGE)) as t:
        with RawConn(*t.addr()) as c:
            c.send(b"POST /echo HTTP/1.1\r\nHost: x\r\nContent-Length: 100\r\n\r\n0123456789")
            t0 = time.monotonic()
            r, _, _ = select.select([c.sock], [], [], 12)
            took = time.monotonic() - t0
            assert r, "a stalled body was never cut off"
            assert 1.5 <= took <= 6, f"cut off after {took:.1f}s with client_body: 2s"
            assert outcome(c) in (408, None)


def test_idle_keepalive_is_closed():
    with App(name="a1") as a1, Tierd(stack(groups={"web": [a1.addr]}, edge=EDGE)) as t:
        with RawConn(*t.addr()) as c:
            c.send(b"GET / HTTP/1.1\r\nHost: x\r\n\r\n")
            assert c.response().status == 200
            t0 = time.monotonic()
            assert c.closed_by_peer(12), "an idle keep-alive connection stayed open 12 s"
            took = time.monotonic() - t0
            assert 1.5 <= took <= 6, f"closed after {took:.1f}s with keepalive: 2s"
            assert c.buf == b"", "an idle close sends nothing"


def test_active_connection_outlives_timeouts():
    """The timeouts are per phase: a connection that keeps working is not cut at 2 s."""
    with App(name="a1") as a1, Tierd(stack(groups={"web": [a1.addr]}, edge=EDGE)) as t:
        with RawConn(*t.addr()) as c:
            t0 = time.monotonic()
            while time.monotonic() - t0 < 4:
                c.send(b"GET /sleep?ms=200 HTTP/1.1\r\nHost: x\r\n\r\n")
                assert c.response().status == 200
                time.sleep(0.5)

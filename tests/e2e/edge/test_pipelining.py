"""Pipelining: several requests in one send(), answered in order."""
from harness import App, RawConn, Tierd, stack


def test_three_pipelined_requests_answered_in_order():
    with App(name="a1") as a1, Tierd(stack(groups={"web": [a1.addr]})) as t:
        with RawConn(*t.addr()) as c:
            # The first is the slowest: a proxy that answers as responses arrive would reorder.
            c.send(b"GET /sleep?ms=300 HTTP/1.1\r\nHost: x\r\n\r\n"
                   b"GET / HTTP/1.1\r\nHost: x\r\n\r\n"
                   b"GET /headers HTTP/1.1\r\nHost: x\r\nX-Seq: three\r\n\r\n")
            r1, r2, r3 = c.response(), c.response(), c.response()
            assert (r1.status, r2.status, r3.status) == (200, 200, 200)
            assert r1.body == b"slept 300 ms\n"
            assert r2.body.startswith(b"hello from a1")
            assert b"X-Seq: three" in r3.body
            # The connection is still usable afterwards.
            c.send(b"GET / HTTP/1.1\r\nHost: x\r\n\r\n")
            assert c.response().status == 200


def test_pipelined_post_bodies_and_close():
    with App(name="a1") as a1, Tierd(stack(groups={"web": [a1.addr]})) as t:
        with RawConn(*t.addr()) as c:
            c.send(b"POST /echo HTTP/1.1\r\nHost: x\r\nContent-Length: 5\r\n\r\nfirst"
                   b"POST /echo HTTP/1.1\r\nHost: x\r\nTransfer-Encoding: chunked\r\n\r\n"
                   b"6\r\nsecond\r\n0\r\n\r\n"
                   b"GET / HTTP/1.1\r\nHost: x\r\nConnection: close\r\n\r\n"
                   b"GET /never HTTP/1.1\r\nHost: x\r\n\r\n")
            r1, r2, r3 = c.response(), c.response(), c.response()
            assert (r1.status, r1.body) == (200, b"first")
            assert (r2.status, r2.body) == (200, b"second")
            assert r3.status == 200 and "close" in r3.header("Connection", "").lower()
            # Nothing after "Connection: close" is processed (9112 §9.6).
            assert c.closed_by_peer(5)
            assert c.buf == b""

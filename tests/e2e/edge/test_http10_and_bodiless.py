"""HTTP/1.0 clients, HEAD, 204/304, and close-delimited upstream responses."""
from harness import App, RawConn, Tierd, raw, stack


def pattern(n):
    """What build/app's /bytes sends: 'a'..'z' repeated."""
    return (b"abcdefghijklmnopqrstuvwxyz" * (n // 26 + 1))[:n]


def test_http10_client_gets_close():
    with App(name="a1") as a1, Tierd(stack(groups={"web": [a1.addr]})) as t:
        for req in (b"GET / HTTP/1.0\r\nHost: x\r\n\r\n",
                    b"GET / HTTP/1.0\r\n\r\n"):        # HTTP/1.0 may omit Host
            r, closed = raw(t.addr(), req)
            assert r is not None and r.status == 200, (req, r)
            assert r.body.startswith(b"hello from a1")
            assert r.header("Transfer-Encoding") is None
            assert closed, "an HTTP/1.0 request without keep-alive must end with a close"


def test_http10_keepalive_is_consistent():
    with App(name="a1") as a1, Tierd(stack(groups={"web": [a1.addr]})) as t:
        with RawConn(*t.addr()) as c:
            c.send(b"GET / HTTP/1.0\r\nHost: x\r\nConnection: keep-alive\r\n\r\n")
            r = c.response()
            assert r.status == 200 and r.header("Transfer-Encoding") is None
            if "keep-alive" in r.header("Connection", "").lower():
                # It promised to keep the connection: a second request must work.
                c.send(b"GET / HTTP/1.0\r\nHost: x\r\nConnection: keep-alive\r\n\r\n")
                assert c.response().status == 200
            else:
                assert c.closed_by_peer(5), "neither keep-alive announced nor connection closed"


def test_head_and_bodiless_statuses_keep_framing():
    with App(name="a1") as a1, Tierd(stack(groups={"web": [a1.addr]})) as t:
        with RawConn(*t.addr()) as c:
            c.send(b"HEAD /bytes?n=1000 HTTP/1.1\r\nHost: x\r\n\r\n")
            r = c.response(method="HEAD")
            assert r.status == 200
            assert r.header("Content-Length") in (None, "1000")
            for code in (204, 304):
                c.send(b"GET /status?code=%d HTTP/1.1\r\nHost: x\r\n\r\n" % code)
                r = c.response()
                assert r.status == code
                assert r.header("Transfer-Encoding") is None
                assert r.header("Content-Length") in (None, "0")
            # If any of the above leaked body bytes, this response would not parse.
            c.send(b"GET / HTTP/1.1\r\nHost: x\r\n\r\n")
            r = c.response()
            assert r.status == 200 and r.body.startswith(b"hello from a1")
            assert c.buf == b""


def test_close_delimited_response_to_http11_client():
    n = 300000
    with App(name="a1") as a1, Tierd(stack(groups={"web": [a1.addr]})) as t:
        with RawConn(*t.addr()) as c:
            c.send(b"GET /bytes?n=%d&close=1 HTTP/1.1\r\nHost: x\r\n\r\n" % n)
            r = c.response()
            assert r.status == 200
            assert r.body == pattern(n)
            if r.header("Transfer-Encoding") is None:
                # Not re-framed: then the end of the body must be the end of the connection.
                assert "close" in r.header("Connection", "").lower()
            else:
                assert r.header("Transfer-Encoding").lower() == "chunked"
                c.send(b"GET / HTTP/1.1\r\nHost: x\r\n\r\n")   # still reusable
                assert c.response().status == 200


def test_close_delimited_response_to_http10_client():
    n = 300000
    with App(name="a1") as a1, Tierd(stack(groups={"web": [a1.addr]})) as t:
        r, closed = raw(t.addr(), b"GET /bytes?n=%d&close=1 HTTP/1.0\r\nHost: x\r\n\r\n" % n)
        assert r.status == 200
        assert r.header("Transfer-Encoding") is None     # never chunked to HTTP/1.0
        assert r.body == pattern(n)
        assert closed

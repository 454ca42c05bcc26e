"""What tierd does per method and request-target form (docs/internals/http-request-line.md):
CONNECT and TRACE get 405 with Allow, OPTIONS honours Max-Forwards, asterisk-form and
absolute-form reach the target in the form RFC 9112 §3.2 asks for, other methods (extension
ones too) are forwarded with their bodies, Connection-listed fields removed and Via added."""
import pytest

from harness import RawConn, Tierd, Upstream, stack

STACK = stack(groups={"web": ["${up}"]})


@pytest.fixture(scope="module")
def proxy():
    with Upstream() as up, Tierd(STACK, up=up.addr) as t:
        yield t, up


def exchange(t, data, method="GET", closes=False):
    """Sends one request; returns its response (and, with closes, asserts tierd closed)."""
    with RawConn(*t.addr(), timeout=5) as c:
        c.send(data)
        r = c.response(method=method)
        if closes:
            assert c.closed_by_peer(timeout=2), f"{data[:40]!r}: connection left open"
        return r


def last(up, before):
    """The requests the target got since `before`, as (line, {lower name: [values]}, body)."""
    out = []
    for line, hdrs, body in up.requests[before:]:
        d = {}
        for n, v in hdrs:
            d.setdefault(n.lower(), []).append(v)
        out.append((line, d, body))
    return out


def test_connect_and_trace_get_405_and_are_not_forwarded(proxy):
    t, up = proxy
    before = len(up.requests)
    # CONNECT is refused with its request-line (and closed); TRACE once its head is read.
    for data, closes in ((b"CONNECT a.example:443 HTTP/1.1\r\nHost: a.example:443\r\n\r\n",
                          True),
                         (b"TRACE / HTTP/1.1\r\nHost: x\r\nCookie: secret=1\r\n\r\n", False)):
        r = exchange(t, data, closes=closes)
        assert r.status == 405, (data, r)
        assert "GET" in r.header("Allow", ""), r
    assert last(up, before) == []


def test_options_max_forwards(proxy):
    t, up = proxy
    before = len(up.requests)
    # 0: tierd is the final recipient (9110 §7.6.2): 204 with Allow, nothing forwarded,
    # and the connection stays usable.
    with RawConn(*t.addr(), timeout=5) as c:
        c.send(b"OPTIONS * HTTP/1.1\r\nHost: x\r\nMax-Forwards: 0\r\n\r\n")
        r = c.response()
        assert r.status == 204 and r.header("Allow") and r.header("Content-Length") is None, r
        c.send(b"GET / HTTP/1.1\r\nHost: x\r\n\r\n")
        assert c.response().status == 200
    # >0: forwarded with one hop fewer, and only that one field.
    r = exchange(t, b"OPTIONS /x HTTP/1.1\r\nHost: x\r\nMax-Forwards: 5\r\n\r\n")
    assert r.status == 200
    # Not OPTIONS/TRACE: the field is not ours to touch.
    r = exchange(t, b"GET /g HTTP/1.1\r\nHost: x\r\nMax-Forwards: 0\r\n\r\n")
    assert r.status == 200
    got = last(up, before)
    assert [g[0] for g in got] == ["GET / HTTP/1.1", "OPTIONS /x HTTP/1.1", "GET /g HTTP/1.1"]
    assert got[1][1]["max-forwards"] == ["4"]
    assert got[2][1]["max-forwards"] == ["0"]
    # A value that cannot be decremented is refused.
    r = exchange(t, b"OPTIONS / HTTP/1.1\r\nHost: x\r\nMax-Forwards: 1, 2\r\n\r\n", closes=True)
    assert r.status == 400


def test_target_forms(proxy):
    t, up = proxy
    before = len(up.requests)
    for data in (b"OPTIONS * HTTP/1.1\r\nHost: x\r\n\r\n",
                 b"OPTIONS http://a.example:8001 HTTP/1.1\r\nHost: ignored\r\n\r\n",
                 b"GET http://a.example/p?q HTTP/1.1\r\nHost: ignored\r\n\r\n"):
        r = exchange(t, data)
        assert r.status == 200, (data, r)
    got = last(up, before)
    assert [g[0] for g in got] == ["OPTIONS * HTTP/1.1", "OPTIONS * HTTP/1.1",
                                   "GET /p?q HTTP/1.1"]
    assert [g[1]["host"] for g in got] == [["x"], ["a.example:8001"], ["a.example"]]
    for data in (b"GET * HTTP/1.1\r\nHost: x\r\n\r\n",               # * is for OPTIONS
                 b"GET a.example:443 HTTP/1.1\r\nHost: x\r\n\r\n",   # authority: CONNECT
                 b"GET ftp://a/ HTTP/1.1\r\nHost: x\r\n\r\n"):
        r = exchange(t, data, closes=True)
        assert r.status == 400, (data, r)
    assert len(up.requests) == before + 3


def test_other_methods_are_forwarded_with_bodies(proxy):
    t, up = proxy
    before = len(up.requests)
    for data in (b"GET /b HTTP/1.1\r\nHost: x\r\nContent-Length: 3\r\n\r\nabc",
                 b"HEAD /b HTTP/1.1\r\nHost: x\r\nContent-Length: 3\r\n\r\nabc",
                 b"DELETE /b HTTP/1.1\r\nHost: x\r\nTransfer-Encoding: chunked\r\n\r\n"
                 b"3\r\nabc\r\n0\r\n\r\n",
                 b"PROPFIND /b HTTP/1.1\r\nHost: x\r\nContent-Length: 3\r\n\r\nabc",
                 b"get /b HTTP/1.1\r\nHost: x\r\nConnection: X-Hop\r\nX-Hop: 1\r\n"
                 b"X-End: 2\r\n\r\n"):
        r = exchange(t, data, method=data.split(b" ")[0].decode())
        assert r.status == 200, (data, r)
    got = last(up, before)
    assert [(g[0].split(" ")[0], g[2]) for g in got] == [
        ("GET", b"abc"), ("HEAD", b"abc"), ("DELETE", b"abc"), ("PROPFIND", b"abc"),
        ("get", b"")]
    hdrs = got[-1][1]
    assert "x-hop" not in hdrs and "connection" not in hdrs and hdrs["x-end"] == ["2"]
    assert all(g[1]["via"] == ["1.1 tierd"] for g in got)

"""Request smuggling: every ambiguous or malformed request is refused (400, or 501/505/414/
431/413 where the reference says so), the connection is closed, and nothing of it, nor the
request pipelined behind it, reaches the target."""
import time

import pytest

from harness import RawConn, Tierd, Upstream, stack

H = b"POST / HTTP/1.1\r\nHost: x\r\n"
FOLLOW = b"GET /smuggled HTTP/1.1\r\nHost: x\r\n\r\n"

# (id, bytes, acceptable statuses); None in the set means "closed without a response".
CASES = [
    ("cl_te", H + b"Content-Length: 6\r\nTransfer-Encoding: chunked\r\n\r\n0\r\n\r\nG", {400}),
    ("te_cl", H + b"Transfer-Encoding: chunked\r\nContent-Length: 4\r\n\r\n"
              b"5c\r\nGPOST / HTTP/1.1\r\nHost: x\r\nContent-Length: 15\r\n\r\nx=1\r\n0\r\n\r\n",
     {400}),
    ("te_xchunked", H + b"Transfer-Encoding: xchunked\r\n\r\n0\r\n\r\n", {400, 501}),
    ("te_xchunked_with_cl", H + b"Content-Length: 5\r\nTransfer-Encoding: xchunked\r\n\r\n"
                            b"0\r\n\r\n", {400, 501}),
    ("te_chunked_identity", H + b"Transfer-Encoding: chunked, identity\r\n\r\n0\r\n\r\n", {400}),
    ("te_chunked_chunked", H + b"Transfer-Encoding: chunked, chunked\r\n\r\n0\r\n\r\n", {400}),
    ("te_two_lines", H + b"Transfer-Encoding: chunked\r\nTransfer-Encoding: chunked\r\n\r\n"
                     b"0\r\n\r\n", {400}),
    ("te_chunked_then_cow", H + b"Transfer-Encoding: chunked\r\nTransfer-Encoding: cow\r\n\r\n"
                            b"0\r\n\r\n", {400}),
    ("te_space_before_colon", H + b"Transfer-Encoding : chunked\r\n\r\n0\r\n\r\n", {400}),
    ("te_obs_fold", H + b"Content-Length: 3\r\nTransfer-Encoding:\r\n chunked\r\n\r\n"
                    b"0\r\n\r\n", {400}),
    ("obs_fold_other", H + b"X-A: a\r\n b\r\nContent-Length: 0\r\n\r\n", {400}),
    ("te_vt", H + b"Content-Length: 5\r\nTransfer-Encoding:\x0bchunked\r\n\r\n0\r\n\r\n",
     {400, 501}),
    ("te_ff", H + b"Transfer-Encoding: chunked\x0c\r\n\r\n0\r\n\r\n", {400, 501}),
    ("te_param", H + b"Transfer-Encoding: chunked;x=y\r\n\r\n0\r\n\r\n", {400, 501}),
    ("cl_cl_different", H + b"Content-Length: 5\r\nContent-Length: 6\r\n\r\nhello!", {400}),
    ("cl_list_different", H + b"Content-Length: 5, 6\r\n\r\nhello!", {400}),
    ("cl_plus", H + b"Content-Length: +5\r\n\r\nhello", {400}),
    ("cl_hex", H + b"Content-Length: 0x5\r\n\r\nhello", {400}),
    ("cl_suffix", H + b"Content-Length: 5a\r\n\r\nhello", {400}),
    ("cl_inner_space", H + b"Content-Length: 5 5\r\n\r\nhello", {400}),
    ("cl_empty", H + b"Content-Length: \r\n\r\n", {400}),
    ("cl_overflow", H + b"Content-Length: 99999999999999999999\r\n\r\nhello", {400, 413}),
    ("chunk_negative", H + b"Transfer-Encoding: chunked\r\n\r\n-5\r\nhello\r\n0\r\n\r\n", {400}),
    ("chunk_0x", H + b"Transfer-Encoding: chunked\r\n\r\n0x5\r\nhello\r\n0\r\n\r\n", {400}),
    ("chunk_not_hex", H + b"Transfer-Encoding: chunked\r\n\r\nzz\r\nhello\r\n0\r\n\r\n", {400}),
    ("chunk_trailing_space", H + b"Transfer-Encoding: chunked\r\n\r\n5 \r\nhello\r\n0\r\n\r\n",
     {400}),
    ("chunk_overflow", H + b"Transfer-Encoding: chunked\r\n\r\n10000000000000005\r\nhello\r\n"
                       b"0\r\n\r\n", {400, 413}),
    ("chunk_data_overrun", H + b"Transfer-Encoding: chunked\r\n\r\n5\r\nhelloXX\r\n0\r\n\r\n",
     {400}),
    ("chunk_bare_lf", H + b"Transfer-Encoding: chunked\r\n\r\n5\nhello\r\n0\r\n\r\n", {400}),
    ("chunk_ext_bare_lf", H + b"Transfer-Encoding: chunked\r\n\r\n5;a\nb\r\nhello\r\n0\r\n\r\n",
     {400}),
    ("bare_lf_in_head", H + b"Content-Length: 5\r\nX: a\nTransfer-Encoding: chunked\r\n\r\nhello",
     {400}),
    ("bare_cr_in_value", H + b"X: a\rb\r\nContent-Length: 0\r\n\r\n", {400}),
    ("nul_in_value", H + b"X: a\x00b\r\nContent-Length: 0\r\n\r\n", {400}),
    ("nul_in_name", H + b"X\x00Y: a\r\nContent-Length: 0\r\n\r\n", {400}),
    ("space_before_first_header", b"POST / HTTP/1.1\r\n X: y\r\nHost: x\r\nContent-Length: 0"
                                  b"\r\n\r\n", {400}),
    ("duplicate_host", b"GET / HTTP/1.1\r\nHost: x\r\nHost: y\r\n\r\n", {400}),
    ("duplicate_host_identical", b"GET / HTTP/1.1\r\nHost: x\r\nHost: x\r\n\r\n", {400}),
    ("missing_host_http11", b"GET / HTTP/1.1\r\nX: y\r\n\r\n", {400}),
    ("host_with_userinfo", b"GET / HTTP/1.1\r\nHost: a@b\r\n\r\n", {400}),
    ("host_with_space", b"GET / HTTP/1.1\r\nHost: a b\r\n\r\n", {400}),
    ("request_line_double_space", b"GET  / HTTP/1.1\r\nHost: x\r\n\r\n", {400}),
    ("request_line_tab", b"GET\t/ HTTP/1.1\r\nHost: x\r\n\r\n", {400}),
    ("version_1_10", b"GET / HTTP/1.10\r\nHost: x\r\n\r\n", {400}),
    ("version_lowercase", b"GET / http/1.1\r\nHost: x\r\n\r\n", {400}),
    ("http09", b"GET /\r\n\r\n", {400, None}),
    ("http20", b"GET / HTTP/2.0\r\nHost: x\r\n\r\n", {505}),
    ("te_http10", b"POST / HTTP/1.0\r\nHost: x\r\nTransfer-Encoding: chunked\r\n\r\n"
                  b"0\r\n\r\n", {400}),
    ("request_line_9k", b"GET /" + b"a" * 9000 + b" HTTP/1.1\r\nHost: x\r\n\r\n", {414}),
    ("request_line_20k", b"GET /" + b"a" * 20000 + b" HTTP/1.1\r\nHost: x\r\n\r\n", {414}),
    ("too_many_headers", b"GET / HTTP/1.1\r\nHost: x\r\n"
                         + b"".join(b"X-H%d: v\r\n" % i for i in range(150)) + b"\r\n", {431}),
    ("header_too_large", b"GET / HTTP/1.1\r\nHost: x\r\nX-Big: " + b"b" * 20000 + b"\r\n\r\n",
     {431}),
    ("head_too_large", b"GET / HTTP/1.1\r\nHost: x\r\n"
                       + b"".join(b"X-H%d: %s\r\n" % (i, b"v" * 500) for i in range(60))
                       + b"\r\n", {431}),
    ("body_over_limit_cl", H + b"Content-Length: 5000\r\n\r\n" + b"b" * 5000, {413}),
    ("body_over_limit_chunked", H + b"Transfer-Encoding: chunked\r\n\r\n"
                                + b"400\r\n" + b"b" * 1024 + b"\r\n"
                                + b"400\r\n" + b"b" * 1024 + b"\r\n0\r\n\r\n", {413}),
]

# A short client_header: a head that is never judged complete fails in 3 s (as 408), not 10.
STACK = stack(groups={"web": ["${up}"]},
              edge="  timeouts:\n    client_header: 3s\n  limits:\n    body_bytes: 1500\n")


@pytest.fixture(scope="module")
def proxy():
    with Upstream() as up, Tierd(STACK, up=up.addr) as t:
        yield t, up


@pytest.mark.parametrize("data,want", [c[1:] for c in CASES], ids=[c[0] for c in CASES])
def test_refused_and_closed(proxy, data, want):
    t, up = proxy
    before = len(up.requests)
    with RawConn(*t.addr(), timeout=10) as c:
        try:
            c.send(data + FOLLOW)
        except (BrokenPipeError, ConnectionResetError):
            pass
        try:
            r = c.response()
        except Exception:
            r = None
        status = r.status if r else None
        assert status in want, f"got {r!r}, want one of {want}"
        if r is not None:
            assert r.header("Content-Length") is not None, "local errors carry Content-Length"
        closed = c.closed_by_peer(timeout=5)
        assert closed, "the connection must close after a framing error"
        assert b"HTTP/1.1" not in c.buf, f"a second response followed: {c.buf[:200]!r}"
    time.sleep(0.05)
    assert len(up.requests) == before, f"target received {up.requests[before:]}"
    assert up.garbage == []


def test_valid_requests_still_pass(proxy):
    """The fixture is not simply refusing everything."""
    t, up = proxy
    with RawConn(*t.addr()) as c:
        c.send(H + b"Content-Length: 5\r\n\r\nhello"
               + H + b"Transfer-Encoding: chunked\r\n\r\n5\r\nhello\r\n0\r\n\r\n")
        assert c.response().status == 200
        assert c.response().status == 200
    assert [r[2] for r in up.requests[-2:]] == [b"hello", b"hello"]


def test_get_with_body_is_a_body_not_a_request(proxy):
    """CL.0: a GET's Content-Length body is framed like any other body."""
    t, up = proxy
    before = len(up.requests)
    smuggle = b"GET /smuggled HTTP/1.1\r\nX: "
    with RawConn(*t.addr()) as c:
        c.send(b"GET /a HTTP/1.1\r\nHost: x\r\nContent-Length: %d\r\n\r\n%s" % (len(smuggle),
                                                                             smuggle)
               + b"GET /b HTTP/1.1\r\nHost: x\r\n\r\n")
        assert c.response().status == 200
        assert c.response().status == 200
    got = {r[0].split(" ")[1]: r[2] for r in up.requests[before:]}
    assert sorted(got) == ["/a", "/b"], up.requests[before:]
    assert got["/a"] == smuggle


def test_connection_option_cannot_remove_framing(proxy):
    """Connection: Content-Length must not make tierd drop its own framing field."""
    t, up = proxy
    before = len(up.requests)
    with RawConn(*t.addr()) as c:
        c.send(H + b"Connection: Content-Length\r\nContent-Length: %d\r\n\r\n%s"
               % (len(FOLLOW), FOLLOW) + b"GET /next HTTP/1.1\r\nHost: x\r\n\r\n")
        r = c.response()
        if r.status == 200:
            assert c.response().status == 200
    got = up.requests[before:]
    assert "/smuggled" not in [p for p in up.paths()[before:]]
    if got:
        assert got[0][2] == FOLLOW


def test_absolute_form_overrides_host(proxy):
    t, up = proxy
    before = len(up.requests)
    with RawConn(*t.addr()) as c:
        c.send(b"GET http://a.example/p?q=1 HTTP/1.1\r\nHost: b.example\r\n\r\n")
        assert c.response().status == 200
    line, hdrs, _ = up.requests[before]
    assert line == "GET /p?q=1 HTTP/1.1"
    assert [v for n, v in hdrs if n.lower() == "host"] == ["a.example"]


def test_h2c_upgrade_is_not_forwarded(proxy):
    t, up = proxy
    before = len(up.requests)
    with RawConn(*t.addr()) as c:
        c.send(b"GET / HTTP/1.1\r\nHost: x\r\nConnection: Upgrade, HTTP2-Settings\r\n"
               b"Upgrade: h2c\r\nHTTP2-Settings: AAMAAABkAARAAAAAAAIAAAAA\r\n\r\n")
        assert c.response().status == 200
    _, hdrs, _ = up.requests[before]
    names = {n.lower() for n, _ in hdrs}
    assert "upgrade" not in names and "http2-settings" not in names, hdrs

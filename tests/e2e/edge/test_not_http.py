"""Bytes that can never become an HTTP/1.x request (a TLS ClientHello, an SSH banner, binary
junk, a broken request-line) are answered 400 and closed as soon as they arrive, not when
client_header (30 s here) runs out; a valid request trickled byte by byte is never refused
on a prefix. See docs/internals/http-request-line.md."""
import random
import ssl
import time

from harness import RawConn, Tierd, Upstream, stack

STACK = stack(groups={"web": ["${up}"]}, edge="  timeouts:\n    client_header: 30s\n")


def client_hello():
    """A real TLS ClientHello, as a client that mistook the port for HTTPS sends it."""
    ctx = ssl.create_default_context()
    incoming, outgoing = ssl.MemoryBIO(), ssl.MemoryBIO()
    tls = ctx.wrap_bio(incoming, outgoing, server_hostname="example.com")
    try:
        tls.do_handshake()
    except ssl.SSLWantReadError:
        pass
    hello = outgoing.read()
    assert hello[:1] == b"\x16", hello[:16]
    return hello


# (id, bytes sent and then nothing more, the status tierd must answer)
CASES = [
    ("tls_client_hello", client_hello(), 400),
    ("tls_record_header_only", b"\x16\x03\x01", 400),
    ("ssh_banner", b"SSH-2.0-OpenSSH_9.2\r\n", 400),
    ("binary_junk", random.Random(12).randbytes(16), 400),
    ("ctl_in_method", b"GET\x01 / HTTP/1.1", 400),
    ("double_space_after_target", b"GET /  HTTP/1.1", 400),
    ("double_space_after_method", b"GET  /", 400),
    ("tab_separator", b"GET\t/", 400),
    ("http09_line", b"GET /\r\n", 400),
    ("lowercase_version", b"GET / http", 400),
    ("bare_lf_before_line", b"\r\n\n", 400),
    ("obs_fold_first_field", b"GET / HTTP/1.1\r\n Host: x", 400),
    ("space_before_colon", b"GET / HTTP/1.1\r\nHost : x", 400),
    ("nul_in_value", b"GET / HTTP/1.1\r\nHost: x\x00", 400),
    # A whole request-line gets its verdict before any field line arrives.
    ("connect", b"CONNECT example.com:443 HTTP/1.1\r\n", 405),
    ("http2_version", b"GET / HTTP/2.0\r\n", 505),
    ("asterisk_with_get", b"GET * HTTP/1.1\r\n", 400),
]


def test_refused_at_once():
    with Upstream() as up, Tierd(STACK, up=up.addr) as t:
        for name, data, want in CASES:
            with RawConn(*t.addr(), timeout=5) as c:
                t0 = time.monotonic()
                c.send(data)
                r = c.response(timeout=5)
                took = time.monotonic() - t0
                assert r.status == want, f"{name}: got {r.status}, want {want}"
                assert took < 1.0, f"{name}: answered after {took:.2f}s"
                if want == 405:
                    assert r.header("Allow"), f"{name}: 405 without Allow"
                assert c.closed_by_peer(timeout=2), f"{name}: connection left open"
        assert up.requests == [] and up.garbage == []


def test_trickled_valid_request_is_not_refused():
    """Every prefix of a valid head may be followed by more: nothing is refused early.
    Leading empty lines (9112 §2.2), absolute-form and obs-text in a value included."""
    head = (b"\r\n\r\nPOST http://x/p?q=1 HTTP/1.1\r\nHost: x\r\nX-Text: caf\xc3\xa9 \t ok\r\n"
            b"Content-Length: 2\r\n\r\nhi")
    with Upstream() as up, Tierd(STACK, up=up.addr) as t:
        with RawConn(*t.addr(), timeout=5) as c:
            for b in head:
                c.send(bytes([b]))
                time.sleep(0.003)
            r = c.response()
            assert r.status == 200, r
            c.send(b"GET / HTTP/1.1\r\nHost: x\r\n\r\n")   # the connection is still usable
            assert c.response().status == 200
        assert [(q[0], q[2]) for q in up.requests] == [("POST /p?q=1 HTTP/1.1", b"hi"),
                                                      ("GET / HTTP/1.1", b"")]

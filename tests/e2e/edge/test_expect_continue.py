"""Expect: 100-continue through tierd."""
import os
import tempfile
import time

from harness import App, RawConn, Tierd, curl, stack


def test_curl_expect_100_continue():
    body = os.urandom(4096)
    with App(name="a1") as a1, Tierd(stack(groups={"web": [a1.addr]})) as t, \
         tempfile.NamedTemporaryFile() as f:
        f.write(body)
        f.flush()
        t0 = time.monotonic()
        # With a 10 s expect timeout, curl only sends early if a 100 Continue arrived.
        p = curl("-H", "Expect: 100-continue", "--expect100-timeout", "10",
                 "--data-binary", f"@{f.name}", "-o", "-", "-w", "\n%{http_code}",
                 t.url("/echo"))
        took = time.monotonic() - t0
        assert p.returncode == 0, p.stderr
        out, code = p.stdout.rsplit(b"\n", 1)
        assert code == b"200"
        assert out == body
        assert took < 5, f"curl waited {took:.1f}s: no 100 Continue came back"


def test_raw_expect_100_continue():
    body = b"x" * 5000
    with App(name="a1") as a1, Tierd(stack(groups={"web": [a1.addr]})) as t:
        with RawConn(*t.addr()) as c:
            c.send(b"POST /echo HTTP/1.1\r\nHost: x\r\nExpect: 100-continue\r\n"
                   b"Content-Length: 5000\r\n\r\n")
            interim = c.response(skip_1xx=False, timeout=5)
            assert interim.status == 100
            c.send(body)
            r = c.response()
            assert r.status == 200 and r.body == body
            c.send(b"GET / HTTP/1.1\r\nHost: x\r\n\r\n")
            assert c.response().status == 200


def test_expect_with_oversized_body_gets_413_without_100():
    edge = "  limits:\n    body_bytes: 1k\n"
    with App(name="a1") as a1, Tierd(stack(groups={"web": [a1.addr]}, edge=edge)) as t:
        with RawConn(*t.addr()) as c:
            c.send(b"POST /echo HTTP/1.1\r\nHost: x\r\nExpect: 100-continue\r\n"
                   b"Content-Length: 5000\r\n\r\n")
            r = c.response(skip_1xx=False, timeout=5)
            assert r.status == 413


def test_http10_expect_gets_no_1xx():
    with App(name="a1") as a1, Tierd(stack(groups={"web": [a1.addr]})) as t:
        with RawConn(*t.addr()) as c:
            c.send(b"POST /echo HTTP/1.0\r\nHost: x\r\nExpect: 100-continue\r\n"
                   b"Content-Length: 5\r\n\r\n")
            time.sleep(0.5)
            c.send(b"hello")
            r = c.response(skip_1xx=False)
            assert r.status == 200, "never send 1xx to an HTTP/1.0 client (9110 §15.2)"
            assert r.body == b"hello"

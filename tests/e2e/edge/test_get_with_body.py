"""A body on a GET (Content-Length or chunked) is forwarded whole with its framing, and the
upstream connection that carried it is never pooled: a target may answer a GET without
reading its body (Python's http.server does), and those bytes would then prefix the next
client's request on that connection (a 0.CL desync)."""
import os
import subprocess
import sys
import time

from harness import RawConn, Tierd, Upstream, can_connect, free_port, stack, wait_for

SMUGGLED = b"GET /secret.txt HTTP/1.1\r\nX-Pad: "     # a head the next request would finish


def test_get_body_is_forwarded_with_its_framing():
    with Upstream(mode="ok") as up, Tierd(stack(groups={"web": [up.addr]})) as t:
        with RawConn(*t.addr()) as c:
            c.send(b"GET /cl HTTP/1.1\r\nHost: x\r\nContent-Length: 5\r\n\r\nhello")
            assert c.response().status == 200
            c.send(b"GET /te HTTP/1.1\r\nHost: x\r\nTransfer-Encoding: chunked\r\n\r\n"
                   b"3\r\nabc\r\n2\r\nde\r\n0\r\n\r\n")
            assert c.response().status == 200
        reqs = {r[0].split(" ")[1]: r for r in up.requests}
        cl = dict((k.lower(), v) for k, v in reqs["/cl"][1])
        assert cl.get("content-length") == "5" and reqs["/cl"][2] == b"hello", reqs["/cl"]
        te = dict((k.lower(), v) for k, v in reqs["/te"][1])
        assert te.get("transfer-encoding") == "chunked" and reqs["/te"][2] == b"abcde", \
            reqs["/te"]
        assert not up.garbage, up.garbage


def test_connection_that_carried_a_get_body_is_not_reused(tmp_path):
    """Debian's python3 http.server (HTTP/1.1, keep-alive) answers GET without reading the
    body. Were tierd to pool that connection, the smuggled head in the first client's body
    would swallow the second client's request and hand it /secret.txt."""
    root = tmp_path / "www"
    root.mkdir()
    (root / "a.txt").write_bytes(b"aaa")
    (root / "b.txt").write_bytes(b"bbb")
    (root / "secret.txt").write_bytes(b"SECRET")
    port = free_port()
    srv = subprocess.Popen([sys.executable, "-m", "http.server", "--protocol", "HTTP/1.1",
                            "--bind", "127.0.0.1", "--directory", str(root), str(port)],
                           stdout=subprocess.DEVNULL, stderr=subprocess.DEVNULL,
                           env=dict(os.environ, PYTHONDONTWRITEBYTECODE="1"))
    try:
        wait_for(lambda: can_connect("127.0.0.1", port), 10, what="python3 http.server")
        # One worker: both clients meet the same pool, as they would under load.
        with Tierd(stack(groups={"web": [f"127.0.0.1:{port}"]}, edge="  workers: 1\n")) as t:
            with RawConn(*t.addr()) as c:
                c.send(b"GET /a.txt HTTP/1.1\r\nHost: x\r\nContent-Length: "
                       + str(len(SMUGGLED)).encode() + b"\r\n\r\n" + SMUGGLED)
                r = c.response()
                assert (r.status, r.body) == (200, b"aaa"), r
            time.sleep(0.2)             # the first exchange is over on tierd's side
            with RawConn(*t.addr()) as c:
                c.send(b"GET /b.txt HTTP/1.1\r\nHost: x\r\n\r\n")
                r = c.response()
                assert (r.status, r.body) == (200, b"bbb"), r
    finally:
        srv.terminate()
        srv.wait(10)

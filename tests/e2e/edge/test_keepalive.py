"""Keep-alive: many requests on one client connection, and the upstream connection reused."""
import http.client

from harness import App, Tierd, Upstream, stack


def test_many_requests_on_one_client_connection():
    with App(name="a1") as a1, Tierd(stack(groups={"web": [a1.addr]})) as t:
        host, port = t.addr()
        c = http.client.HTTPConnection(host, port, timeout=10)
        try:
            c.connect()
            sock = c.sock
            local = sock.getsockname()
            for i in range(100):
                path = "/" if i % 2 else "/headers"
                c.request("GET", path)
                r = c.getresponse()
                body = r.read()
                assert r.status == 200, (i, r.status, body)
                assert not r.will_close, f"request {i}: tierd closed a keep-alive connection"
                # http.client reconnects silently; make sure it never had to.
                assert c.sock is sock and c.sock.getsockname() == local
        finally:
            c.close()


def test_upstream_connection_is_reused():
    with Upstream() as up, Tierd(stack(groups={"web": [up.addr]}, edge="  workers: 1\n")) as t:
        host, port = t.addr()
        c = http.client.HTTPConnection(host, port, timeout=10)
        try:
            for _ in range(30):
                c.request("GET", "/")
                r = c.getresponse()
                assert r.status == 200 and r.read() == b"ok"
        finally:
            c.close()
        assert len(up.requests) == 30
        assert up.accepts <= 2, f"30 sequential requests opened {up.accepts} upstream connections"

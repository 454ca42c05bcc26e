"""TLS to targets (protocol: https): a real TLS server (Python's http.server behind Python's
ssl, i.e. OpenSSL, in tls_target.py) as the target. Requests are verified against tls.ca for
tls.sni, pooled (the target counts its handshakes), refused with a 502 and an unhealthy
target when the CA is wrong, accepted with verify: false, and checked by `tierd check`."""
import json
import os
import re
import socket
import ssl
import subprocess
import sys
import tempfile
import time
import urllib.request

import pytest

from harness import ROOT, TIERD, RawConn, Tierd, free_port, get, tg_stack, wait_for

CERTS = os.path.join(ROOT, "tests", "lib", "tls")
SHOP = os.path.join(CERTS, "shop.ec.pem")       # self-signed CA:TRUE for shop.example
OTHER = os.path.join(CERTS, "other.ec.pem")     # another self-signed CA
HERE = os.path.dirname(os.path.abspath(__file__))
HC = "{ path: /health, interval: 5s, timeout: 2s, healthy_threshold: 2, unhealthy_threshold: 2 }"


@pytest.fixture
def target():
    port = free_port()
    p = subprocess.Popen([sys.executable, os.path.join(HERE, "tls_target.py"), str(port),
                          SHOP, os.path.join(CERTS, "shop.ec.key")],
                         stdout=subprocess.PIPE, stderr=subprocess.STDOUT, text=True)
    try:
        assert p.stdout.readline().strip() == "ready"
        yield f"127.0.0.1:{port}"
    finally:
        p.kill()
        p.wait()


def target_stats(addr):
    """Asks the target itself (over its own TLS, not through tierd) what it saw."""
    ctx = ssl.create_default_context(cafile=SHOP)
    ctx.check_hostname = False
    with urllib.request.urlopen(f"https://{addr}/_stats", context=ctx, timeout=5) as r:
        s = json.loads(r.read())
    s["handshakes"] -= 1            # this request's own
    s["sni"] = s["sni"][:-1]
    return s


def targets_json(t):
    p = subprocess.run([TIERD, "targets", "--json"], cwd=t.dir, capture_output=True,
                       text=True, timeout=10)
    assert p.returncode == 0, p.stderr
    return json.loads(p.stdout)["targets"]


def test_requests_verified_and_pooled(target):
    tls = f"{{ ca: {SHOP}, sni: shop.example }}"
    with Tierd(tg_stack([target], protocol="https", tls=tls,
                        edge="  workers: 2\n")) as t:
        for i in range(30):         # each on a new client connection
            r = get(t.url(f"/n{i}"))
            assert r.status == 200 and r.body == f"tls target /n{i}\n".encode()
        s = target_stats(target)
        assert s["requests"] == 30
        # Pooled: one TLS connection per worker at most, not one per request.
        assert 1 <= s["handshakes"] <= 2, s
        assert set(s["sni"]) == {"shop.example"}, s["sni"]


def test_large_bodies_both_ways_over_one_pooled_connection(target):
    tls = f"{{ ca: {SHOP}, sni: shop.example }}"
    with Tierd(tg_stack([target], protocol="https", tls=tls, edge="  workers: 1\n")) as t:
        n = 5 * 1024 * 1024 + 17           # many TLS records, past every buffer's mark
        for _ in range(2):
            r = get(t.url(f"/big/{n}"), timeout=30)
            assert r.status == 200 and len(r.body) == n
            assert r.body == (bytes(range(256)) * (n // 256 + 1))[:n]
        data = bytes((i * 7) % 251 for i in range(3 * 1024 * 1024))
        r = get(t.url("/up"), method="POST", body=data, timeout=30)
        assert r.status == 200 and r.body == f"got {len(data)} {sum(data) % 65521}\n".encode()
        assert target_stats(target)["handshakes"] == 1


def test_websocket_tunnel_over_tls(target):
    tls = f"{{ ca: {SHOP}, sni: shop.example }}"
    with Tierd(tg_stack([target], protocol="https", tls=tls)) as t, RawConn(*t.addr()) as c:
        c.send(b"GET /ws HTTP/1.1\r\nHost: shop.example\r\nConnection: Upgrade\r\n"
               b"Upgrade: websocket\r\nSec-WebSocket-Version: 13\r\n"
               b"Sec-WebSocket-Key: dGhlIHNhbXBsZSBub25jZQ==\r\n\r\n")
        head = c.read_until(b"\r\n\r\n")
        assert head.startswith(b"HTTP/1.1 101"), head
        for msg in (b"hello", bytes(range(256)) * 400):
            c.send(msg)
            assert c.read_exact(len(msg), time.monotonic() + 10) == msg
        # The client's half-close reaches the target through TLS, and its end comes back.
        c.sock.shutdown(socket.SHUT_WR)
        assert c.closed_by_peer(timeout=10)


def test_reload_keeps_pooled_tls_connections_and_rereads_the_ca(target):
    good = tg_stack([target], protocol="https", tls=f"{{ ca: {SHOP}, sni: shop.example }}",
                    edge="  workers: 1\n")
    with Tierd(good) as t:
        assert get(t.url("/a")).status == 200
        t.reload(good + "# reloaded\n")
        # The pooled connection (made before the reload) still carries requests.
        wait_for(lambda: "reloaded" in t.stderr() or get(t.url("/b")).status == 200, 10,
                 what="the reload")
        for i in range(5):
            assert get(t.url(f"/c{i}")).status == 200
        assert target_stats(target)["handshakes"] == 1
        # A reload to the wrong CA takes effect for new connections.
        t.reload(good.replace(SHOP, OTHER))
        wait_for(lambda: get(t.url("/d")).status == 502, 10, interval=0.3,
                 what="new connections verified against the new CA")


def test_wrong_ca_is_502_and_unhealthy_with_the_reason(target):
    tls = f"{{ ca: {OTHER}, sni: shop.example }}"
    with Tierd(tg_stack([target], protocol="https", tls=tls, health_check=HC,
                        initial_wait="0s")) as t:
        r = get(t.url("/x"))
        assert r.status == 502
        assert target_stats(target)["requests"] == 0
        assert "certificate verify failed" in t.stderr()

        def reason():
            [tj] = targets_json(t)
            return tj["state"] != "healthy" and "certificate verify failed" in \
                tj.get("description", "") and tj
        tj = wait_for(reason, 10, interval=0.3, what="the TLS failure in tierd targets")
        assert "self-signed" in tj["description"] or "issuer" in tj["description"], tj
        out = subprocess.run([TIERD, "targets"], cwd=t.dir, capture_output=True, text=True,
                             timeout=10).stdout
        assert "certificate verify failed" in out


def test_health_checks_over_tls_pass_with_the_right_ca(target):
    tls = f"{{ ca: {SHOP}, sni: shop.example }}"
    with Tierd(tg_stack([target], protocol="https", tls=tls, health_check=HC)) as t:
        wait_for(lambda: targets_json(t)[0]["state"] == "healthy", 8, interval=0.3,
                 what="the TLS target to pass its checks")
        s = target_stats(target)
        assert s["handshakes"] >= 2 and set(s["sni"]) == {"shop.example"}
        # Probes close with close_notify, so later ones resume the session.
        assert s["resumed"] >= 1, s


def test_verify_false_accepts_any_certificate_and_no_sni_for_an_address(target):
    tls = f"{{ ca: {OTHER}, verify: false }}"
    with Tierd(tg_stack([target], protocol="https", tls=tls)) as t:
        assert get(t.url("/v")).status == 200
        # No sni: the target is an IP address, and SNI carries host names only.
        assert target_stats(target)["sni"] == [None]


def test_address_without_sni_is_verified_as_an_address(target):
    # The certificate names shop.example, not 127.0.0.1: verification must fail.
    with Tierd(tg_stack([target], protocol="https", tls=f"{{ ca: {SHOP} }}")) as t:
        assert get(t.url("/v")).status == 502
        assert "certificate verify failed" in t.stderr()


def check(text):
    with tempfile.NamedTemporaryFile("w", suffix=".yaml", delete=False) as f:
        f.write(text.replace("${listen}", "127.0.0.1:18080"))
    try:
        p = subprocess.run([TIERD, "check", f.name], capture_output=True, text=True, timeout=30)
        return p.returncode, p.stdout + p.stderr, f.name
    finally:
        os.unlink(f.name)


def test_check_errors():
    rc, out, path = check(tg_stack(["127.0.0.1:19001"], tls=f"{{ ca: {SHOP} }}"))
    assert rc == 2
    assert re.search(re.escape(path) + r":\d+:\d+: .*tls applies only to protocol: https", out), out
    rc, out, path = check(tg_stack(["127.0.0.1:19001"], protocol="https",
                                   tls="{ ca: /nonexistent/ca.pem }"))
    assert rc == 2 and re.search(r":\d+:\d+: .*cannot read /nonexistent/ca.pem", out), out
    rc, out, path = check(tg_stack(["127.0.0.1:19001"], protocol="https",
                                   tls=f"{{ ca: {os.path.join(CERTS, 'shop.ec.key')} }}"))
    assert rc == 2 and "holds no PEM certificate" in out, out
    rc, out, path = check(tg_stack(["127.0.0.1:19001"], protocol="gopher"))
    assert rc == 2 and "https" in out, out
    rc, out, path = check(tg_stack(["127.0.0.1:19001"], protocol="https",
                                   tls=f"{{ ca: {SHOP}, sni: shop.example }}"))
    assert rc in (0, 1), out        # valid (policy findings may still exit 1)

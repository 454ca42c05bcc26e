"""Errors towards targets: refused -> 502, closed without answer -> 502, silent -> 504 after
upstream_read, no matching rule -> 404."""
import socket
import time

from harness import App, Tierd, Upstream, free_port, get, skip_probe, stack


def test_no_target_listening_is_502():
    dead = f"127.0.0.1:{free_port()}"
    with Tierd(stack(groups={"web": [dead]})) as t:
        for _ in range(3):
            r = get(t.url("/"))
            assert r.status == 502
        assert t.proc.poll() is None


def test_target_closing_without_answer_is_502():
    with App(name="a1") as a1, Tierd(stack(groups={"web": [a1.addr]})) as t:
        assert get(t.url("/drop")).status == 502
        assert get(t.url("/reset")).status == 502
        # The pool is not poisoned: the next request is fine.
        assert get(t.url("/")).status == 200


def test_silent_target_is_504_after_upstream_read():
    edge = "  timeouts:\n    upstream_read: 1s\n"
    with Upstream(mode="silent") as up, Tierd(stack(groups={"web": [up.addr]}, edge=edge)) as t:
        t0 = time.monotonic()
        r = get(t.url("/"), timeout=20)
        took = time.monotonic() - t0
        assert r.status == 504
        assert 0.8 <= took < 8, f"504 after {took:.2f}s with upstream_read: 1s"


def test_upstream_connect_timeout_is_504():
    # A listener with a full accept queue (backlog 0, one connection never accepted) drops
    # further SYNs, so a connect to it hangs: the loopback stand-in for a black-holed target.
    lsock = socket.socket(socket.AF_INET, socket.SOCK_STREAM)
    filler = socket.socket(socket.AF_INET, socket.SOCK_STREAM)
    probe = socket.socket(socket.AF_INET, socket.SOCK_STREAM)
    try:
        lsock.bind(("127.0.0.1", 0))
        lsock.listen(0)
        addr = lsock.getsockname()
        filler.connect(addr)
        probe.settimeout(0.5)
        try:
            probe.connect(addr)
            skip_probe("kernel_backlog_hang",
                       "this kernel accepts past a full backlog; cannot make a connect hang")
        except socket.timeout:
            pass
        edge = "  timeouts:\n    upstream_connect: 1s\n"
        with Tierd(stack(groups={"web": ["%s:%d" % addr]}, edge=edge)) as t:
            t0 = time.monotonic()
            r = get(t.url("/"), timeout=30)
            took = time.monotonic() - t0
            assert r.status == 504
            assert 0.8 <= took < 8, f"504 after {took:.2f}s with upstream_connect: 1s"
    finally:
        for s in (probe, filler, lsock):
            s.close()


def test_no_matching_rule_is_404():
    rules = "      - match: { path_prefix: /api }\n        forward: web\n"
    with App(name="a1") as a1, Tierd(stack(rules=rules, groups={"web": [a1.addr]})) as t:
        assert get(t.url("/api/x")).header("X-Instance") == "a1"
        r = get(t.url("/other"))
        assert r.status == 404
        assert r.header("X-Instance") is None

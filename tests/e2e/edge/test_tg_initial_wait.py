"""A target group that is starting (a health check, every target still `initial`) holds new
requests for `initial_wait` instead of failing open to targets that are not listening yet:
they are answered as soon as a target passes its checks; past initial_wait they get 503
with Retry-After; `initial_wait: 0` fails open at once (502 from a dead target); a client
that goes away while waiting is forgotten (its request never reaches the target); at most
1,024 wait per group, more get 503 at once. The waiting shows in the
tierd_tg_waiting_requests gauge."""
import re
import selectors
import socket
import threading
import time

from harness import Tierd, Upstream, control_request, get, tg_stack, wait_for

HC = "{ path: /health, interval: 5s, timeout: 2s, healthy_threshold: 2 }"
CONTROL = "control: { socket: ${dir}/tierd.sock }\n"
REQ = b"GET /%s HTTP/1.1\r\nHost: t\r\n\r\n"


class LateUpstream(Upstream):
    """An Upstream (200 "ok" to everything, requests recorded) whose port is bound at once
    but refuses connections until start() makes it listen, like an app still starting."""

    def __init__(self):
        super().__init__()
        self.lsock.close()
        self.lsock = socket.socket(socket.AF_INET, socket.SOCK_STREAM)
        self.lsock.setsockopt(socket.SOL_SOCKET, socket.SO_REUSEADDR, 1)
        self.lsock.bind(("127.0.0.1", 0))   # bound, not listening: connects are refused
        self.port = self.lsock.getsockname()[1]
        self.addr = f"127.0.0.1:{self.port}"
        self.started_at = None

    def start(self):
        self.lsock.listen(1024)
        self.started_at = time.monotonic()
        return self.__enter__()


def waiting(t, group="web"):
    st, _, body = control_request(f"{t.dir}/tierd.sock", "GET", "/metrics")
    assert st == 200, body[:200]
    m = re.search(rf'^tierd_tg_waiting_requests\{{target_group="{group}"\}} (\S+)$',
                  body.decode(), re.M)
    return float(m.group(1)) if m else None


def timed_get(url, out):
    t0 = time.monotonic()
    r = get(url, timeout=20)
    out.append((r.status, time.monotonic() - t0, time.monotonic(), r))


def test_starting_group_holds_requests_until_a_target_passes():
    up = LateUpstream()
    try:
        with Tierd(tg_stack([up.addr], health_check=HC, extra=CONTROL)) as t:
            done = []
            clients = [threading.Thread(target=timed_get, args=(t.url(f"/r{i}"), done))
                       for i in range(3)]
            for c in clients:
                c.start()
            wait_for(lambda: waiting(t) == 3, 5, interval=0.2, what="3 requests waiting")
            assert not done, done       # nothing was answered while the target refused
            up.start()
            for c in clients:
                c.join(15)
            assert sorted(s for s, *_ in done) == [200, 200, 200], done
            # They were held until the target passed its checks, and only then answered.
            assert all(end >= up.started_at for *_, end, _ in done), done
            paths = up.paths()
            assert sorted(p for p in paths if p != "/health") == ["/r0", "/r1", "/r2"], paths
            wait_for(lambda: waiting(t) == 0, 5, interval=0.2, what="nothing waiting")
            # The group is up: no more waiting.
            t0 = time.monotonic()
            assert get(t.url("/after")).status == 200 and time.monotonic() - t0 < 1
    finally:
        up.__exit__(None, None, None) if up.thread else up.lsock.close()


def test_wait_ends_in_503_with_retry_after_and_zero_fails_open_at_once():
    up = LateUpstream()         # never listens
    text = ("listeners:\n  - name: public\n    address: ${listen}\n    rules:\n"
            "      - { match: { path_prefix: /open }, forward: open }\n"
            "      - forward: web\n"
            "target_groups:\n"
            f"  web: {{ targets: [{up.addr}], health_check: {HC}, initial_wait: 1s }}\n"
            f"  open: {{ targets: [{up.addr}], health_check: {HC}, initial_wait: 0s }}\n")
    try:
        with Tierd(text) as t:
            t0 = time.monotonic()
            r = get(t.url("/"), timeout=10)
            took = time.monotonic() - t0
            assert r.status == 503, r
            assert 0.9 <= took < 3, took
            assert r.header("Retry-After") == "1", r.headers   # 2 probes, 500 ms apart
            # initial_wait 0: today's fail-open, the dead target's refusal is a 502 at once.
            t0 = time.monotonic()
            r = get(t.url("/open"), timeout=10)
            assert r.status == 502 and time.monotonic() - t0 < 1, r
            assert r.header("Retry-After") is None
    finally:
        up.lsock.close()


def test_client_that_leaves_while_waiting_is_forgotten():
    up = LateUpstream()
    try:
        with Tierd(tg_stack([up.addr], health_check=HC, extra=CONTROL)) as t:
            host, port = t.addr()
            gone = socket.create_connection((host, port))
            gone.sendall(REQ % b"gone")
            kept = socket.create_connection((host, port))
            kept.sendall(REQ % b"kept")
            wait_for(lambda: waiting(t) == 2, 5, interval=0.2, what="2 requests waiting")
            gone.close()
            wait_for(lambda: waiting(t) == 1, 5, interval=0.2, what="the closed one dropped")
            up.start()
            kept.settimeout(10)
            head = kept.recv(4096)
            assert head.startswith(b"HTTP/1.1 200"), head
            kept.close()
            time.sleep(0.5)
            paths = [p for p in up.paths() if p != "/health"]
            assert paths == ["/kept"], paths
    finally:
        up.__exit__(None, None, None) if up.thread else up.lsock.close()


def test_at_most_1024_wait_per_group():
    up = LateUpstream()         # never listens
    text = tg_stack([up.addr], health_check=HC, initial_wait="4s",
                    edge="  workers: 1\n", extra=CONTROL)
    socks = []
    try:
        with Tierd(text) as t:
            host, port = t.addr()
            t0 = time.monotonic()
            for i in range(1024 + 8):
                s = socket.create_connection((host, port))
                s.sendall(REQ % str(i).encode())
                socks.append(s)
            # The 8 beyond the limit are answered 503 at once; the 1,024 wait.
            fast = {}
            sel = selectors.DefaultSelector()       # epoll: more than 1,024 descriptors
            for s in socks:
                sel.register(s, selectors.EVENT_READ)
            deadline = time.monotonic() + 2
            while len(fast) < 9 and time.monotonic() < deadline:
                for key, _ in sel.select(0.2):
                    fast[key.fileobj] = key.fileobj.recv(4096)
                    sel.unregister(key.fileobj)
            sel.close()
            assert len(fast) == 8, f"{len(fast)} answered within 2 s of {len(socks)}"
            assert all(h.startswith(b"HTTP/1.1 503") and b"Retry-After: 1\r\n" in h
                       for h in fast.values()), list(fast.values())[:2]
            assert set(fast) == set(socks[1024:]), "the latest ones are refused"
            wait_for(lambda: waiting(t) == 1024, 3, interval=0.2, what="1024 waiting")
            assert time.monotonic() - t0 < 4
            # Then initial_wait ends every wait with a 503.
            for s in socks[:1024]:
                s.settimeout(10)
                assert s.recv(4096).startswith(b"HTTP/1.1 503")
            assert time.monotonic() - t0 >= 3.9
    finally:
        for s in socks:
            s.close()
        up.lsock.close()

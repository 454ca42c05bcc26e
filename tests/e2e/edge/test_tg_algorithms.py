"""Balancing algorithms with weights: round_robin gives each target exactly its weight's
share, weighted_random about it, and least_outstanding_requests sends most requests to the
target that answers fast."""
import http.client
import threading
import time
from collections import Counter
from concurrent.futures import ThreadPoolExecutor
from http.server import BaseHTTPRequestHandler, ThreadingHTTPServer

from harness import App, Tierd, get, tg_stack


def counts(url, n, workers=8):
    """n GETs from a pool of clients, each on a new connection: Counter of X-Instance."""
    def one(i):
        try:
            r = get(f"{url}?i={i}")
        except (OSError, http.client.HTTPException) as e:
            return f"error {type(e).__name__}"
        return r.header("X-Instance") if r.status == 200 else f"status {r.status}"
    with ThreadPoolExecutor(workers) as ex:
        return Counter(ex.map(one, range(n)))


def test_round_robin_follows_weights_exactly():
    with App(name="a") as a, App(name="b") as b, \
         Tierd(tg_stack([(a.addr, 1), (b.addr, 3)], algorithm="round_robin")) as t:
        c = counts(t.url("/"), 400)
        assert set(c) == {"a", "b"}, c
        assert abs(c["a"] - 100) <= 8 and abs(c["b"] - 300) <= 8, f"weights 1:3 over 400: {c}"


def test_weighted_random_follows_weights_roughly():
    with App(name="a") as a, App(name="b") as b, \
         Tierd(tg_stack([(a.addr, 1), (b.addr, 3)], algorithm="weighted_random")) as t:
        c = counts(t.url("/"), 400)
        assert set(c) == {"a", "b"}, c
        # 25% +- 8% (binomial sd is 2.2% here: a failure is not bad luck).
        assert 68 <= c["a"] <= 132, f"weights 1:3 over 400: {c}"


class SlowHandler(BaseHTTPRequestHandler):
    protocol_version = "HTTP/1.1"
    delay_s = 0.2

    def do_GET(self):
        time.sleep(self.delay_s)
        self.send_response(200)
        self.send_header("X-Instance", "slow")
        self.send_header("Content-Length", "2")
        self.end_headers()
        self.wfile.write(b"ok")

    def log_message(self, *args):
        pass


def test_least_outstanding_requests_prefers_the_fast_target():
    slow = ThreadingHTTPServer(("127.0.0.1", 0), SlowHandler)
    slow.daemon_threads = True
    threading.Thread(target=slow.serve_forever, daemon=True).start()
    try:
        slow_addr = f"127.0.0.1:{slow.server_address[1]}"
        with App(name="fast") as fast, \
             Tierd(tg_stack([slow_addr, fast.addr],
                            algorithm="least_outstanding_requests")) as t:
            c = counts(t.url("/"), 600, workers=8)
            assert set(c) <= {"slow", "fast"}, c
            # round_robin would give each half; with 8 clients and one of them busy on the
            # slow target at a time, the slow one gets a few percent.
            assert c["fast"] >= 0.8 * 600, f"least outstanding requests: {c}"
    finally:
        slow.shutdown()
        slow.server_close()

"""The HTTP/2 attacks of the reference (Rapid Reset, CONTINUATION flood, HPACK bomb,
zero-window stall), each from a small raw-frame client: the attacker is cut off with
GOAWAY, tierd's memory and CPU stay bounded, and another client is served meanwhile.
Bounds are generous (a shared 2-core machine); each attack on its own would cost far more
unbounded (the reference reports 82 MB to 567 MB of RSS for three connections)."""
import struct
import subprocess
import threading
import time

from h2raw import (CONTINUATION, ENHANCE_YOUR_CALM, HEADERS, INITIAL_WINDOW_SIZE, RST_STREAM,
                   END_HEADERS, END_STREAM, H2Raw, frame)
import json

from harness import App, Tierd, control_request, rss_kb, stack, wait_for

SHIELD = """shield:
  scanners: { enabled: true }
"""


def h2_stack(app, edge=""):
    text = stack(groups={"web": [app.addr]}, edge=edge)
    return text.replace("    address: ${listen}\n", "    address: ${listen}\n"
                        "    http2: { h2c: true }\n", 1)


def cpu_s(pid):
    with open(f"/proc/{pid}/stat") as f:
        fields = f.read().rsplit(")", 1)[1].split()
    return (int(fields[11]) + int(fields[12])) / 100.0


class Bystander(threading.Thread):
    """Another client, asking over HTTP/2 every 50 ms while the attack runs."""

    def __init__(self, url):
        super().__init__(daemon=True)
        self.url, self.ok, self.bad, self.stop = url, 0, [], threading.Event()

    def run(self):
        while not self.stop.is_set():
            p = subprocess.run(["curl", "-sS", "--http2-prior-knowledge", "-m", "5", "-o",
                                "/dev/null", "-w", "%{http_code}", self.url],
                               capture_output=True, timeout=10)
            if p.stdout == b"200":
                self.ok += 1
            else:
                self.bad.append((p.stdout, p.stderr))
            time.sleep(0.05)

    def finish(self):
        self.stop.set()
        self.join(15)
        assert self.ok >= 3 and not self.bad, (self.ok, self.bad[:3])


def contained(t, attack, rss_mb=40, cpu_max_s=10.0):
    """Runs attack(t) with a bystander; checks bounded RSS and CPU; returns its result."""
    pid = t.pid
    rss0, cpu0 = rss_kb(pid), cpu_s(pid)
    b = Bystander(t.url("/"))
    b.start()
    peak = [rss0]
    stop = threading.Event()

    def sample():
        while not stop.wait(0.05):
            peak[0] = max(peak[0], rss_kb(pid))
    s = threading.Thread(target=sample, daemon=True)
    s.start()
    try:
        result = attack(t)
        time.sleep(0.5)
    finally:
        stop.set()
        s.join(5)
        b.finish()
    grew = (peak[0] - rss0) / 1024
    cpu = cpu_s(pid) - cpu0
    print(f"attack {attack.__qualname__}: RSS +{grew:.1f} MB, CPU {cpu:.2f} s, "
          f"bystander {b.ok} ok")
    assert grew < rss_mb, f"RSS grew {grew:.1f} MB"
    assert cpu < cpu_max_s, f"tierd used {cpu:.1f} s of CPU"
    assert t.proc.poll() is None
    return result


def test_rapid_reset():
    with App(name="a1") as a1, Tierd(h2_stack(a1) + SHIELD) as t:
        def attack(t):
            with H2Raw(t.addr()) as c:
                sent = 0
                for i in range(5000):
                    sid = 1 + 2 * i
                    if not c.send(c.headers(sid, "/sleep?ms=2000"),
                                  frame(RST_STREAM, 0, sid, struct.pack(">I", 8))):
                        break
                    sent += 1
                code, _, closed = c.until_goaway(timeout=10)
                return code, closed, sent
        code, closed, sent = contained(t, attack)
        assert code == ENHANCE_YOUR_CALM and closed, (code, closed)
        assert sent < 5000 or closed
        assert "too many stream resets" in t.stderr()


def test_continuation_flood():
    with App(name="a1") as a1, Tierd(h2_stack(a1)) as t:
        def attack(t):
            with H2Raw(t.addr()) as c:
                c.send(frame(HEADERS, 0, 1, c.block("/")))
                for i in range(20000):
                    piece = c.enc.encode([(f"x-f{i % 50}", "v" * 20)])
                    if not c.send(frame(CONTINUATION, 0, 1, piece)):
                        break
                return c.until_goaway(timeout=10)
        code, _, closed = contained(t, attack)
        assert code == ENHANCE_YOUR_CALM and closed, (code, closed)
        assert "CONTINUATION" in t.stderr() or "header" in t.stderr()


def test_hpack_bomb():
    with App(name="a1") as a1, Tierd(h2_stack(a1)) as t:
        def attack(t):
            results = []
            for _ in range(3):
                with H2Raw(t.addr()) as c:
                    c.send(frame(HEADERS, END_HEADERS | END_STREAM, 1, hpack_bomb(c)))
                    results.append(c.until_goaway(timeout=10))
            return results
        for code, _, closed in contained(t, attack):
            assert code == ENHANCE_YOUR_CALM and closed, (code, closed)
        assert "header list too large" in t.stderr() or "too many header fields" in t.stderr()


def test_zero_window_stall():
    edge = "  timeouts:\n    send: 2s\n"
    with App(name="a1") as a1, Tierd(h2_stack(a1, edge=edge)) as t:
        def attack(t):
            with H2Raw(t.addr(), settings={INITIAL_WINDOW_SIZE: 0}) as c:
                c.send(*[c.headers(1 + 2 * i, "/bytes?n=50000000") for i in range(50)])
                t0 = time.monotonic()
                # Each stalled stream is reaped after edge.timeouts.send (reset), or the
                # whole connection is (GOAWAY), whichever comes first.
                resets, goaway, deadline = set(), None, t0 + 15
                while len(resets) < 50 and goaway is None:
                    try:
                        f = c.read_frame(deadline)
                    except TimeoutError:
                        break
                    if f is None:
                        break
                    if f[0] == RST_STREAM:
                        resets.add(f[2])
                    elif f[0] == 7:
                        goaway = int.from_bytes(f[3][4:8], "big")
                took = time.monotonic() - t0
                # The connection still serves a stream that reads (window opened for it).
                return resets, goaway, took
        resets, goaway, took = contained(t, attack)
        assert len(resets) == 50 or goaway == ENHANCE_YOUR_CALM, (len(resets), goaway)
        assert 1.5 < took < 12, took


def hpack_bomb(c):
    """A header block that decodes to 16 MB: one 4,000-byte value into the dynamic table
    (it must fit the table's 4,096 bytes), then 4,000 one-byte references to it."""
    return c.block("/") + bytes([0x40, 6]) + b"x-bomb" + bytes([0x7f, 0xa1, 0x1e]) \
        + b"a" * 4000 + bytes([0xbe]) * 4000


def test_a_client_cut_off_again_and_again_is_banned():
    with App(name="a1") as a1:
        text = (h2_stack(a1) + "shield: {}\nstate_dir: ${dir}/state\n"
                "control: { socket: ${dir}/tierd.sock }\n")
        with Tierd(text) as t:
            sock = f"{t.dir}/tierd.sock"

            def banned():
                status, _, body = control_request(sock, "GET", "/v1/bans")
                return [b for b in json.loads(body)["bans"] if b["address"] == "127.0.0.7"]
            for _ in range(60):
                try:
                    with H2Raw(t.addr(), source="127.0.0.7", timeout=5) as c:
                        c.send(frame(HEADERS, END_HEADERS | END_STREAM, 1, hpack_bomb(c)))
                        c.until_goaway(timeout=5)
                except OSError:
                    break                   # refused at accept: banned
                if banned():
                    break
            ban = wait_for(banned, 10, what="a ban of the abusive client")[0]
            assert "path_bruteforce" in json.dumps(ban), ban
            # Others are still served.
            p = subprocess.run(["curl", "-sS", "--http2-prior-knowledge", "-o", "/dev/null",
                                "-w", "%{http_code}", t.url("/")], capture_output=True,
                               timeout=10)
            assert p.stdout == b"200", p.stderr

#!/usr/bin/python3
"""What the web console costs the proxy: tierd's CPU per proxied request with the console
open in N browsers (default 10) against the same with none. Issue 18's target: under 1 %
more.  See docs/bench.md ("The console's cost").

    /usr/bin/python3 bench/consolebench.py --tierd build/tierd --app build/app [--quick]

One tierd (one edge worker, pinned to CPU 1 when there are two) proxies wrk's load to one
build/app backend; the control API's TCP listener has the console on. A "browser" does what
the console's Overview page does, its heaviest: it signs in (POST /console/sign-in), holds
the event stream of /v1/status and /v1/listeners open (/console/stream: one event per path
per second), and every 5 s fetches the seven series its charts draw (GET /v1/metrics, with
the cookie, X-CSRF-Token and the console's Origin): 15 minutes the first time, then only
the seconds since the last fetch, as the page does. The browsers are
threads of this script, on CPU 0 with wrk and the backend.

Runs alternate A-B-B-A within each pair (A: no browser, B: N browsers) on the same tierd,
so drift cancels; tierd's CPU is read from every thread's /proc schedstat (nanoseconds, not
clock ticks: 1 % of a run is a few ticks). The table gives medians, the ratio B/A, and how
many events and chart fetches the browsers made (proof they were active).
Results: <out>/console.json. Only 127.0.0.1 is used; every process is stopped at the end.
"""

import argparse
import http.client
import json
import os
import platform
import secrets
import shlex
import socket
import statistics
import subprocess
import sys
import threading
import time
import urllib.parse

sys.dont_write_bytecode = True          # keep bench/ free of __pycache__
sys.path.insert(0, os.path.dirname(os.path.abspath(__file__)))

from procs import Procs, StartError, free_port, tail  # noqa: E402
from scenarios import parse_wrk  # noqa: E402

TARGET_RATIO = 1.01
CHART_S = 5.0                            # web/console/app.js CHART_MS
SERIES = [("request_count", "sum"), ("http_4xx_count", "sum"), ("http_5xx_count", "sum"),
          ("target_response_time", "p50"), ("target_response_time", "p90"),
          ("target_response_time", "p99"), ("active_connections", "maximum")]


def parse_args(argv):
    ap = argparse.ArgumentParser(description="The console's cost per proxied request.")
    ap.add_argument("--tierd", default="build/tierd")
    ap.add_argument("--app", default="build/app")
    ap.add_argument("--out", default="build/bench", help="output directory (default build/bench)")
    ap.add_argument("--browsers", type=int, default=10, help="console clients (default 10)")
    ap.add_argument("--pairs", type=int, default=3, help="A-B-B-A pairs (default 3)")
    # A multiple of the charts' 5 s, so that each run holds as many chart rounds as its share.
    ap.add_argument("--duration", type=int, default=10, help="wrk seconds per run (default 10)")
    ap.add_argument("--connections", type=int, default=50, help="wrk connections (default 50)")
    ap.add_argument("--quick", action="store_true", help="2 pairs of 5 s runs")
    a = ap.parse_args(argv)
    if a.quick:
        a.pairs, a.duration = 2, 5
    return a


def tierd_cpu_ns(pid):
    """Time on CPU of every thread of pid, in nanoseconds (schedstat's first field)."""
    total = 0
    for tid in os.listdir(f"/proc/{pid}/task"):
        try:
            with open(f"/proc/{pid}/task/{tid}/schedstat") as f:
                total += int(f.read().split()[0])
        except (FileNotFoundError, ProcessLookupError):
            pass                        # a thread that ended: its time is lost either way
    return total


class Browser(threading.Thread):
    """One console tab on the Overview page (see the module's comment)."""

    def __init__(self, port, token, listeners):
        super().__init__(daemon=True)
        self.port, self.token, self.listeners = port, token, listeners
        self.host = f"127.0.0.1:{port}"
        self.stop = threading.Event()
        self.events = 0
        self.fetches = 0
        self.errors = []
        self.sock = None
        self.last = 0

    def _request(self, method, path, body=None, headers=None):
        c = http.client.HTTPConnection("127.0.0.1", self.port, timeout=10)
        try:
            h = {"Origin": f"http://{self.host}", **(headers or {})}
            if body is not None:
                h["Content-Type"] = "application/json"
            c.request(method, path, body=json.dumps(body) if body is not None else None,
                      headers=h)
            r = c.getresponse()
            return r.status, r.getheader("Set-Cookie"), r.read()
        finally:
            c.close()

    def sign_in(self):
        st, cookie, body = self._request("POST", "/console/sign-in", {"token": self.token})
        if st != 200:
            raise StartError(f"console sign-in refused: {st} {body[:200]!r}")
        self.cookie = cookie.split(";")[0]
        self.csrf = json.loads(body)["csrf"]

    def _charts(self):
        # As app.js's series(): 15 minutes the first time, then the seconds since the last.
        now = int(time.time())
        start = max(self.last - 2, now - 900) if self.last else now - 900
        self.last = now
        for name in self.listeners:
            for metric, stat in SERIES:
                q = urllib.parse.urlencode({"metric": metric, "statistic": stat, "period": "1",
                                            "start": str(start), "end": str(now),
                                            "dimension": f"listener:{name}"})
                st, _, _ = self._request("GET", f"/v1/metrics?{q}",
                                         headers={"Cookie": self.cookie,
                                                  "X-CSRF-Token": self.csrf})
                if st != 200:
                    self.errors.append(f"metrics {st}")
                self.fetches += 1

    def run(self):
        try:
            q = urllib.parse.urlencode({"csrf": self.csrf, "paths": "/v1/status,/v1/listeners"})
            s = socket.create_connection(("127.0.0.1", self.port), timeout=1.0)
            self.sock = s
            s.sendall(f"GET /console/stream?{q} HTTP/1.1\r\nHost: {self.host}\r\n"
                      f"Cookie: {self.cookie}\r\nSec-Fetch-Site: same-origin\r\n"
                      "Accept: text/event-stream\r\n\r\n".encode())
            buf = b""
            next_chart = time.monotonic()
            while not self.stop.is_set():
                if time.monotonic() >= next_chart:
                    self._charts()
                    next_chart += CHART_S
                try:
                    chunk = s.recv(65536)
                except socket.timeout:
                    continue
                if not chunk:
                    self.errors.append("stream closed")
                    return
                buf += chunk
                self.events += buf.count(b"\n\n")
                buf = buf[buf.rfind(b"\n\n") + 2:] if b"\n\n" in buf else buf
        except OSError as e:
            self.errors.append(str(e))
        finally:
            if self.sock:
                self.sock.close()


class Bench:
    def __init__(self, a):
        self.a = a
        self.out = os.path.abspath(a.out)
        self.dir = os.path.join(self.out, "console-bench")
        os.makedirs(self.dir, exist_ok=True)
        pin = (os.cpu_count() or 1) >= 2
        self.proxy_cpus, self.load_cpus = ("1", "0") if pin else (None, None)
        self.commands = []
        self.procs = Procs(self.log_cmd)
        self.token = secrets.token_hex(24)

    def log_cmd(self, args):
        c = shlex.join(str(x) for x in args)
        if c not in self.commands:
            self.commands.append(c)

    def wrk(self, port, duration):
        args = ["wrk", "-t1", f"-c{self.a.connections}", f"-d{duration}s",
                f"http://127.0.0.1:{port}/"]
        if self.load_cpus is not None:
            args = ["taskset", "-c", self.load_cpus] + args
        self.log_cmd(args)
        p = subprocess.run(args, capture_output=True, text=True, timeout=duration + 30)
        if p.returncode != 0:
            raise RuntimeError(f"wrk failed ({p.returncode}): {p.stderr.strip()}")
        return parse_wrk(p.stdout)

    def start(self):
        bport = free_port()
        be = self.procs.start([os.path.abspath(self.a.app), "--listen", f"127.0.0.1:{bport}",
                               "--name", "bench", "--threads", "1"],
                              stdout_path=os.path.join(self.dir, "backend.log"),
                              cpus=self.load_cpus)
        self.procs.wait_ready(be, bport, banner="listening on")
        self.port, self.api_port = free_port(), free_port()
        conf = os.path.join(self.dir, "tierd.yaml")
        with open(conf, "w") as f:
            f.write(f"""# written by bench/consolebench.py
listeners:
  - name: bench
    address: 127.0.0.1:{self.port}
    rules:
      - forward: app
target_groups:
  app:
    targets: [127.0.0.1:{bport}]
edge:
  workers: 1
control:
  socket: off
  address: 127.0.0.1:{self.api_port}
  token: "${{env:TIERD_BENCH_CONSOLE_TOKEN}}"
  console: true
""")
        log = os.path.join(self.dir, "tierd.log")
        self.tierd = self.procs.start([os.path.abspath(self.a.tierd), "run", conf],
                                      stdout_path=log, cpus=self.proxy_cpus,
                                      env={"TIERD_BENCH_CONSOLE_TOKEN": self.token})
        self.procs.wait_ready(self.tierd, self.port, timeout=15)
        self.procs.wait_ready(self.tierd, self.api_port, timeout=15)
        self.wrk(self.port, 2)                  # warm up

    def run_one(self, variant, load=True):
        browsers = []
        if variant == "browsers":
            browsers = [Browser(self.api_port, self.token, ["bench"])
                        for _ in range(self.a.browsers)]
            for b in browsers:
                b.sign_in()
            for b in browsers:
                b.start()
            # Open, as a tab that has been open a while: past the first (whole 15-minute)
            # chart fetch, which a page makes once.
            deadline = time.monotonic() + 20
            while any(b.fetches < len(SERIES) for b in browsers) and time.monotonic() < deadline:
                time.sleep(0.1)
            time.sleep(1.0)
        c0, w0 = tierd_cpu_ns(self.tierd.pid), time.monotonic()
        e0 = sum(b.events for b in browsers)
        f0 = sum(b.fetches for b in browsers)
        if load:
            r = self.wrk(self.port, self.a.duration)
        else:
            time.sleep(self.a.duration)
            r = {"requests": 0, "rps": 0, "non2xx": 0, "socket_errors": 0}
        c1, w1 = tierd_cpu_ns(self.tierd.pid), time.monotonic()
        events = sum(b.events for b in browsers) - e0
        fetches = sum(b.fetches for b in browsers) - f0
        for b in browsers:
            b.stop.set()
        for b in browsers:
            b.join(15)
        errors = [e for b in browsers for e in b.errors]
        if errors:
            raise RuntimeError(f"console clients failed: {errors[:5]}")
        wall = w1 - w0
        return {"variant": variant, "load": load, "requests": r["requests"], "rps": r["rps"],
                "non2xx": r["non2xx"], "socket_errors": r["socket_errors"],
                "cpu_s": round((c1 - c0) / 1e9, 4),
                "cpu_ms_per_s": round((c1 - c0) / 1e6 / wall, 3),
                "cpu_us_per_req": round((c1 - c0) / 1e3 / r["requests"], 4) if load else None,
                "events_per_s": round(events / wall, 1),
                "chart_fetches_per_s": round(fetches / wall, 2)}

    def main(self):
        runs = []
        try:
            self.start()
            for pair in range(self.a.pairs):
                for v in ("none", "browsers", "browsers", "none"):
                    run = self.run_one(v)
                    run["pair"] = pair
                    runs.append(run)
                    print(f"  pair {pair} {v:9s} {run['rps']:>9.0f} req/s "
                          f"{run['cpu_us_per_req']:>7.3f} us/req  events/s "
                          f"{run['events_per_s']:>6.1f}  chart fetches/s "
                          f"{run['chart_fetches_per_s']:>5.2f}", flush=True)
            # Without load: what the browsers cost by themselves, in CPU ms per second.
            for v in ("none", "browsers", "browsers", "none"):
                run = self.run_one(v, load=False)
                runs.append(run)
                print(f"  no load {v:9s} {run['cpu_ms_per_s']:>7.3f} ms CPU/s  events/s "
                      f"{run['events_per_s']:>6.1f}  chart fetches/s "
                      f"{run['chart_fetches_per_s']:>5.2f}", flush=True)
        except (StartError, RuntimeError) as e:
            print(f"consolebench: {e}", file=sys.stderr)
            if getattr(self, "tierd", None) is not None:
                print(tail(self.tierd.out_path), file=sys.stderr)
            return 1
        finally:
            self.procs.stop_all()
        return self.report(runs)

    def report(self, runs):
        idle = [r for r in runs if not r["load"]]
        runs = [r for r in runs if r["load"]]

        def med(v, key, rs=runs):
            return statistics.median(r[key] for r in rs if r["variant"] == v)
        # Per pair the ratio of B's mean to A's mean, then the median over pairs.
        ratios = []
        for p in sorted({r["pair"] for r in runs}):
            a = [r["cpu_us_per_req"] for r in runs if r["pair"] == p and r["variant"] == "none"]
            b = [r["cpu_us_per_req"] for r in runs if r["pair"] == p and r["variant"] == "browsers"]
            ratios.append(statistics.mean(b) / statistics.mean(a))
        ratio = statistics.median(ratios)
        # The same from the idle runs: the browsers' own CPU per second, spread over the
        # requests tierd proxies per second at the measured load, against its CPU for them.
        console_ms = med("browsers", "cpu_ms_per_s", idle) - med("none", "cpu_ms_per_s", idle)
        added = console_ms * 1e3 / med("none", "rps") / med("none", "cpu_us_per_req")
        # How far the no-browser runs alone are apart: a ratio inside that is noise.
        base = [r["cpu_us_per_req"] for r in runs if r["variant"] == "none"]
        spread = max(base) / min(base) - 1
        res = {
            "none_spread": round(spread, 4),
            "console_cpu_ms_per_s": round(console_ms, 3),
            "added_per_req_from_idle": round(added, 5),
            "browsers": self.a.browsers, "pairs": self.a.pairs, "duration_s": self.a.duration,
            "connections": self.a.connections, "pinned": self.proxy_cpus is not None,
            "none_cpu_us_per_req": med("none", "cpu_us_per_req"),
            "browsers_cpu_us_per_req": med("browsers", "cpu_us_per_req"),
            "none_rps": med("none", "rps"), "browsers_rps": med("browsers", "rps"),
            "events_per_s": med("browsers", "events_per_s"),
            "chart_fetches_per_s": med("browsers", "chart_fetches_per_s"),
            "ratio": round(ratio, 4), "pair_ratios": [round(x, 4) for x in ratios],
            "target_ratio": TARGET_RATIO, "met": ratio < TARGET_RATIO,
            "machine": {"cpus": os.cpu_count(), "kernel": platform.release()},
            "commands": self.commands, "runs": runs + idle,
        }
        with open(os.path.join(self.out, "console.json"), "w") as f:
            json.dump(res, f, indent=2)
        print()
        print(f"console open in {self.a.browsers} browsers (Overview page: stream + charts), "
              f"medians of {self.a.pairs} A-B-B-A pairs, {self.a.duration} s each")
        print(f"  {'':24s} {'req/s':>9s} {'CPU us/req':>11s}")
        print(f"  {'no browser':24s} {res['none_rps']:>9.0f} {res['none_cpu_us_per_req']:>11.3f}")
        print(f"  {f'{self.a.browsers} browsers':24s} {res['browsers_rps']:>9.0f} "
              f"{res['browsers_cpu_us_per_req']:>11.3f}")
        print(f"  ratio {res['ratio']:.4f} (pairs {res['pair_ratios']}); target < {TARGET_RATIO}: "
              f"{'met' if res['met'] else 'NOT met'}; the browsers got {res['events_per_s']} "
              f"events/s and made {res['chart_fetches_per_s']} chart fetches/s")
        print(f"  the no-browser runs alone spread {spread * 100:.1f} % (a ratio inside that is "
              f"noise: other load on the machine)")
        print(f"  without load the {self.a.browsers} browsers cost tierd {console_ms:.2f} ms CPU "
              f"per second: {added * 100:.2f} % of its CPU at {res['none_rps']:.0f} req/s "
              f"(target < {(TARGET_RATIO - 1) * 100:.0f} %: "
              f"{'met' if added < TARGET_RATIO - 1 else 'NOT met'})")
        return 0


if __name__ == "__main__":
    sys.exit(Bench(parse_args(sys.argv[1:])).main())

"""Benchmark scenarios.

A scenario is a function `fn(ctx, target) -> dict` run against one started proxy.
`target` has .name, .port, .pids (the measured processes: workers) and .proc (Popen).
It returns a dict of metric key -> value (plus any raw extras worth keeping in the JSON).
Scenarios run in SCENARIOS order on the same proxy process within a round.

To add a scenario: write the function, append a Scenario to SCENARIOS, and describe its
metrics in METRICS (run.py prints every metric listed there whose scenario was selected,
with a ratio to nginx and an optional target). A Scenario may also have `prepare(ctx)`,
run once before anything starts (build a client, write files the proxy configs refer to),
`baseline(ctx, backend_port) -> dict`, run once against the backend directly (no proxy),
`proxies`, the proxies it applies to (None = all), and `log_modes`, the log modes of
proxies.LOG_MODES it runs in (None = all).
"""

import json
import os
import re
import resource
import subprocess
import time
from dataclasses import dataclass, field
from typing import Callable, Optional

import idleconns
from procs import CLK_TCK, build_c, cpu_seconds, fd_count, rss_bytes


@dataclass
class Scenario:
    name: str
    fn: Callable
    quick_ok: bool = True      # run in --quick mode too
    prepare: Optional[Callable] = None      # prepare(ctx), once, before the backend starts
    baseline: Optional[Callable] = None     # baseline(ctx, backend_port) -> dict, once
    proxies: Optional[tuple] = None         # names it applies to; None = all
    log_modes: Optional[tuple] = None       # proxies.LOG_MODES it runs in; None = all


@dataclass
class Metric:
    key: str
    label: str
    fmt: str                   # format spec for the value
    scenario: str              # the scenario that produces it (the table lists selected ones)
    # target for tierd: ("ratio", max_ratio_vs_nginx), ("min_ratio", min_ratio_vs_nginx)
    # or ("abs", max_value); None = info only
    target: Optional[tuple] = None
    target_text: str = ""
    higher_is_better: bool = False
    extra: dict = field(default_factory=dict)


# ---- wrk: small proxied GET ---------------------------------------------------------

_UNITS = {"us": 1e-3, "ms": 1.0, "s": 1e3, "m": 60e3}


def _ms(text):
    m = re.fullmatch(r"([\d.]+)(us|ms|s|m)", text.strip())
    if not m:
        raise ValueError(f"bad wrk latency {text!r}")
    return round(float(m.group(1)) * _UNITS[m.group(2)], 4)


def parse_wrk(out):
    r = {}
    m = re.search(r"(\d+) requests in ([\d.]+)(\w+),", out)
    if not m:
        raise RuntimeError(f"cannot parse wrk output:\n{out}")
    r["requests"] = int(m.group(1))
    r["rps"] = float(re.search(r"Requests/sec:\s+([\d.]+)", out).group(1))
    for pct in ("50", "75", "90", "99"):
        m = re.search(rf"^\s+{pct}%\s+(\S+)", out, re.M)
        if m:
            r[f"p{pct}_ms"] = _ms(m.group(1))
    m = re.search(r"Socket errors: connect (\d+), read (\d+), write (\d+), timeout (\d+)", out)
    r["socket_errors"] = sum(int(x) for x in m.groups()) if m else 0
    m = re.search(r"Non-2xx or 3xx responses: (\d+)", out)
    r["non2xx"] = int(m.group(1)) if m else 0
    return r


def wrk(ctx, port, duration, path="/", record=True, connections=None):
    args = ["wrk", "-t1", f"-c{connections or ctx.connections}", f"-d{duration}s", "--latency",
            f"http://127.0.0.1:{port}{path}"]
    if ctx.load_cpus is not None:
        args = ["taskset", "-c", ctx.load_cpus] + args
    if record:
        ctx.log_cmd(args)
    p = subprocess.run(args, capture_output=True, text=True, timeout=duration + 30)
    if p.returncode != 0:
        raise RuntimeError(f"wrk failed ({p.returncode}): {p.stderr.strip()}")
    return p.stdout


def _children_cpu():
    ru = resource.getrusage(resource.RUSAGE_CHILDREN)   # wrk, once reaped
    return ru.ru_utime + ru.ru_stime


def _cpu_times():
    """Machine-wide (busy, steal, total) jiffies from /proc/stat, a noise indicator."""
    with open("/proc/stat") as f:
        v = [int(x) for x in f.readline().split()[1:]]
    idle = v[3] + v[4]
    steal = v[7] if len(v) > 7 else 0
    total = sum(v[:8])
    return total - idle, steal, total


def measure(ctx, t, load):
    """Run load() (blocking: starts the load generator and reaps it) and return
    (load's result, the proxy's CPU and the machine's noise figures meanwhile)."""
    m0 = _cpu_times()
    c0, b0, k0 = cpu_seconds(t.pids), cpu_seconds(ctx.backend_pids), _children_cpu()
    w0 = time.monotonic()
    res = load()
    wall = time.monotonic() - w0
    c1, b1, k1 = cpu_seconds(t.pids), cpu_seconds(ctx.backend_pids), _children_cpu()
    m1 = _cpu_times()
    cpu = c1 - c0
    r = {
        "cpu_s": round(cpu, 3),
        "cpu_util": cpu / wall,          # fraction of one core the proxy used
        "wall_s": round(wall, 3),
        # whole machine during the run: busy and stolen share of all CPUs
        "machine_busy_pct": round(100 * (m1[0] - m0[0]) / max(1, m1[2] - m0[2]), 1),
        "machine_steal_pct": round(100 * (m1[1] - m0[1]) / max(1, m1[2] - m0[2]), 1),
        "backend_cpu_s": round(b1 - b0, 3),
        "client_cpu_s": round(k1 - k0, 3),
        # CPU the rest of the machine (other tenants, builds, tests) used meanwhile, in
        # cores: machine busy time minus proxy, backend and load generator
        "other_cores": round(max(0.0, (m1[0] - m0[0]) / CLK_TCK - cpu - (b1 - b0)
                                 - (k1 - k0)) / wall, 2),
    }
    if r["other_cores"] > ctx.noisy_cores:
        r["noisy"] = True
    return res, r


def http_small(ctx, t):
    """GET / through the proxy with wrk: requests/s, CPU us/request, p99."""
    if ctx.warmup > 0:
        wrk(ctx, t.port, ctx.warmup, record=False)
    out, m = measure(ctx, t, lambda: wrk(ctx, t.port, ctx.duration))
    r = parse_wrk(out)
    if r["requests"] == 0:
        raise RuntimeError("wrk completed no requests")
    m["wrk_wall_s"] = m.pop("wall_s")
    m["wrk_cpu_s"] = m.pop("client_cpu_s")
    r.update(m)
    r["cpu_us_per_req"] = m["cpu_s"] * 1e6 / r["requests"]
    if r["non2xx"] or r["socket_errors"]:
        r["warning"] = f"{r['non2xx']} non-2xx, {r['socket_errors']} socket errors"
    return r


# ---- idle keep-alive connections: memory per connection -----------------------------

def idle_conns(ctx, t):
    """Open N client connections, one keep-alive request each, hold them idle;
    RSS delta of the measured processes / N."""
    time.sleep(0.5)                      # let the previous load drain
    rss0, fd0 = rss_bytes(t.pids), fd_count(t.pids)
    measured = {}

    def on_idle(n_open):
        time.sleep(ctx.idle_settle)      # idle: nothing in flight
        measured["rss1"] = rss_bytes(t.pids)
        measured["fd1"] = fd_count(t.pids)

    res = idleconns.run(t.port, ctx.idle_conns, on_idle, concurrency=ctx.idle_concurrency,
                        timeout=ctx.idle_timeout)
    if "rss1" not in measured:
        raise RuntimeError(f"idle connections not established: {res}")
    ok = res["ok"]
    if ok == 0:
        raise RuntimeError(f"no idle connection got a response: {res}")
    delta = measured["rss1"] - rss0
    r = {
        "idle_conns_ok": ok,
        "idle_conns_failed": res["failed"],
        "idle_open_s": res["open_s"],
        "rss_before": rss0,
        "rss_after": measured["rss1"],
        "proxy_fds_delta": measured["fd1"] - fd0,
        "closed_while_idle": res.get("closed_while_idle", 0),
        "idle_bytes_per_conn": delta / ok,
    }
    if res["failed"]:
        r["warning"] = f"{res['failed']} of {ctx.idle_conns} idle connections failed: " \
                       f"{res.get('first_error')}"
    return r


# ---- WebSocket echo: MB/s through the proxy ---------------------------------------------

WSBENCH_SRC = os.path.join(os.path.dirname(os.path.abspath(__file__)), "wsbench.c")


def ws_prepare(ctx):
    """Build bench/wsbench.c (libc only) into <out>/wsbench when missing or older."""
    ctx.wsbench = os.path.join(ctx.out, "wsbench")
    build_c(WSBENCH_SRC, ctx.wsbench, ctx.log_cmd)


def wsbench(ctx, port, duration, record=True):
    args = [ctx.wsbench, "-p", str(port), "-c", str(ctx.ws_conns), "-s", str(ctx.ws_size),
            "-d", str(duration), "-u", "/ws"]
    if ctx.load_cpus is not None:
        args = ["taskset", "-c", ctx.load_cpus] + args
    if record:
        ctx.log_cmd(args)
    p = subprocess.run(args, capture_output=True, text=True, timeout=duration + 30)
    try:
        r = json.loads(p.stdout.strip().splitlines()[-1])
    except (IndexError, ValueError):
        raise RuntimeError(f"wsbench failed ({p.returncode}): {p.stderr.strip()} "
                           f"{p.stdout.strip()}")
    if r["msgs"] == 0:
        raise RuntimeError(f"wsbench echoed nothing: {r.get('error') or p.stderr.strip()}")
    return r


def _ws_result(r):
    out = {"ws_mb_s": r["mb_s"], "ws_msgs": r["msgs"], "ws_bytes": r["bytes"],
           "ws_secs": r["secs"], "ws_conns_open": r["open"], "ws_errors": r["errors"]}
    if r["errors"]:
        out["warning"] = f"{r['errors']} WebSocket connection(s) failed: {r['error']}"
    return out


def ws_baseline(ctx, backend_port):
    """The client's ceiling: the same load straight to the backend, no proxy."""
    if ctx.warmup > 0:
        wsbench(ctx, backend_port, ctx.warmup, record=False)
    k0 = _children_cpu()
    r = _ws_result(wsbench(ctx, backend_port, ctx.ws_duration))
    r["client_cpu_s"] = round(_children_cpu() - k0, 3)
    return r


def ws_echo(ctx, t):
    """N WebSocket clients through the proxy to the backend's /ws echo, each sending one
    binary message and waiting for its echo, for ws_duration: echoed MB/s, proxy CPU/MB."""
    if ctx.warmup > 0:
        wsbench(ctx, t.port, ctx.warmup, record=False)
    res, m = measure(ctx, t, lambda: wsbench(ctx, t.port, ctx.ws_duration))
    r = _ws_result(res)
    r.update(m)
    mb = res["bytes"] / 1e6
    r["ws_cpu_ms_per_mb"] = m["cpu_s"] * 1e3 / mb
    return r


# ---- static file: 1 MiB through the proxy's file serving ---------------------------------

STATIC_PATH = "/static/1mib.bin"
STATIC_SIZE = 1 << 20


def static_prepare(ctx):
    """A temp root holding static/1mib.bin (both nginx's `root` and tierd's static root
    append the request path to the root)."""
    root = os.path.join(ctx.out, "static-root")
    os.makedirs(os.path.join(root, "static"), exist_ok=True)
    f = os.path.join(root, STATIC_PATH.lstrip("/"))
    if not (os.path.exists(f) and os.path.getsize(f) == STATIC_SIZE):
        with open(f, "wb") as fh:
            fh.write(bytes((i * 7 + 3) & 0xff for i in range(256)) * (STATIC_SIZE // 256))
    ctx.static_root = root


def static_1mib(ctx, t):
    """wrk -c static_connections GET of a 1 MiB file the proxy serves itself (sendfile):
    requests/s, MB/s, proxy CPU us/request, and proxy + client CPU us/request: over
    loopback the receiving side's TCP work runs in whichever process sends the segment
    (softirq), so the proxy-only figure moves with how heads and bodies are packed; the
    sum does not."""
    if ctx.warmup > 0:
        wrk(ctx, t.port, ctx.warmup, path=STATIC_PATH, record=False,
            connections=ctx.static_connections)
    out, m = measure(ctx, t, lambda: wrk(ctx, t.port, ctx.static_duration, path=STATIC_PATH,
                                         connections=ctx.static_connections))
    w = parse_wrk(out)
    if w["requests"] == 0:
        raise RuntimeError("wrk completed no requests")
    r = {"static_" + k: v for k, v in w.items()}
    r.update(m)
    r["static_mb_s"] = w["rps"] * STATIC_SIZE / 1e6
    r["static_cpu_us_per_req"] = m["cpu_s"] * 1e6 / w["requests"]
    r["static_sum_cpu_us_per_req"] = (m["cpu_s"] + m["client_cpu_s"]) * 1e6 / w["requests"]
    if w["non2xx"] or w["socket_errors"]:
        r["warning"] = f"{w['non2xx']} non-2xx, {w['socket_errors']} socket errors"
    return r


# The access log writes one line per WebSocket connection and ~2,000 lines/s for the static
# file, too few to move those figures: they run with the buffered log only (as before the
# log modes existed), which saves ~3.5 minutes per bench.
SCENARIOS = [
    Scenario("http_small", http_small),
    Scenario("idle_conns", idle_conns),
    Scenario("ws_echo", ws_echo, prepare=ws_prepare, baseline=ws_baseline,
             log_modes=("buffered",)),
    # HAProxy cannot serve files
    Scenario("static_1mib", static_1mib, prepare=static_prepare,
             proxies=("nginx", "caddy", "tierd"), log_modes=("buffered",)),
]

METRICS = [
    Metric("rps", "requests/s", ",.0f", "http_small", higher_is_better=True),
    Metric("cpu_us_per_req", "proxy CPU us/request", ".2f", "http_small",
           target=("ratio", 0.85), target_text="<= 0.85x nginx"),
    Metric("p99_ms", "p99 latency ms", ".3f", "http_small",
           target=("ratio", 1.0), target_text="<= 1.0x nginx"),
    Metric("idle_bytes_per_conn", "idle memory B/conn", ",.0f", "idle_conns",
           target=("abs", 1024), target_text="<= 1 KiB"),
    Metric("ws_mb_s", "WS echo MB/s", ",.1f", "ws_echo", higher_is_better=True,
           target=("min_ratio", 1.0), target_text=">= 1.0x nginx"),
    Metric("ws_cpu_ms_per_mb", "WS proxy CPU ms/MB", ".3f", "ws_echo"),
    Metric("static_rps", "static 1 MiB requests/s", ",.0f", "static_1mib",
           higher_is_better=True),
    Metric("static_mb_s", "static 1 MiB MB/s", ",.1f", "static_1mib", higher_is_better=True,
           target=("min_ratio", 1.0), target_text=">= 1.0x nginx"),
    Metric("static_cpu_us_per_req", "static proxy CPU us/request", ".1f", "static_1mib",
           target=("ratio", 1.0), target_text="<= 1.0x nginx"),
    Metric("static_sum_cpu_us_per_req", "static proxy+client CPU us/req", ".1f",
           "static_1mib", target=("ratio", 1.0), target_text="<= 1.0x nginx"),
]

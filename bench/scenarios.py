"""Benchmark scenarios.

A scenario is a function `fn(ctx, target) -> dict` run against one started proxy.
`target` has .name, .port, .pids (the measured processes: workers) and .proc (Popen).
It returns a dict of metric key -> value (plus any raw extras worth keeping in the JSON).
Scenarios run in SCENARIOS order on the same proxy process within a round.

To add a scenario (e.g. WebSocket echo MB/s, static 1 MiB throughput): write the
function, append a Scenario to SCENARIOS, and describe its metrics in METRICS (run.py
prints every metric listed there, with a ratio to nginx and an optional target).
"""

import re
import resource
import subprocess
import time
from dataclasses import dataclass, field
from typing import Callable, Optional

import idleconns
from procs import CLK_TCK, cpu_seconds, fd_count, rss_bytes


@dataclass
class Scenario:
    name: str
    fn: Callable
    quick_ok: bool = True      # run in --quick mode too


@dataclass
class Metric:
    key: str
    label: str
    fmt: str                   # format spec for the value
    # target for tierd: ("ratio", max_ratio_vs_nginx) or ("abs", max_value); None = info only
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


def wrk(ctx, port, duration, path="/", record=True):
    args = ["wrk", "-t1", f"-c{ctx.connections}", f"-d{duration}s", "--latency",
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


def http_small(ctx, t):
    """GET / through the proxy with wrk: requests/s, CPU us/request, p99."""
    if ctx.warmup > 0:
        wrk(ctx, t.port, ctx.warmup, record=False)
    pids = t.pids
    m0 = _cpu_times()
    c0, b0, k0 = cpu_seconds(pids), cpu_seconds(ctx.backend_pids), _children_cpu()
    w0 = time.monotonic()
    out = wrk(ctx, t.port, ctx.duration)
    wall = time.monotonic() - w0
    c1, b1, k1 = cpu_seconds(pids), cpu_seconds(ctx.backend_pids), _children_cpu()
    m1 = _cpu_times()
    r = parse_wrk(out)
    if r["requests"] == 0:
        raise RuntimeError("wrk completed no requests")
    cpu = c1 - c0
    r.update({
        "cpu_s": round(cpu, 3),
        "cpu_us_per_req": cpu * 1e6 / r["requests"],
        "cpu_util": cpu / wall,          # fraction of one core the proxy used
        "wrk_wall_s": round(wall, 3),
        # whole machine during the run: busy and stolen share of all CPUs
        "machine_busy_pct": round(100 * (m1[0] - m0[0]) / max(1, m1[2] - m0[2]), 1),
        "machine_steal_pct": round(100 * (m1[1] - m0[1]) / max(1, m1[2] - m0[2]), 1),
        "backend_cpu_s": round(b1 - b0, 3),
        "wrk_cpu_s": round(k1 - k0, 3),
        # CPU the rest of the machine (other tenants, builds, tests) used meanwhile, in
        # cores: machine busy time minus proxy, backend and wrk
        "other_cores": round(max(0.0, (m1[0] - m0[0]) / CLK_TCK - cpu - (b1 - b0)
                                 - (k1 - k0)) / wall, 2),
    })
    if r["other_cores"] > ctx.noisy_cores:
        r["noisy"] = True
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


SCENARIOS = [
    Scenario("http_small", http_small),
    Scenario("idle_conns", idle_conns),
    # hooks for later issues, e.g.:
    # Scenario("ws_echo", ws_echo),            -> metric "ws_mb_s"
    # Scenario("static_1mib", static_1mib),    -> metric "static_mb_s"
]

METRICS = [
    Metric("rps", "requests/s", ",.0f", higher_is_better=True),
    Metric("cpu_us_per_req", "proxy CPU us/request", ".2f",
           target=("ratio", 0.85), target_text="<= 0.85x nginx"),
    Metric("p99_ms", "p99 latency ms", ".3f",
           target=("ratio", 1.0), target_text="<= 1.0x nginx"),
    Metric("idle_bytes_per_conn", "idle memory B/conn", ",.0f",
           target=("abs", 1024), target_text="<= 1 KiB"),
]

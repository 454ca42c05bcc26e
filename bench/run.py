#!/usr/bin/python3
"""tierd vs nginx vs HAProxy vs Caddy, side by side, in one run.  See docs/bench.md.

    /usr/bin/python3 bench/run.py --tierd build/tierd --app build/app [--quick]

One backend (build/app, one thread) serves every proxy. Each proxy runs with one worker and
upstream keep-alive, in two log modes: access logs off, and its best buffered access log
to a file under --out (proxies.LOG_MODES). Rounds are interleaved (every proxy in every log
mode once per round), each proxy is started fresh per run, every scenario in
scenarios.SCENARIOS runs against it, and one table per log mode reports medians over
rounds with ratios to nginx. Raw numbers go to <out>/results.json.
"""

import argparse
import http.client
import json
import os
import platform
import resource
import shlex
import signal
import statistics
import subprocess
import sys
import time
from types import SimpleNamespace

sys.dont_write_bytecode = True          # keep bench/ free of __pycache__
sys.path.insert(0, os.path.dirname(os.path.abspath(__file__)))

from procs import Procs, StartError, descendants, free_port  # noqa: E402
from proxies import LOG_MODES, PROXIES, backend_command  # noqa: E402
from scenarios import METRICS, SCENARIOS, wrk  # noqa: E402

SCENARIO_NAMES = [sc.name for sc in SCENARIOS]


def parse_args(argv):
    ap = argparse.ArgumentParser(description="Compare tierd with nginx, HAProxy and Caddy.")
    ap.add_argument("--tierd", default="build/tierd", help="tierd binary (default build/tierd)")
    ap.add_argument("--app", default="build/app", help="backend binary (default build/app)")
    ap.add_argument("--out", default="build/bench", help="output directory (default build/bench)")
    ap.add_argument("--duration", type=int, default=8, help="wrk seconds per run (default 8)")
    ap.add_argument("--connections", type=int, default=50, help="wrk connections (default 50)")
    ap.add_argument("--rounds", type=int, default=3, help="interleaved rounds (default 3)")
    ap.add_argument("--warmup", type=int, default=1, help="unmeasured wrk seconds first (default 1)")
    ap.add_argument("--idle-conns", type=int, default=5000,
                    help="idle keep-alive client connections for the memory figure (default 5000)")
    ap.add_argument("--proxies", default=",".join(P.name for P in PROXIES),
                    help="comma-separated subset of " + ",".join(P.name for P in PROXIES))
    ap.add_argument("--logs", default=",".join(LOG_MODES),
                    help="log modes to run: off (no access log), buffered (each proxy's "
                         "best buffered file log); default both")
    ap.add_argument("--haproxy-log", choices=("ring", "stdout"), default="ring",
                    help="HAProxy's buffered log: ring forwarded to bench/logsink (default), "
                         "or stdout redirected to the file (unbuffered)")
    ap.add_argument("--scenarios", default=",".join(SCENARIO_NAMES),
                    help="comma-separated subset of " + ",".join(SCENARIO_NAMES)
                         + " (default: all)")
    ap.add_argument("--ws-conns", type=int, default=50,
                    help="WebSocket echo clients (default 50)")
    ap.add_argument("--ws-size", type=int, default=16384,
                    help="WebSocket message bytes (default 16384)")
    ap.add_argument("--ws-duration", type=int, default=8,
                    help="measured WebSocket echo seconds per run (default 8)")
    ap.add_argument("--static-connections", type=int, default=20,
                    help="wrk connections for the static 1 MiB file (default 20)")
    ap.add_argument("--static-duration", type=int, default=5,
                    help="measured wrk seconds for the static file per run (default 5)")
    ap.add_argument("--pin", choices=("split", "none"), default="split",
                    help="split: proxy on CPU 1, backend+wrk+bench on CPU 0 (default); none")
    ap.add_argument("--noisy-retries", type=int, default=1,
                    help="repeat a run once more when other processes used > 0.25 cores "
                         "during it (default 1; 0 to disable)")
    ap.add_argument("--quick", action="store_true",
                    help="~3 minutes: 3 rounds, each measured phase 3 s (explicit --duration, "
                         "--ws-duration, --static-duration, --rounds still win)")
    a = ap.parse_args(argv)
    if a.quick:
        given = " ".join(argv)
        for opt, attr in (("--duration", "duration"), ("--ws-duration", "ws_duration"),
                          ("--static-duration", "static_duration"), ("--rounds", "rounds")):
            if opt not in given:
                setattr(a, attr, 3)
    if min(a.duration, a.rounds, a.connections, a.idle_conns, a.ws_conns, a.ws_size,
           a.ws_duration, a.static_connections, a.static_duration) < 1:
        ap.error("counts and durations must be >= 1")
    if a.ws_size > 16 << 20:
        ap.error("--ws-size: at most 16 MiB (the backend's limit)")
    a.logs = [x.strip() for x in a.logs.split(",") if x.strip()]
    if not a.logs or any(x not in LOG_MODES for x in a.logs):
        ap.error(f"--logs: choose from {', '.join(LOG_MODES)}")
    a.scenarios = [x.strip() for x in a.scenarios.split(",") if x.strip()]
    bad = [x for x in a.scenarios if x not in SCENARIO_NAMES]
    if bad or not a.scenarios:
        ap.error(f"--scenarios: unknown {', '.join(bad) or '(none given)'}; "
                 f"choose from {', '.join(SCENARIO_NAMES)}")
    return a


def raise_nofile(need):
    """Raise RLIMIT_NOFILE (inherited by every process started) to at least `need` if the
    hard limit allows (root may raise the hard limit too); returns the soft limit."""
    soft, hard = resource.getrlimit(resource.RLIMIT_NOFILE)
    if hard != resource.RLIM_INFINITY and hard < need:
        try:
            resource.setrlimit(resource.RLIMIT_NOFILE, (need, need))
            return need
        except (ValueError, OSError):
            need = hard
    if soft < need:
        resource.setrlimit(resource.RLIMIT_NOFILE, (need, hard))
    return resource.getrlimit(resource.RLIMIT_NOFILE)[0]


def http_get(port, path="/", timeout=5.0):
    c = http.client.HTTPConnection("127.0.0.1", port, timeout=timeout)
    try:
        c.request("GET", path)
        r = c.getresponse()
        return r.status, r.read()
    finally:
        c.close()


def version(args):
    try:
        p = subprocess.run(args, capture_output=True, text=True, timeout=10)
        return (p.stdout + p.stderr).strip().splitlines()[0]
    except Exception:  # noqa: BLE001
        return "?"


def fmt(v, spec):
    return "-" if v is None else format(v, spec)


def main(argv):
    a = parse_args(argv)
    out = os.path.abspath(a.out)
    os.makedirs(out, exist_ok=True)
    ncpu = os.cpu_count() or 1
    pin = a.pin == "split" and ncpu >= 2
    commands = []

    def log_cmd(args):
        commands.append(shlex.join(str(x) for x in args))

    ctx = SimpleNamespace(
        out=out, tierd=a.tierd and os.path.abspath(a.tierd), app=a.app and os.path.abspath(a.app),
        duration=a.duration, connections=a.connections, warmup=a.warmup,
        idle_conns=a.idle_conns, idle_concurrency=64, idle_settle=1.0, idle_timeout=90.0,
        load_cpus="0" if pin else None, backend_pids=[], noisy_cores=0.25, proxy_cpus="1" if pin else None, log_cmd=log_cmd,
        ws_conns=a.ws_conns, ws_size=a.ws_size, ws_duration=a.ws_duration,
        static_connections=a.static_connections, static_duration=a.static_duration,
        static_root=None, wsbench=None, haproxy_log=a.haproxy_log)
    scenarios = [sc for sc in SCENARIOS if sc.name in a.scenarios]
    metrics = [m for m in METRICS if m.scenario in a.scenarios]

    nofile = raise_nofile(max(a.idle_conns, 2 * a.ws_conns) + 2000)
    if nofile < a.idle_conns + 200:
        print(f"bench: RLIMIT_NOFILE is {nofile}; lowering --idle-conns", file=sys.stderr)
        ctx.idle_conns = a.idle_conns = max(1, nofile - 500)
    if pin:
        os.sched_setaffinity(0, {0})     # the idle-connection client shares CPU 0 with wrk

    wanted = [x.strip() for x in a.proxies.split(",") if x.strip()]
    classes = [P for P in PROXIES if P.name in wanted]
    names = [P.name for P in classes]
    modes = [m for m in LOG_MODES if m in a.logs]
    runs_of = {m: [P(ctx, m) for P in classes] for m in modes}
    unavailable = {}
    for px in runs_of[modes[0]]:
        why = px.unavailable()
        if why:
            unavailable[px.name] = why

    results = {
        "started": time.strftime("%Y-%m-%dT%H:%M:%S%z"),
        "host": {"cpus": ncpu, "kernel": platform.release(),
                 "loadavg_start": open("/proc/loadavg").read().split()[:3]},
        "versions": {"nginx": version(["nginx", "-v"]), "haproxy": version(["haproxy", "-v"]),
                     "caddy": version(["caddy", "version"]),
                     "wrk": version(["wrk", "--version"])},
        "config": {"duration_s": a.duration, "connections": a.connections, "wrk_threads": 1,
                   "rounds": a.rounds, "warmup_s": a.warmup, "idle_conns": a.idle_conns,
                   "scenarios": a.scenarios, "ws_conns": a.ws_conns, "ws_size": a.ws_size,
                   "ws_duration_s": a.ws_duration, "static_connections": a.static_connections,
                   "static_duration_s": a.static_duration, "log_modes": modes,
                   "haproxy_log": a.haproxy_log,
                   "pinning": ("proxy on CPU 1; backend, wrk, bench client on CPU 0"
                               if pin else "none"), "rlimit_nofile": nofile},
        "runs": [], "medians": {}, "baselines": {}, "unavailable": unavailable,
        "commands": commands,
    }

    procs = Procs(log_cmd)
    t_start = time.monotonic()

    def on_term(signum, frame):
        raise KeyboardInterrupt

    signal.signal(signal.SIGTERM, on_term)
    signal.signal(signal.SIGINT, signal.default_int_handler)   # even if started with SIGINT ignored
    try:
        for sc in scenarios:
            if sc.prepare:
                try:
                    sc.prepare(ctx)
                except Exception as e:  # noqa: BLE001
                    raise StartError(f"preparing {sc.name}: {e}")
        # ---- backend -------------------------------------------------------------
        bport = free_port()
        bargs, banner, bdesc = backend_command(ctx, bport)
        results["backend"] = bdesc
        print(f"bench: backend {bdesc} on 127.0.0.1:{bport}", flush=True)
        backend = procs.start(bargs, stdout_path=os.path.join(out, "backend.log"),
                              cpus=ctx.load_cpus)
        procs.wait_ready(backend, bport, banner=banner)
        ctx.backend_pids = [backend.pid] + descendants(backend.pid)
        st, body = http_get(bport)
        if st != 200:
            raise StartError(f"backend answered {st} to GET /")
        # warm the backend (and the machine) up once, directly, before the first round
        try:
            wrk(ctx, bport, 2)
        except (RuntimeError, subprocess.TimeoutExpired) as e:
            raise StartError(f"wrk against the backend failed: {e}")
        for sc in scenarios:
            if sc.baseline:
                try:
                    b = results["baselines"][sc.name] = sc.baseline(ctx, bport)
                except Exception as e:  # noqa: BLE001 - reported, the proxies still run
                    b = results["baselines"][sc.name] = {"error": f"{type(e).__name__}: {e}"}
                print(f"bench: baseline {sc.name} (backend directly, no proxy): "
                      + ", ".join(f"{k} {v}" for k, v in b.items()), flush=True)

        # ---- rounds --------------------------------------------------------------
        def run_one(px, rnd):
            run = {"round": rnd, "proxy": px.name, "log": px.log}
            results["runs"].append(run)
            port = free_port()
            args = px.command(port, bport)
            so = os.path.join(out, getattr(px, "stdout_name",
                                           lambda: f"{px.name}-{px.log}.out")())
            se = os.path.join(out, f"{px.name}-{px.log}.err")
            if px.access_log:   # one run's worth of log at most on disk
                try:
                    os.unlink(px.log_path())
                except FileNotFoundError:
                    pass
            p = None
            side = []
            try:
                try:
                    for sargs, sport, banner in px.sidecars():
                        sp = procs.start(sargs, stdout_path=os.path.join(
                            out, f"{os.path.basename(sargs[0])}.out"), cpus=ctx.proxy_cpus)
                        side.append(sp)
                        procs.wait_ready(sp, sport, banner=banner)
                    p = procs.start(args, stdout_path=so, stderr_path=se, cpus=ctx.proxy_cpus,
                                    env=px.env())
                    procs.wait_ready(p, port)
                    pids = px.wait_workers(p.pid)
                    if not pids:
                        raise StartError("no worker process found")
                    pids = pids + [sp.pid for sp in side]
                    st, _ = http_get(port)
                    if st != 200:
                        raise StartError(f"GET / through the proxy answered {st}")
                except (StartError, OSError, http.client.HTTPException) as e:
                    run["error"] = f"start: {e}"
                    print(f"bench: round {rnd} {px.name} (logs {px.log}): unavailable: {e}",
                          flush=True)
                    if px.name == "tierd":
                        unavailable[px.name] = f"did not start: {e}"
                    return run
                t = SimpleNamespace(name=px.name, port=port, pids=pids, proc=p)
                run["pids"] = pids
                for sc in scenarios:
                    if not applies(sc, px.name, px.log):
                        continue
                    try:
                        run[sc.name] = sc.fn(ctx, t)
                    except Exception as e:  # noqa: BLE001 - reported, run continues
                        run[sc.name] = {"error": f"{type(e).__name__}: {e}"}
                    if p.poll() is not None:
                        run["error"] = f"proxy exited with {p.returncode} during {sc.name}"
                        break
                return run
            finally:
                if p is not None:
                    procs.stop(p)
                for sp in side:
                    procs.stop(sp)
                if p is not None and px.access_log:
                    check_log(run, px.log_path())

        for rnd in range(1, a.rounds + 1):
            # alternate which log mode goes first, so drifts hit both alike
            order = modes if rnd % 2 else modes[::-1]
            for px in [px for m in order for px in runs_of[m]]:
                for attempt in range(1 + a.noisy_retries):
                    if px.name in unavailable:
                        break
                    run = run_one(px, rnd)
                    # repeat on http_small's noise (its p99 suffers most); when it is
                    # not selected, on any selected scenario's
                    judged = ["http_small"] if "http_small" in a.scenarios else a.scenarios
                    again = (any(isinstance(run.get(n), dict) and run[n].get("noisy")
                                 for n in judged)
                             and attempt < a.noisy_retries)
                    if again:
                        run["discarded"] = "noisy; repeated"
                    print(f"bench: round {rnd} {px.name:8s} {px.log:8s} " + summary(run)
                          + ("  -> repeating" if again else ""), flush=True)
                    if not again:
                        break
    except KeyboardInterrupt:
        print("bench: interrupted; stopping everything", file=sys.stderr)
        results["interrupted"] = True
    except StartError as e:
        print(f"bench: backend did not start: {e}", file=sys.stderr)
        results["error"] = f"backend: {e}"
    finally:
        procs.stop_all()
    results["elapsed_s"] = round(time.monotonic() - t_start, 1)
    results["host"]["loadavg_end"] = open("/proc/loadavg").read().split()[:3]

    # ---- medians, ratios, table --------------------------------------------------------
    med = {}
    for mode in modes:
        med[mode] = {}
        for n in names:
            med[mode][n] = {}
            for m in metrics:
                vals = [v for run in results["runs"]
                        if run["proxy"] == n and run["log"] == mode and not run.get("discarded")
                        for v in [metric_of(run, m.key)] if v is not None]
                med[mode][n][m.key] = statistics.median(vals) if vals else None
                med[mode][n][m.key + "_n"] = len(vals)
    results["medians"] = med
    tables, results["targets"] = [], {}
    for mode in modes:
        ms = [m for m in metrics if applies(scenario_of(m), None, mode)]
        t, results["targets"][mode] = render(names, med[mode], unavailable, results, ms, mode)
        tables.append(f"{MODE_TITLES[mode]}:\n\n{t}")
    tables.append(render_modes(names, med, modes, metrics))
    tables.append(render_notes(results, unavailable, a.scenarios))
    table = "\n\n".join(t for t in tables if t)
    with open(os.path.join(out, "results.json"), "w") as f:
        json.dump(results, f, indent=2)
    with open(os.path.join(out, "results.md"), "w") as f:
        f.write(table + "\n")

    print()
    print("commands:")
    for c in commands:
        print("  " + c)
    print()
    print(table)
    print(f"\nraw numbers: {os.path.join(out, 'results.json')}  "
          f"(elapsed {results['elapsed_s']}s)")
    if results.get("interrupted"):
        return 130
    return 1 if results.get("error") else 0


MODE_TITLES = {
    "off": "Access logs off",
    "buffered": "Access log on, each proxy's best buffered file log",
}


def applies(sc, proxy, mode):
    """Whether scenario sc runs against proxy (None: any) in log mode."""
    if proxy is not None and sc.proxies is not None and proxy not in sc.proxies:
        return False
    return sc.log_modes is None or mode in sc.log_modes


def scenario_of(m):
    return next(s for s in SCENARIOS if s.name == m.scenario)


def check_log(run, path):
    """Count the access log's lines once the proxy (and any log sink) has stopped: at least
    one per request the bench made (a buffered log that dropped lines would look cheap)."""
    try:
        with open(path, "rb") as f:
            lines = sum(chunk.count(b"\n") for chunk in iter(lambda: f.read(1 << 20), b""))
    except OSError as e:
        run["log_warning"] = f"access log unreadable: {e}"
        return
    made = 0
    for name, key in (("http_small", "requests"), ("idle_conns", "idle_conns_ok"),
                      ("static_1mib", "static_requests")):
        r = run.get(name)
        if isinstance(r, dict):
            made += r.get(key, 0)
    run["access_log_lines"] = lines
    run["access_log_min_lines"] = made
    if lines < made:
        run["log_warning"] = f"access log has {lines:,} lines for >= {made:,} requests"


def metric_of(run, key):
    for sc in SCENARIOS:
        r = run.get(sc.name)
        if isinstance(r, dict) and key in r:
            return r[key]
    return None


def summary(run):
    parts = []
    h = run.get("http_small", {})
    if "error" in h:
        parts.append(f"http: {h['error']}")
    elif h:
        parts.append(f"{h['rps']:,.0f} req/s  {h['cpu_us_per_req']:.2f} us/req "
                     f"(proxy {h['cpu_util'] * 100:.0f}% of a core; others {h['other_cores']:.2f} cores{' NOISY' if h.get('noisy') else ''})  p99 {h.get('p99_ms', 0):.3f} ms")
    i = run.get("idle_conns", {})
    if "error" in i:
        parts.append(f"idle: {i['error']}")
    elif i:
        parts.append(f"idle {i['idle_bytes_per_conn']:,.0f} B/conn ({i['idle_conns_ok']} conns)")
    w = run.get("ws_echo", {})
    if "error" in w:
        parts.append(f"ws: {w['error']}")
    elif w:
        parts.append(f"ws {w['ws_mb_s']:,.1f} MB/s {w['ws_cpu_ms_per_mb']:.3f} ms/MB "
                     f"(proxy {w['cpu_util'] * 100:.0f}%{' NOISY' if w.get('noisy') else ''})")
    s = run.get("static_1mib", {})
    if "error" in s:
        parts.append(f"static: {s['error']}")
    elif s:
        parts.append(f"static {s['static_rps']:,.0f} req/s {s['static_mb_s']:,.0f} MB/s "
                     f"{s['static_cpu_us_per_req']:.1f} us/req, with client "
                     f"{s.get('static_sum_cpu_us_per_req', 0):.1f} (proxy {s['cpu_util'] * 100:.0f}%"
                     f"{' NOISY' if s.get('noisy') else ''})")
    for sc in SCENARIOS:
        w = run.get(sc.name, {}).get("warning") if isinstance(run.get(sc.name), dict) else None
        if w:
            parts.append(f"WARNING {sc.name}: {w}")
    if run.get("log_warning"):
        parts.append(f"WARNING {run['log_warning']}")
    if run.get("error"):
        parts.append(f"ERROR {run['error']}")
    return "  ".join(parts)


def md_table(head, rows):
    widths = [max(len(str(r[i])) for r in [head] + rows) for i in range(len(head))]
    line = lambda r: "| " + " | ".join(str(c).ljust(w) for c, w in zip(r, widths)) + " |"  # noqa
    return "\n".join([line(head), "|" + "|".join("-" * (w + 2) for w in widths) + "|"]
                     + [line(r) for r in rows])


def render(names, med, unavailable, results, metrics, mode):
    """One log mode's table: medians per proxy, ratios to nginx, tierd's targets."""
    others = [n for n in names if n != "nginx"]
    head = ["metric (median)"] + names + [f"{n}/nginx" for n in others] + ["tierd target"]
    rows = []
    verdicts = {}
    for m in metrics:
        row = [m.label]
        sc = scenario_of(m)
        for n in names:
            if not applies(sc, n, mode):
                row.append("n/a")
            elif n in unavailable and med[n][m.key] is None:
                row.append("unavailable")
            else:
                row.append(fmt(med[n][m.key], m.fmt))
        base = med.get("nginx", {}).get(m.key)
        for n in others:
            v = med[n][m.key]
            row.append(f"{v / base:.2f}x" if v is not None and base else "-")
        if m.target is None:
            row.append("")
        else:
            tv = med.get("tierd", {}).get(m.key)
            kind, limit = m.target
            if tv is None:
                verdict = "pending (tierd unavailable)" if "tierd" in unavailable else "n/a"
            elif kind == "ratio":
                verdict = "n/a (no nginx figure)" if not base else \
                    ("met" if tv / base <= limit else "NOT met")
            elif kind == "min_ratio":
                verdict = "n/a (no nginx figure)" if not base else \
                    ("met" if tv / base >= limit else "NOT met")
            else:
                verdict = "met" if tv <= limit else "NOT met"
            verdicts[m.key] = {"target": m.target_text, "verdict": verdict}
            row.append(f"{m.target_text}: {verdict}")
        rows.append(row)
    n = {x: max((med[x][k + "_n"] for k in [m.key for m in metrics]), default=0)
         for x in names}
    return (md_table(head, rows) + "\n\nmedians of "
            + ", ".join(f"{x}: {n[x]}" for x in names) + " runs"), verdicts


# the figures whose ratios are compared across the two log modes
MODE_KEYS = ("cpu_us_per_req", "p99_ms", "idle_bytes_per_conn")


def render_modes(names, med, modes, metrics):
    """The two columns: each ratio to nginx with logs off and with the buffered log, then
    what the buffered log costs each proxy (buffered / off)."""
    if len(modes) < 2:
        return ""
    ms = [m for m in metrics if m.key in MODE_KEYS]

    def ratio(a, b):
        return f"{a / b:.2f}x" if a is not None and b else "-"

    rows = []
    for n in [x for x in names if x != "nginx"]:
        for m in ms:
            rows.append([f"{n}/nginx {m.label}"]
                        + [ratio(med[md][n][m.key], med[md].get("nginx", {}).get(m.key))
                           for md in modes])
    t1 = md_table(["ratio to nginx (medians)"] + [f"logs {md}" for md in modes], rows)
    rows = []
    for n in names:
        rows.append([n] + [ratio(med["buffered"][n][m.key], med["off"][n][m.key])
                           for m in ms])
    t2 = md_table(["log on / off (medians)"] + [m.label for m in ms], rows)
    return "Both log modes:\n\n" + t1 + "\n\n" + t2


def render_notes(results, unavailable, sel):
    cfg = results["config"]
    desc = []
    if "http_small" in sel:
        desc.append(f"wrk -t1 -c{cfg['connections']} -d{cfg['duration_s']}s")
    if "idle_conns" in sel:
        desc.append(f"{cfg['idle_conns']} idle conns")
    if "ws_echo" in sel:
        desc.append(f"WS: {cfg['ws_conns']} conns x {cfg['ws_size']} B messages, "
                    f"{cfg['ws_duration_s']}s (bench/wsbench)")
    if "static_1mib" in sel:
        desc.append(f"static: wrk -t1 -c{cfg['static_connections']} "
                    f"-d{cfg['static_duration_s']}s")
    out = [f"{'; '.join(desc)}; backend: {results.get('backend', '?')}; "
           f"pinning: {cfg['pinning']}; HAProxy's buffered log: {cfg['haproxy_log']}"]
    b = results.get("baselines", {}).get("ws_echo")
    if b:
        out.append("WS client ceiling (same load straight to the backend, no proxy): "
                   + (f"{b['ws_mb_s']:,.1f} MB/s" if "ws_mb_s" in b else b.get("error", "?")))
    noisy = [f"{r['proxy']} ({r['log']}) round {r['round']} {sc} ({r[sc]['other_cores']:.2f})"
             for r in results["runs"] if not r.get("discarded")
             for sc in sel if isinstance(r.get(sc), dict) and r[sc].get("noisy")]
    rep = sum(1 for r in results["runs"] if r.get("discarded"))
    if rep:
        out.append(f"{rep} noisy run(s) repeated and left out of the medians (in the JSON)")
    if noisy:
        out.append(f"noisy runs kept (other processes used > 0.25 cores meanwhile): "
                   f"{', '.join(noisy)}")
    lost = [f"{r['proxy']} ({r['log']}) round {r['round']}: {r['log_warning']}"
            for r in results["runs"] if r.get("log_warning")]
    if lost:
        out.append("access log short: " + "; ".join(lost))
    for x, why in unavailable.items():
        out.append(f"{x}: unavailable ({why})")
    return "\n".join(out)


if __name__ == "__main__":
    sys.exit(main(sys.argv[1:]))

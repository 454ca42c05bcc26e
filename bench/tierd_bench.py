#!/usr/bin/python3
"""tierd's own figures, in one run: what the shield and the watch cost per request, how fast
a banned address is refused, how fast the fleet scales out, and whether an instance refresh
loses requests.  See docs/bench.md ("tierd: shield, watch and fleet").

    /usr/bin/python3 bench/tierd_bench.py --tierd build/tierd --app build/app [--quick]

Rounds are interleaved: every round runs each part once (the CPU runs in A-B-B-A order), and
the table reports medians over rounds. Only 127.x addresses are used; every process started
(tierd, the backend, wrk, the refusal client) is stopped by process group at the end, and
tierd stops its fleet instances on SIGTERM (their pids are also checked afterwards).
Results: a table on stdout and <out>/tierd_results.json.
"""

import argparse
import http.client
import json
import os
import platform
import resource
import shlex
import shutil
import signal
import socket
import statistics
import subprocess
import sys
import tempfile
import threading
import time

sys.dont_write_bytecode = True          # keep bench/ free of __pycache__
sys.path.insert(0, os.path.dirname(os.path.abspath(__file__)))

from procs import CLK_TCK, Procs, StartError, cpu_seconds, descendants, free_port, tail  # noqa: E402
from scenarios import parse_wrk  # noqa: E402

HERE = os.path.dirname(os.path.abspath(__file__))
REFUSE_SRC = os.path.join(HERE, "refusebench.c")
BANNED = "127.0.0.66"
BYSTANDER = "127.0.0.10"
# AWS WAF's limit range tops out at 2e9; at ~50k requests/s a 100,000/60 s limit would trip
# after two seconds of wrk from one address, so the "never triggers" rule uses the maximum.
RATE_LIMIT = 2000000000
TERMINAL = ("Successful", "Failed", "Cancelled", "RollbackSuccessful", "RollbackFailed")

TARGETS = {
    "shield_ratio": 1.05,        # shield on / off, CPU per request
    "watch_ratio": 1.03,         # metrics on / off, CPU per request
    "scaleout_s": 5.0,           # load step -> a new instance answers
    "refresh_errors": 0,         # non-2xx + socket errors during a refresh
}


def parse_args(argv):
    ap = argparse.ArgumentParser(description="tierd: shield and watch cost, ban refusals, "
                                             "fleet scale-out and refresh.")
    ap.add_argument("--tierd", default="build/tierd")
    ap.add_argument("--app", default="build/app")
    ap.add_argument("--out", default="build/bench", help="output directory (default build/bench)")
    ap.add_argument("--rounds", type=int, default=3, help="interleaved rounds (default 3)")
    ap.add_argument("--cpu-duration", type=int, default=3,
                    help="measured wrk seconds per shield/watch CPU run (default 3)")
    ap.add_argument("--connections", type=int, default=50, help="wrk connections for CPU runs")
    ap.add_argument("--access-log", choices=("on", "off"), default="off",
                    help="access log in the CPU and ban runs (default off: the shield's share "
                         "of a cheaper request, the stricter ratio)")
    ap.add_argument("--cpu-pairs", type=int, default=2,
                    help="A-B-B-A blocks of CPU runs per round (default 2)")
    ap.add_argument("--refuse-duration", type=int, default=4,
                    help="seconds of connections from the banned address (default 4)")
    ap.add_argument("--refuse-threads", type=int, default=4)
    ap.add_argument("--refresh-load", type=int, default=40,
                    help="wrk -d seconds around an instance refresh (default 40)")
    ap.add_argument("--parts", default="shield,watch,bans,scaleout,refresh",
                    help="comma-separated subset of shield,watch,bans,scaleout,refresh")
    ap.add_argument("--pin", choices=("split", "none"), default="split",
                    help="split (CPU and ban parts): tierd on CPU 1; backend, wrk, client on "
                         "CPU 0 (default). The fleet parts are never pinned.")
    ap.add_argument("--noisy-retries", type=int, default=1,
                    help="repeat a CPU run once when other processes used > 0.25 cores")
    ap.add_argument("--budget", type=int, default=None,
                    help="seconds after which no new round starts (default 330; --quick 150)")
    ap.add_argument("--quick", action="store_true", help="one round (~2 minutes)")
    a = ap.parse_args(argv)
    given = " ".join(argv)
    if a.quick and "--rounds" not in given:
        a.rounds = 1
    if a.budget is None:
        a.budget = 150 if a.quick else 330
    a.parts = [p.strip() for p in a.parts.split(",") if p.strip()]
    bad = [p for p in a.parts if p not in ("shield", "watch", "bans", "scaleout", "refresh")]
    if bad:
        ap.error(f"--parts: unknown {', '.join(bad)}")
    if min(a.rounds, a.cpu_duration, a.connections, a.refuse_duration, a.refuse_threads,
           a.refresh_load) < 1:
        ap.error("counts and durations must be >= 1")
    return a


# ---- small clients ---------------------------------------------------------------------

class UnixHTTPConnection(http.client.HTTPConnection):
    def __init__(self, path, timeout=5.0):
        super().__init__("tierd", timeout=timeout)
        self.unix_path = path

    def connect(self):
        s = socket.socket(socket.AF_UNIX, socket.SOCK_STREAM)
        s.settimeout(self.timeout)
        s.connect(self.unix_path)
        self.sock = s


def api(sock, method, path, body=None, timeout=5.0):
    """(status, parsed JSON or text) from the control socket."""
    c = UnixHTTPConnection(sock, timeout)
    try:
        headers = {}
        data = None
        if body is not None or method in ("POST", "PUT"):
            data = json.dumps(body if body is not None else {}).encode()
            headers["Content-Type"] = "application/json"
        c.request(method, path, body=data, headers=headers)
        r = c.getresponse()
        raw = r.read()
        ctype = r.getheader("Content-Type", "")
        if "json" in ctype:
            try:
                return r.status, json.loads(raw)
            except ValueError:
                pass
        return r.status, raw.decode("utf-8", "replace")
    finally:
        c.close()


def http_get(port, path="/", source=None, timeout=3.0):
    """(status, X-Instance) for one request on a fresh connection."""
    c = http.client.HTTPConnection("127.0.0.1", port, timeout=timeout,
                                   source_address=(source, 0) if source else None)
    try:
        c.request("GET", path)
        r = c.getresponse()
        r.read()
        return r.status, r.getheader("X-Instance")
    finally:
        c.close()


def port_answers(port, timeout=0.2):
    try:
        with socket.create_connection(("127.0.0.1", port), timeout=timeout):
            return True
    except OSError:
        return False


def cpu_times():
    """Machine-wide (busy, total) jiffies from /proc/stat."""
    with open("/proc/stat") as f:
        v = [int(x) for x in f.readline().split()[1:]]
    return sum(v[:8]) - v[3] - v[4], sum(v[:8])


def children_cpu():
    ru = resource.getrusage(resource.RUSAGE_CHILDREN)
    return ru.ru_utime + ru.ru_stime


def med(vals):
    vals = [v for v in vals if v is not None]
    return statistics.median(vals) if vals else None


# ---- the bench -------------------------------------------------------------------------

class Bench:
    def __init__(self, a):
        self.a = a
        self.out = os.path.abspath(a.out)
        self.dir = os.path.join(self.out, "tierd-bench")
        os.makedirs(self.dir, exist_ok=True)
        self.tierd = os.path.abspath(a.tierd)
        self.app = os.path.abspath(a.app)
        ncpu = os.cpu_count() or 1
        self.pin = a.pin == "split" and ncpu >= 2
        self.proxy_cpus = "1" if self.pin else None
        self.load_cpus = "0" if self.pin else None
        self.commands = []
        self.procs = Procs(self.log_cmd)
        self.instance_pids = set()       # fleet instances seen, checked at the end
        self.seq = 0
        # unix socket paths are limited to 107 bytes
        probe = os.path.join(self.dir, "run-00", "tierd.sock")
        self.sockbase = self.dir if len(probe) < 100 else tempfile.mkdtemp(prefix="tierd-bench-")
        self.backend_port = None
        self.backend_pids = []
        self.refusebench = None
        self.watch = {"wired": None}
        self.watch_off_yaml = None

    def log_cmd(self, args):
        c = shlex.join(str(x) for x in args)
        if c not in self.commands:
            self.commands.append(c)

    # -- processes ------------------------------------------------------------------

    def new_rundir(self, tag):
        self.seq += 1
        d = os.path.join(self.sockbase, f"run-{self.seq:02d}")
        shutil.rmtree(d, ignore_errors=True)
        os.makedirs(d)
        return d, os.path.join(d, "tierd.sock"), os.path.join(self.dir, f"tierd-{tag}.log")

    def start_tierd(self, yaml_text, tag, sock, log, cpus):
        conf = os.path.join(self.dir, f"tierd-{tag}.yaml")
        with open(conf, "w") as f:
            f.write(yaml_text)
        p = self.procs.start([self.tierd, "run", conf], stdout_path=log, cpus=cpus)
        deadline = time.monotonic() + 15
        while time.monotonic() < deadline:
            if p.poll() is not None:
                raise StartError(f"tierd exited with {p.returncode}: {tail(log)}")
            if os.path.exists(sock):
                try:
                    st, _ = api(sock, "GET", "/v1/status", timeout=1.0)
                    if st == 200:
                        return p
                except OSError:
                    pass
            time.sleep(0.05)
        raise StartError(f"tierd's control socket did not answer in 15 s: {tail(log)}")

    def stop(self, p, grace=15.0):
        if p is not None:
            self.procs.stop(p, grace=grace)

    def build_refusebench(self):
        exe = os.path.join(self.out, "refusebench")
        if not (os.path.exists(exe) and os.path.getmtime(exe) >= os.path.getmtime(REFUSE_SRC)):
            args = [os.environ.get("CC", "cc"), "-O2", "-std=c17", "-Wall", "-Wextra",
                    "-pthread", "-o", exe, REFUSE_SRC]
            self.log_cmd(args)
            p = subprocess.run(args, capture_output=True, text=True, timeout=120)
            if p.returncode != 0:
                raise StartError(f"building refusebench failed:\n{p.stderr.strip()}")
        self.refusebench = exe

    def start_backend(self):
        port = free_port()
        p = self.procs.start([self.app, "--listen", f"127.0.0.1:{port}", "--name", "bench",
                              "--threads", "1"],
                             stdout_path=os.path.join(self.dir, "backend.log"),
                             cpus=self.load_cpus)
        self.procs.wait_ready(p, port, banner="listening on")
        self.backend_port = port
        self.backend_pids = [p.pid] + descendants(p.pid)
        self.wrk(port, 2, record=False)            # warm the backend and the machine up

    def wrk(self, port, duration, path="/", connections=None, threads=1, record=True):
        args = ["wrk", f"-t{threads}", f"-c{connections or self.a.connections}",
                f"-d{duration}s", f"http://127.0.0.1:{port}{path}"]
        if self.load_cpus is not None:
            args = ["taskset", "-c", self.load_cpus] + args
        if record:
            self.log_cmd(args)
        p = subprocess.run(args, capture_output=True, text=True, timeout=duration + 30)
        if p.returncode != 0:
            raise RuntimeError(f"wrk failed ({p.returncode}): {p.stderr.strip()}")
        return parse_wrk(p.stdout)

    def measure(self, pids, load):
        """load() under the clock: returns (its result, tierd CPU s, wall s, other cores)."""
        m0, c0, b0, k0 = cpu_times(), cpu_seconds(pids), cpu_seconds(self.backend_pids), \
            children_cpu()
        w0 = time.monotonic()
        res = load()
        wall = time.monotonic() - w0
        m1, c1, b1, k1 = cpu_times(), cpu_seconds(pids), cpu_seconds(self.backend_pids), \
            children_cpu()
        cpu = c1 - c0
        other = max(0.0, (m1[0] - m0[0]) / CLK_TCK - cpu - (b1 - b0) - (k1 - k0)) / wall
        return res, cpu, wall, round(other, 2)

    # -- stack files ----------------------------------------------------------------

    def cpu_yaml(self, port, sock, state, shield, extra=""):
        log = os.path.join(self.dir, "tierd-access.log")
        s = f"""# written by bench/tierd_bench.py
listeners:
  - name: bench
    address: 127.0.0.1:{port}
    rules:
      - forward: app
target_groups:
  app:
    targets: [127.0.0.1:{self.backend_port}]
edge:
  workers: 1
control:
  socket: {sock}
state_dir: {state}
"""
        if self.a.access_log == "on":
            try:
                os.unlink(log)      # one run's worth at most on disk
            except FileNotFoundError:
                pass
            s += f"access_log: {{ path: {log}, format: combined }}\n"
        if shield:
            s += f"""shield:
  mode: block
  rate_limit: {{ window: 60s, limit: {RATE_LIMIT}, key: ip }}
  scanners: {{ enabled: true, ban: 1h }}
"""
        return s + extra

    def fleet_yaml(self, port, sock, state):
        return f"""# written by bench/tierd_bench.py (examples/demo.yaml's group, scaled for a bench)
listeners:
  - name: public
    address: 127.0.0.1:{port}
    rules:
      - forward: web
target_groups:
  web:
    algorithm: least_outstanding_requests
    health_check:
      path: /health
      interval: 5s
      timeout: 2s
      healthy_threshold: 2
      unhealthy_threshold: 2
      matcher: "200-399"
    deregistration_delay: 5s
launch_templates:
  # tierd:skip=TD-ASG-014 the bench runs the sample app as whoever runs the bench
  app:
    command: [{self.app}, --listen, "127.0.0.1:${{PORT}}", --name, "${{INSTANCE_ID}}"]
    stop_signal: SIGTERM
    stop_timeout: 10s
    instance_type: {{ cpu: 1, memory: 256m }}
auto_scaling_groups:
  web:
    launch_template: app
    target_group: web
    min_size: 2
    max_size: 4
    desired_capacity: 2
    health_check_type: elb
    health_check_grace_period: 10s
    default_instance_warmup: 5s
    scaling_policies:
      - name: cpu-30
        target_tracking: {{ metric: cpu_utilization, target_value: 30 }}
    instance_refresh: {{ min_healthy_percentage: 50, instance_warmup: 5s, auto_rollback: true }}
state_dir: {state}
edge:
  workers: 1
control:
  socket: {sock}
"""

    # -- part 1/2: CPU per request, shield off/on (and watch off when it can be) -------

    def probe_watch(self, sock):
        """Is GET /metrics wired (200 + Prometheus text)? Can the watch be turned off?"""
        try:
            st, body = api(sock, "GET", "/metrics")
        except OSError as e:
            st, body = None, str(e)
        text = body if isinstance(body, str) else json.dumps(body)
        wired = st == 200 and ("# TYPE" in text or "# HELP" in text)
        self.watch = {"wired": wired, "metrics_status": st,
                      "metrics_series": sum(1 for ln in text.splitlines()
                                            if ln and not ln.startswith("#")) if wired else 0}
        if not wired:
            return
        # an off switch, if the stack file has one (none is documented so far)
        for snippet in ("watch: { enabled: false }\n", "watch: off\n"):
            y = self.cpu_yaml(free_port(), "/tmp/x.sock", "/tmp/x", False, snippet)
            f = os.path.join(self.dir, "watch-off-check.yaml")
            with open(f, "w") as fh:
                fh.write(y)
            p = subprocess.run([self.tierd, "check", f], capture_output=True, text=True,
                               timeout=30)
            if p.returncode == 0 and "unknown key" not in p.stdout + p.stderr:
                self.watch_off_yaml = snippet
                break
        self.watch["off_switch"] = self.watch_off_yaml.strip() if self.watch_off_yaml else None

    def cpu_run(self, variant, rnd):
        """One fresh tierd (pinned), 1 s warm-up, wrk; CPU µs per request."""
        port = free_port()
        d, sock, log = self.new_rundir(variant)
        extra = self.watch_off_yaml if variant == "watch_off" else ""
        y = self.cpu_yaml(port, sock, os.path.join(d, "state"), variant == "shield_on", extra)
        run = {"part": "cpu", "variant": variant, "round": rnd}
        p = None
        try:
            p = self.start_tierd(y, variant, sock, log, self.proxy_cpus)
            st, _ = http_get(port)
            if st != 200:
                raise StartError(f"GET / through tierd answered {st}")
            if self.watch["wired"] is None:
                self.probe_watch(sock)
            pids = [p.pid] + descendants(p.pid)
            self.wrk(port, 1, record=False)
            r, cpu, wall, other = self.measure(pids, lambda: self.wrk(port, self.a.cpu_duration))
            if r["requests"] == 0:
                raise RuntimeError("wrk completed no requests")
            run.update(requests=r["requests"], rps=r["rps"], cpu_s=round(cpu, 3),
                       cpu_util=round(cpu / wall, 3), other_cores=other,
                       cpu_us_per_req=round(cpu * 1e6 / r["requests"], 3),
                       errors=r["non2xx"] + r["socket_errors"])
            if variant == "shield_on":
                st, sh = api(sock, "GET", "/v1/shield")
                if st == 200:
                    c = sh.get("counters", {})
                    run["shield_refusals"] = sum(v for k, v in c.items()
                                                 if k in ("rate_limit", "ban", "deny")
                                                 or k.startswith("detector_"))
            if other > 0.25:
                run["noisy"] = True
        except (StartError, RuntimeError, OSError, http.client.HTTPException,
                subprocess.TimeoutExpired) as e:
            run["error"] = f"{type(e).__name__}: {e}"
        finally:
            self.stop(p, grace=5.0)
        return run

    # -- part 3: refusals of a banned address ----------------------------------------

    def bans_run(self, rnd):
        port = free_port()
        d, sock, log = self.new_rundir("bans")
        y = self.cpu_yaml(port, sock, os.path.join(d, "state"), True)
        run = {"part": "bans", "round": rnd}
        p = None
        stop_flag = threading.Event()
        bystander = {"ok": 0, "other": 0, "errors": 0, "max_ms": 0.0}

        def bystand():
            while not stop_flag.is_set():
                t0 = time.monotonic()
                try:
                    st, _ = http_get(port, source=BYSTANDER)
                    bystander["ok" if st == 200 else "other"] += 1
                except (OSError, http.client.HTTPException):
                    bystander["errors"] += 1
                bystander["max_ms"] = max(bystander["max_ms"], (time.monotonic() - t0) * 1e3)
                stop_flag.wait(0.1)

        try:
            p = self.start_tierd(y, "bans", sock, log, self.proxy_cpus)
            st, body = api(sock, "POST", "/v1/bans", {"address": BANNED, "duration": 600,
                                                      "reason": "bench"})
            if st != 201:
                raise RuntimeError(f"POST /v1/bans answered {st}: {body}")
            # sanity: banned is refused, the bystander is served
            try:
                bst, _ = http_get(port, source=BANNED, timeout=2)
                raise RuntimeError(f"the banned address got a {bst} answer")
            except (OSError, http.client.HTTPException):
                pass
            if http_get(port, source=BYSTANDER)[0] != 200:
                raise RuntimeError(f"{BYSTANDER} did not get 200 before the load")
            pids = [p.pid] + descendants(p.pid)
            st, sh0 = api(sock, "GET", "/v1/shield")
            args = [self.refusebench, "-b", BANNED, "-a", "127.0.0.1", "-p", str(port),
                    "-t", str(self.a.refuse_threads), "-d", str(self.a.refuse_duration)]
            if self.load_cpus is not None:
                args = ["taskset", "-c", self.load_cpus] + args
            self.log_cmd(args)
            th = threading.Thread(target=bystand, daemon=True)
            th.start()

            def load():
                q = subprocess.run(args, capture_output=True, text=True,
                                   timeout=self.a.refuse_duration + 30)
                try:
                    return json.loads(q.stdout.strip().splitlines()[-1])
                except (IndexError, ValueError):
                    raise RuntimeError(f"refusebench failed ({q.returncode}): "
                                       f"{q.stderr.strip()} {q.stdout.strip()}")

            try:
                r, cpu, wall, other = self.measure(pids, load)
            finally:
                stop_flag.set()
                th.join(timeout=5)
            st, sh1 = api(sock, "GET", "/v1/shield")
            counted = (sh1["counters"].get("ban", 0) - sh0["counters"].get("ban", 0)
                       if st == 200 else None)
            run.update(refused=r["refused"], answered=r["answered"],
                       client_errors=r["connect_errors"], first_error=r["first_error"],
                       refused_per_s=round(r["per_s"], 1), cpu_s=round(cpu, 3),
                       cpu_util=round(cpu / wall, 3), other_cores=other,
                       cpu_us_per_refusal=round(cpu * 1e6 / r["refused"], 3)
                       if r["refused"] else None,
                       shield_ban_counter=counted,
                       bystander_200=bystander["ok"],
                       bystander_total=bystander["ok"] + bystander["other"]
                       + bystander["errors"],
                       bystander_max_ms=round(bystander["max_ms"], 1))
            if other > 0.25:
                run["noisy"] = True
        except (StartError, RuntimeError, OSError, KeyError, http.client.HTTPException,
                subprocess.TimeoutExpired) as e:
            run["error"] = f"{type(e).__name__}: {e}"
        finally:
            stop_flag.set()
            self.stop(p, grace=5.0)
        return run

    # -- part 4: fleet ------------------------------------------------------------------

    def fleet_start(self, tag):
        port = free_port()
        d, sock, log = self.new_rundir(tag)
        p = self.start_tierd(self.fleet_yaml(port, sock, os.path.join(d, "state")), tag, sock,
                             log, None)
        # ready: 2 instances InService, Healthy, past the warm-up (the scaling metric only
        # counts those), both targets healthy
        deadline = time.monotonic() + 40
        while True:
            if p.poll() is not None:
                raise StartError(f"tierd exited with {p.returncode}: {tail(log)}")
            insts = self.instances(sock)
            st, tg = api(sock, "GET", "/v1/targets")
            healthy = [t["address"] for t in tg.get("targets", []) if t["state"] == "healthy"] \
                if st == 200 else []
            ready = [i for i in insts if i["state"] == "InService" and i["health"] == "Healthy"
                     and not i["warming"]]
            if len(ready) >= 2 and len(healthy) >= 2:
                return p, port, sock, log, {i["id"] for i in insts}, set(healthy)
            if time.monotonic() > deadline:
                raise StartError(f"fleet not ready in 40 s: instances {insts}, healthy {healthy}")
            time.sleep(0.2)

    def instances(self, sock):
        st, body = api(sock, "GET", "/v1/instances")
        insts = body.get("instances", []) if st == 200 else []
        for i in insts:
            if i.get("pid", 0) > 0:
                self.instance_pids.add(i["pid"])
        return insts

    def stop_fleet(self, p):
        pids = set(self.instance_pids)
        self.stop(p, grace=20.0)
        self.reap_instances(pids)

    def reap_instances(self, pids):
        """tierd stops its instances on SIGTERM (and PDEATHSIG covers a SIGKILL); make sure."""
        left = []
        for pid in pids:
            try:
                with open(f"/proc/{pid}/cmdline", "rb") as f:
                    cmd = f.read().split(b"\0")[0].decode(errors="replace")
            except OSError:
                continue
            if os.path.abspath(cmd) == self.app:
                left.append(pid)
                try:
                    os.killpg(pid, signal.SIGKILL)       # instances lead their own group
                except (ProcessLookupError, PermissionError):
                    pass
        return left

    def scaleout_run(self, rnd):
        run = {"part": "scaleout", "round": rnd}
        p = w = None
        try:
            p, port, sock, log, ids0, healthy0 = self.fleet_start("scaleout")
            wout = os.path.join(self.dir, "wrk-scaleout.out")
            t0 = time.monotonic()
            w = self.procs.start(["wrk", "-t2", "-c8", "-d20s",
                                  f"http://127.0.0.1:{port}/work?ms=20"], stdout_path=wout)
            t_desired = t_healthy = t_serving = t_served = None
            new_addr = new_id = None
            probes = 0
            # poll every 100 ms: desired capacity raised; a new target healthy; a new target
            # with requests > 0 in its counter (it is serving the load)
            while time.monotonic() - t0 < 20 and t_serving is None:
                now = time.monotonic() - t0
                if t_desired is None:
                    st, g = api(sock, "GET", "/v1/auto-scaling-groups")
                    if st == 200 and any(x["desired_capacity"] > 2
                                         for x in g["auto_scaling_groups"]):
                        t_desired = now
                st, tg = api(sock, "GET", "/v1/targets")
                fresh = [t for t in tg.get("targets", []) if t["address"] not in healthy0
                         and t["state"] == "healthy"] if st == 200 else []
                if fresh and t_healthy is None:
                    t_healthy = time.monotonic() - t0
                    new_addr = fresh[0]["address"]
                if any(t.get("requests", 0) > 0 for t in fresh):
                    t_serving = time.monotonic() - t0
                    break
                time.sleep(0.1)
            if t_healthy is not None:
                # confirm with the app's X-Instance header: a request through tierd answered
                # by an instance that was not there before the load step
                while time.monotonic() - t0 < 25:
                    probes += 1
                    try:
                        st, inst = http_get(port, timeout=2)
                    except (OSError, http.client.HTTPException):
                        continue
                    if st == 200 and inst and inst not in ids0:
                        t_served = time.monotonic() - t0
                        new_id = inst
                        break
                    time.sleep(0.02)
                new_ids = {i["id"] for i in self.instances(sock)} - ids0
                run["confirmed_new_instance"] = bool(new_id and new_id in new_ids)
            run.update(load_to_desired_s=round(t_desired, 2) if t_desired is not None else None,
                       load_to_healthy_s=round(t_healthy, 2) if t_healthy is not None else None,
                       load_to_serving_s=round(t_serving, 2) if t_serving is not None else None,
                       load_to_answer_s=round(t_served, 2) if t_served is not None else None,
                       new_target=new_addr, new_instance=new_id, probes=probes)
            if t_serving is None or t_served is None:
                run["error"] = ("no new instance served within 20 s of the load step "
                                f"(desired raised: {t_desired}, healthy: {t_healthy}, "
                                f"serving: {t_serving}, X-Instance: {new_id})")
        except (StartError, RuntimeError, OSError, KeyError, ValueError,
                http.client.HTTPException) as e:
            run["error"] = f"{type(e).__name__}: {e}"
        finally:
            self.stop(w, grace=2.0)
            self.stop_fleet(p)
        return run

    def refresh_run(self, rnd):
        run = {"part": "refresh", "round": rnd}
        p = w = None
        load = self.a.refresh_load
        try:
            p, port, sock, log, ids0, healthy0 = self.fleet_start("refresh")
            wout = os.path.join(self.dir, "wrk-refresh.out")
            w = self.procs.start(["wrk", "-t2", "-c10", f"-d{load}s",
                                  f"http://127.0.0.1:{port}/"], stdout_path=wout)
            tw = time.monotonic()
            time.sleep(2)
            t0 = time.monotonic()
            st, body = api(sock, "POST", "/v1/auto-scaling-groups/web/refresh", {})
            if st != 202:
                raise RuntimeError(f"POST refresh answered {st}: {body}")
            status, info = body.get("status"), body
            while time.monotonic() - tw < load + 1:
                st, info = api(sock, "GET", "/v1/auto-scaling-groups/web/refresh")
                if st == 200:
                    status = info["status"]
                    if status in TERMINAL:
                        break
                time.sleep(0.2)
            t_end = time.monotonic() - t0
            done = status in TERMINAL
            insts = self.instances(sock)
            st, g = api(sock, "GET", "/v1/auto-scaling-groups")
            desired = g["auto_scaling_groups"][0]["desired_capacity"] if st == 200 else None
            try:
                w.wait(timeout=load + 15)
            except subprocess.TimeoutExpired:
                pass
            with open(wout) as f:
                r = parse_wrk(f.read())
            in_service = [i for i in insts if i["state"] == "InService"]
            run.update(status=status, refresh_s=round(t_end, 2) if done else None,
                       refresh_complete_in_load=done and t_end < load - 2,
                       requests=r["requests"], rps=r["rps"], non2xx=r["non2xx"],
                       socket_errors=r["socket_errors"],
                       errors=r["non2xx"] + r["socket_errors"],
                       desired_after=desired,
                       old_instances_left=sorted(i["id"] for i in in_service
                                                 if i["id"] in ids0),
                       api_started=info.get("started"), api_ended=info.get("ended"))
            if not done:
                run["error"] = f"refresh still {status} when the {load} s load ended"
        except (StartError, RuntimeError, OSError, KeyError, ValueError, IndexError,
                http.client.HTTPException) as e:
            run["error"] = f"{type(e).__name__}: {e}"
        finally:
            self.stop(w, grace=2.0)
            self.stop_fleet(p)
        return run


# ---- report ----------------------------------------------------------------------------

def summarize(runs, watch):
    def vals(part, key, variant=None):
        return [r[key] for r in runs if r["part"] == part and not r.get("discarded")
                and (variant is None or r.get("variant") == variant)
                and r.get(key) is not None and "error" not in r]

    m = {}
    for v in ("shield_off", "shield_on", "watch_off"):
        m[f"{v}_cpu_us_per_req"] = med(vals("cpu", "cpu_us_per_req", v))
        m[f"{v}_rps"] = med(vals("cpu", "rps", v))
        m[f"{v}_n"] = len(vals("cpu", "cpu_us_per_req", v))
    off, on = m["shield_off_cpu_us_per_req"], m["shield_on_cpu_us_per_req"]
    m["shield_ratio"] = round(on / off, 4) if off and on else None
    m["shield_delta_us"] = round(on - off, 3) if off and on else None
    # the same ratio per round (each round pairs A-B-B-A runs), as a spread indicator
    per_round = []
    for rnd in sorted({r["round"] for r in runs if r["part"] == "cpu"}):
        a = med([r["cpu_us_per_req"] for r in runs if r["part"] == "cpu" and r["round"] == rnd
                 and r.get("variant") == "shield_off" and not r.get("discarded")
                 and "error" not in r])
        b = med([r["cpu_us_per_req"] for r in runs if r["part"] == "cpu" and r["round"] == rnd
                 and r.get("variant") == "shield_on" and not r.get("discarded")
                 and "error" not in r])
        if a and b:
            per_round.append(round(b / a, 4))
    m["shield_ratio_per_round"] = per_round
    if watch.get("wired") and m["watch_off_cpu_us_per_req"] and off:
        m["watch_ratio"] = round(off / m["watch_off_cpu_us_per_req"], 4)
    for k in ("refused_per_s", "cpu_us_per_refusal", "bystander_max_ms"):
        m[k] = med(vals("bans", k))
    m["bans_n"] = len(vals("bans", "refused_per_s"))
    m["answered_while_banned"] = sum(r.get("answered", 0) for r in runs if r["part"] == "bans")
    m["bystander_200"] = sum(r.get("bystander_200", 0) for r in runs if r["part"] == "bans")
    m["bystander_total"] = sum(r.get("bystander_total", 0) for r in runs if r["part"] == "bans")
    for k in ("load_to_desired_s", "load_to_healthy_s", "load_to_serving_s", "load_to_answer_s"):
        m[k] = med(vals("scaleout", k))
    m["scaleout_n"] = len(vals("scaleout", "load_to_serving_s"))
    m["refresh_s"] = med(vals("refresh", "refresh_s"))
    m["refresh_errors"] = med(vals("refresh", "errors"))
    m["refresh_errors_max"] = max(vals("refresh", "errors"), default=None)
    m["refresh_n"] = len(vals("refresh", "errors"))
    return m


def fmt(v, spec):
    return "-" if v is None else format(v, spec)


def verdict(ok):
    return "met" if ok else "NOT met"


def render(m, watch, parts):
    rows = [("figure (median)", "value", "runs", "target")]
    if "shield" in parts:
        rows += [
            ("tierd CPU us/request, shield off", fmt(m["shield_off_cpu_us_per_req"], ".2f"),
             str(m["shield_off_n"]), ""),
            ("tierd CPU us/request, shield on", fmt(m["shield_on_cpu_us_per_req"], ".2f"),
             str(m["shield_on_n"]), ""),
            ("shield on / off", fmt(m["shield_ratio"], ".3f") + "x" if m["shield_ratio"] else "-",
             "", "< 1.05x: " + verdict(m["shield_ratio"] is not None
                                      and m["shield_ratio"] < TARGETS["shield_ratio"])
             if m["shield_ratio"] else "-"),
            ("requests/s, shield off / on", f"{fmt(m['shield_off_rps'], ',.0f')} / "
             f"{fmt(m['shield_on_rps'], ',.0f')}", "", ""),
        ]
    if "watch" in parts:
        if watch.get("wired") is None:
            rows.append(("watch", "not probed", "", ""))
        elif not watch["wired"]:
            rows.append(("watch", "not wired yet", "", "skipped"))
        elif m.get("watch_ratio"):
            rows.append(("metrics on / off", fmt(m["watch_ratio"], ".3f") + "x", "",
                         "< 1.03x: " + verdict(m["watch_ratio"] < TARGETS["watch_ratio"])))
        else:
            rows.append(("tierd CPU us/request, metrics on", fmt(m["shield_off_cpu_us_per_req"],
                                                                ".2f"),
                         str(m["shield_off_n"]), "no way to disable the watch: on only"))
    if "bans" in parts:
        rows += [
            (f"refusals/s from banned {BANNED}", fmt(m["refused_per_s"], ",.0f"),
             str(m["bans_n"]), ""),
            ("tierd CPU us/refusal", fmt(m["cpu_us_per_refusal"], ".2f"), str(m["bans_n"]), ""),
            ("answers to the banned address", str(m["answered_while_banned"]), "", "0: "
             + verdict(m["answered_while_banned"] == 0)),
            (f"{BYSTANDER} meanwhile: 200s", f"{m['bystander_200']}/{m['bystander_total']}",
             "", "all: " + verdict(m["bystander_total"] > 0
                                   and m["bystander_200"] == m["bystander_total"])),
        ]
    if "scaleout" in parts:
        rows += [
            ("load step -> desired capacity raised s", fmt(m["load_to_desired_s"], ".2f"),
             str(m["scaleout_n"]), ""),
            ("load step -> 3rd target healthy s", fmt(m["load_to_healthy_s"], ".2f"),
             str(m["scaleout_n"]), ""),
            ("load step -> new instance serving s", fmt(m["load_to_serving_s"], ".2f"),
             str(m["scaleout_n"]), "< 5 s: " + verdict(m["load_to_serving_s"] is not None
                                                      and m["load_to_serving_s"]
                                                      < TARGETS["scaleout_s"])),
            ("load step -> probe answered by new instance s", fmt(m["load_to_answer_s"], ".2f"),
             str(m["scaleout_n"]), ""),
        ]
    if "refresh" in parts:
        rows += [
            ("instance refresh duration s", fmt(m["refresh_s"], ".2f"), str(m["refresh_n"]), ""),
            ("errors during refresh (non-2xx+socket)", fmt(m["refresh_errors"], ".0f")
             + (f" (max {m['refresh_errors_max']})" if m["refresh_errors_max"] else ""),
             str(m["refresh_n"]), "0: " + verdict(m["refresh_errors_max"] == 0
                                                  and m["refresh_n"] > 0)),
        ]
    w = [max(len(r[i]) for r in rows) for i in range(4)]
    line = "|" + "|".join("-" * (x + 2) for x in w) + "|"
    out = []
    for n, r in enumerate(rows):
        out.append("| " + " | ".join(c.ljust(w[i]) for i, c in enumerate(r)) + " |")
        if n == 0:
            out.append(line)
    return "\n".join(out)


def progress(run):
    if "error" in run:
        s = f"ERROR {run['error']}"
    elif run["part"] == "cpu":
        s = (f"{run['variant']:10s} {run['rps']:,.0f} req/s {run['cpu_us_per_req']:.2f} us/req "
             f"(tierd {run['cpu_util'] * 100:.0f}% of a core, others {run['other_cores']:.2f}"
             f"{' NOISY' if run.get('noisy') else ''})")
    elif run["part"] == "bans":
        s = (f"{run['refused_per_s']:,.0f} refusals/s {fmt(run['cpu_us_per_refusal'], '.2f')} "
             f"us/refusal (tierd {run['cpu_util'] * 100:.0f}%), answered {run['answered']}, "
             f"{BYSTANDER} {run['bystander_200']}/{run['bystander_total']} x 200")
    elif run["part"] == "scaleout":
        s = (f"desired raised {fmt(run['load_to_desired_s'], '.2f')} s, healthy "
             f"{fmt(run['load_to_healthy_s'], '.2f')} s, serving (requests > 0) "
             f"{fmt(run['load_to_serving_s'], '.2f')} s, probe answered by {run['new_instance']} "
             f"{fmt(run['load_to_answer_s'], '.2f')} s")
    else:
        s = (f"{run['status']} in {fmt(run['refresh_s'], '.2f')} s; {run['requests']:,} requests"
             f", {run['non2xx']} non-2xx, {run['socket_errors']} socket errors; desired after "
             f"{run['desired_after']}")
    print(f"tierd-bench: round {run['round']} {run['part']:8s} {s}", flush=True)


def main(argv):
    a = parse_args(argv)
    b = Bench(a)
    results = {
        "started": time.strftime("%Y-%m-%dT%H:%M:%S%z"),
        "host": {"cpus": os.cpu_count(), "kernel": platform.release(),
                 "loadavg_start": open("/proc/loadavg").read().split()[:3]},
        "config": {"rounds": a.rounds, "cpu_duration_s": a.cpu_duration,
                   "connections": a.connections, "refuse_duration_s": a.refuse_duration,
                   "refuse_threads": a.refuse_threads, "refresh_load_s": a.refresh_load,
                   "parts": a.parts, "pinning": "tierd on CPU 1; backend, wrk, refusebench on "
                   "CPU 0 (CPU and ban parts); fleet parts unpinned" if b.pin else "none",
                   "rate_limit": f"{RATE_LIMIT}/60s", "targets": TARGETS},
        "runs": [], "commands": b.commands,
    }
    t_start = time.monotonic()

    def on_term(signum, frame):
        raise KeyboardInterrupt

    signal.signal(signal.SIGTERM, on_term)
    signal.signal(signal.SIGINT, signal.default_int_handler)
    for exe in (b.tierd, b.app):
        if not os.access(exe, os.X_OK):
            print(f"tierd-bench: {exe} missing or not executable", file=sys.stderr)
            return 1
    try:
        if "bans" in a.parts:
            b.build_refusebench()
        if {"shield", "watch", "bans"} & set(a.parts):
            b.start_backend()
        for rnd in range(1, a.rounds + 1):
            if rnd > 1 and time.monotonic() - t_start > a.budget:
                print(f"tierd-bench: {a.budget} s budget used; no round {rnd}", flush=True)
                results["budget_stopped_after_round"] = rnd - 1
                break
            if {"shield", "watch"} & set(a.parts):
                variants = ["shield_off", "shield_on"] if "shield" in a.parts else ["shield_off"]
                order = (variants + variants[::-1]) * a.cpu_pairs   # A-B-B-A ...
                if rnd % 2 == 0:
                    order = order[::-1]
                for i, v in enumerate(order):
                    for attempt in range(1 + a.noisy_retries):
                        run = b.cpu_run(v, rnd)
                        results["runs"].append(run)
                        again = run.get("noisy") and attempt < a.noisy_retries
                        if again:
                            run["discarded"] = "noisy; repeated"
                        progress(run)
                        if not again:
                            break
                    # once the watch is known to be wired and to have an off switch,
                    # pair every shield-off run with a watch-off run
                    if v == "shield_off" and "watch" in a.parts and b.watch_off_yaml:
                        run = b.cpu_run("watch_off", rnd)
                        results["runs"].append(run)
                        progress(run)
                if "watch" in a.parts and rnd == 1 and b.watch.get("wired") is False:
                    print("tierd-bench: watch: not wired yet (GET /metrics on the control "
                          f"socket answered {b.watch.get('metrics_status')}); skipped",
                          flush=True)
            if "bans" in a.parts:
                run = b.bans_run(rnd)
                results["runs"].append(run)
                progress(run)
            if "scaleout" in a.parts:
                run = b.scaleout_run(rnd)
                results["runs"].append(run)
                progress(run)
            if "refresh" in a.parts:
                run = b.refresh_run(rnd)
                results["runs"].append(run)
                progress(run)
    except KeyboardInterrupt:
        print("tierd-bench: interrupted; stopping everything", file=sys.stderr)
        results["interrupted"] = True
    except StartError as e:
        print(f"tierd-bench: {e}", file=sys.stderr)
        results["error"] = str(e)
    finally:
        b.procs.stop_all()
        left = b.reap_instances(b.instance_pids)
        if left:
            results["instances_left_running"] = left
            print(f"tierd-bench: fleet instances still running after tierd stopped: {left} "
                  "(killed)", file=sys.stderr)
    results["elapsed_s"] = round(time.monotonic() - t_start, 1)
    results["host"]["loadavg_end"] = open("/proc/loadavg").read().split()[:3]
    results["watch"] = b.watch
    m = summarize(results["runs"], b.watch)
    results["medians"] = m
    table = render(m, b.watch, a.parts)
    results["table"] = table
    path = os.path.join(b.out, "tierd_results.json")
    with open(path, "w") as f:
        json.dump(results, f, indent=2)
    print()
    print("commands:")
    for c in b.commands:
        print("  " + c)
    print()
    print(table)
    if "shield" in a.parts and m["shield_ratio_per_round"]:
        print(f"\nshield on/off per round: {m['shield_ratio_per_round']}")
    noisy = [r for r in results["runs"] if r.get("noisy") and not r.get("discarded")]
    if noisy:
        print(f"noisy runs kept: {len(noisy)} (other processes > 0.25 cores)")
    errs = [r for r in results["runs"] if "error" in r]
    for r in errs:
        print(f"error: round {r['round']} {r['part']} {r.get('variant', '')}: {r['error']}")
    print(f"\nraw numbers: {path}  (elapsed {results['elapsed_s']} s)")
    if results.get("interrupted"):
        return 130
    return 1 if results.get("error") else 0


if __name__ == "__main__":
    sys.exit(main(sys.argv[1:]))

#!/usr/bin/python3
"""Scale-out with a slow-starting app: the time from a load step to a new instance answering
through tierd, when the app needs 0.3 s to listen (tests/e2e/fleet/slowapp.py, a Python
http.server app, as real apps are). Issue 11's target: under 5 s.

    /usr/bin/python3 bench/scaleout.py --tierd build/tierd [--runs 3] [--listen-after 0.3]

Each run starts tierd on a fresh stack: one group of the slow app (min 1, max 3, ELB health,
grace 10 s), target tracking on request_count_per_target (target 50/s), health checks every
5 s with healthy_threshold 2. Once the first instance serves, wrk steps the load up; the
script polls every 50 ms for (a) the desired capacity raised, (b) a new target healthy,
(c) a request through tierd answered by an instance that was not there before. It prints
each run and the medians, and writes <out>/scaleout.json. Only 127.0.0.1 is used; tierd
stops its instances on SIGTERM, and every process left is killed by process group.
"""

import argparse
import http.client
import json
import os
import signal
import socket
import statistics
import subprocess
import sys
import tempfile
import time

sys.dont_write_bytecode = True

HERE = os.path.dirname(os.path.abspath(__file__))
SLOWAPP = os.path.join(os.path.dirname(HERE), "tests", "e2e", "fleet", "slowapp.py")
TARGET_S = 5.0


class UnixHTTPConnection(http.client.HTTPConnection):
    def __init__(self, path, timeout):
        super().__init__("tierd", timeout=timeout)
        self.path = path

    def connect(self):
        self.sock = socket.socket(socket.AF_UNIX, socket.SOCK_STREAM)
        self.sock.settimeout(self.timeout)
        self.sock.connect(self.path)


def api(sock, path):
    """(status, JSON) of a GET on the control socket."""
    c = UnixHTTPConnection(sock, 5.0)
    try:
        c.request("GET", path)
        r = c.getresponse()
        return r.status, json.loads(r.read() or b"{}")
    finally:
        c.close()


def get(port):
    """(status, X-Instance) of GET / on a new connection."""
    c = http.client.HTTPConnection("127.0.0.1", port, timeout=3)
    try:
        c.request("GET", "/")
        r = c.getresponse()
        r.read()
        return r.status, r.getheader("X-Instance")
    finally:
        c.close()


def free_port():
    with socket.socket() as s:
        s.bind(("127.0.0.1", 0))
        return s.getsockname()[1]


def stack(port, d, listen_after):
    return f"""# written by bench/scaleout.py
listeners:
  - name: public
    address: 127.0.0.1:{port}
    rules:
      - forward: web
target_groups:
  web:
    health_check: {{ path: /health, interval: 5s, timeout: 2s, healthy_threshold: 2 }}
    deregistration_delay: 2s
launch_templates:
  app:
    command: [/usr/bin/python3, {SLOWAPP}, --listen-after, "{listen_after}"]
    stop_timeout: 5s
auto_scaling_groups:
  web:
    launch_template: app
    target_group: web
    min_size: 1
    max_size: 3
    health_check_type: elb
    health_check_grace_period: 10s
    scaling_policies:
      - name: rps-50
        target_tracking: {{ metric: request_count_per_target, target_value: 50 }}
state_dir: {d}/state
control: {{ socket: {d}/tierd.sock }}
"""


def stop(p, grace):
    if p is None or p.poll() is not None:
        return
    try:
        p.send_signal(signal.SIGTERM)
        p.wait(grace)
    except subprocess.TimeoutExpired:
        pass
    try:
        os.killpg(p.pid, signal.SIGKILL)
    except (ProcessLookupError, PermissionError):
        pass
    p.wait(10)


def one_run(a, n):
    d = tempfile.mkdtemp(prefix="tierd-scaleout-")
    port = free_port()
    sock = os.path.join(d, "tierd.sock")
    path = os.path.join(d, "stack.yaml")
    with open(path, "w") as f:
        f.write(stack(port, d, a.listen_after))
    log = open(os.path.join(d, "tierd.log"), "wb")
    p = subprocess.Popen([a.tierd, "run", path], stdout=log, stderr=subprocess.STDOUT,
                         stdin=subprocess.DEVNULL, cwd=d, start_new_session=True)
    w = None
    run = {"run": n, "dir": d}
    try:
        # Ready: one instance InService whose answer came through tierd.
        deadline = time.monotonic() + 30
        first = None
        while first is None:
            if p.poll() is not None or time.monotonic() > deadline:
                raise RuntimeError(f"the first instance did not serve; see {d}/tierd.log")
            try:
                st, first = get(port)
                first = first if st == 200 else None
            except (OSError, http.client.HTTPException):
                pass
            time.sleep(0.1)
        st, body = api(sock, "/v1/targets")
        before = {t["address"] for t in body.get("targets", [])}
        time.sleep(1)                   # a second of samples at the light probe load
        t0 = time.monotonic()
        w = subprocess.Popen(["wrk", "-t1", "-c8", "-d30s", f"http://127.0.0.1:{port}/"],
                             stdout=subprocess.DEVNULL, stderr=subprocess.DEVNULL,
                             start_new_session=True)
        t_desired = t_healthy = t_answer = None
        while time.monotonic() - t0 < 30 and t_answer is None:
            now = time.monotonic() - t0
            if t_desired is None:
                st, g = api(sock, "/v1/auto-scaling-groups")
                if any(x["desired_capacity"] > 1 for x in g.get("auto_scaling_groups", [])):
                    t_desired = now
            if t_healthy is None:
                st, tg = api(sock, "/v1/targets")
                if any(t["address"] not in before and t["state"] == "healthy"
                       for t in tg.get("targets", [])):
                    t_healthy = time.monotonic() - t0
            if t_healthy is not None:
                try:
                    st, inst = get(port)
                    if st == 200 and inst and inst != first:
                        t_answer = time.monotonic() - t0
                except (OSError, http.client.HTTPException):
                    pass
            time.sleep(0.05)
        run.update(load_to_desired_s=t_desired, load_to_healthy_s=t_healthy,
                   load_to_answer_s=t_answer)
    finally:
        stop(w, 2)
        stop(p, 20)
        log.close()
    return run


def main(argv):
    ap = argparse.ArgumentParser(description="scale-out time with a slow-starting app")
    ap.add_argument("--tierd", default="build/tierd")
    ap.add_argument("--runs", type=int, default=3)
    ap.add_argument("--listen-after", type=float, default=0.3)
    ap.add_argument("--out", default="build/bench")
    a = ap.parse_args(argv)
    a.tierd = os.path.abspath(a.tierd)
    runs = []
    for n in range(1, a.runs + 1):
        r = one_run(a, n)
        runs.append(r)
        print(f"run {n}: " + ", ".join(f"{k}={v:.2f}" if isinstance(v, float) else f"{k}={v}"
                                        for k, v in r.items() if k != "dir"), flush=True)
    med = {}
    for k in ("load_to_desired_s", "load_to_healthy_s", "load_to_answer_s"):
        vals = [r[k] for r in runs if r.get(k) is not None]
        med[k] = round(statistics.median(vals), 2) if len(vals) == len(runs) else None
    ok = med["load_to_answer_s"] is not None and med["load_to_answer_s"] < TARGET_S
    print(f"scale-out with a {a.listen_after} s app, median of {len(runs)}: "
          f"desired raised {med['load_to_desired_s']} s, new target healthy "
          f"{med['load_to_healthy_s']} s, new instance answering {med['load_to_answer_s']} s "
          f"(target < {TARGET_S:.0f} s: {'met' if ok else 'MISSED'})")
    os.makedirs(a.out, exist_ok=True)
    with open(os.path.join(a.out, "scaleout.json"), "w") as f:
        json.dump({"listen_after_s": a.listen_after, "runs": runs, "median": med,
                   "target_s": TARGET_S, "met": ok}, f, indent=2)
    return 0 if ok else 1


if __name__ == "__main__":
    sys.exit(main(sys.argv[1:]))

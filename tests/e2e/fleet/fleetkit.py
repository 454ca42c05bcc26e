"""
tests/e2e/fleet/fleetkit.py: helpers for the fleet scenarios: a stack whose target group
"web" is filled by the auto scaling group "web" running build/app, the fleet's control
routes, a steady Python load that records every outcome and wrk run back to back.
"""
import http.client
import json
import os
import re
import signal
import subprocess
import threading
import time
from collections import Counter

from harness import APP, TIERD, control_request, get, wait_for

APP_CMD = f'[{APP}, --listen, "127.0.0.1:$${{PORT}}", --name, "$${{INSTANCE_ID}}"]'  # $$: harness escapes


def fleet_stack(command=APP_CMD, env=None, min_size=2, max_size=4, policies="",
                refresh="{ min_healthy_percentage: 50, instance_warmup: 1s, "
                        "auto_rollback: true }", warmup="0s"):
    text = ("listeners:\n  - name: public\n    address: ${listen}\n    rules:\n"
            "      - forward: web\n"
            "target_groups:\n  web:\n"
            "    health_check: { path: /health, interval: 5s, timeout: 2s, "
            "healthy_threshold: 2 }\n"
            "    deregistration_delay: 2s\n"
            "launch_templates:\n  app:\n"
            f"    command: {command}\n"
            "    stop_timeout: 5s\n")
    if env:
        text += "    env: { " + ", ".join(f"{k}: {v}" for k, v in env.items()) + " }\n"
    text += ("auto_scaling_groups:\n  web:\n    launch_template: app\n    target_group: web\n"
             f"    min_size: {min_size}\n    max_size: {max_size}\n"
             "    health_check_type: elb\n    health_check_grace_period: 5s\n"
             f"    default_instance_warmup: {warmup}\n"
             f"    instance_refresh: {refresh}\n")
    if policies:
        text += "    scaling_policies:\n" + policies
    return text + "state_dir: ${dir}/state\ncontrol: { socket: ${dir}/tierd.sock }\n"


def sock_path(t):
    return os.path.join(t.dir, "tierd.sock")


def api(t, method, path):
    """(status, JSON) of one request over the control socket."""
    status, _, body = control_request(sock_path(t), method, path)
    return status, json.loads(body)


def group(t, name="web"):
    st, doc = api(t, "GET", "/v1/auto-scaling-groups")
    assert st == 200, doc
    return {g["name"]: g for g in doc["auto_scaling_groups"]}[name]


def instances(t, name="web"):
    st, doc = api(t, "GET", f"/v1/auto-scaling-groups/{name}/instances")
    assert st == 200, doc
    return doc["instances"]


def in_service(t):
    """Instances InService and Healthy, by id."""
    return {i["id"]: i for i in instances(t)
            if i["state"] == "InService" and i["health"] == "Healthy"}


def cli(t, *args, timeout=30):
    return subprocess.run([TIERD, *args, "--socket", sock_path(t)], capture_output=True,
                          text=True, timeout=timeout)


def wait_serving(t, n, timeout=30):
    """Waits until n instances are InService and each of them has answered through the
    edge; returns their ids."""
    def ready():
        ids = set(in_service(t))
        if len(ids) != n:
            return None
        seen = {get(t.url("/")).header("X-Instance") for _ in range(4 * n)}
        return ids if ids <= seen else None
    return wait_for(ready, timeout, interval=0.2, what=f"{n} instances serving")


class Load:
    """GET / in `threads` threads (each request on a new connection, ~`rate` a second in
    all) until stopped; .outcomes counts X-Instance of each 200, or "status N"/"error E"."""

    def __init__(self, t, threads=2, rate=40, path="/"):
        self.t, self.path, self.threads, self.pause = t, path, threads, threads / rate
        self.outcomes = Counter()
        self.failures = []
        self.stop_ev = threading.Event()
        self.lock = threading.Lock()
        self.workers = []

    def _run(self):
        while not self.stop_ev.is_set():
            try:
                r = get(self.t.url(self.path), timeout=10)
                k = r.header("X-Instance") if r.status == 200 else f"status {r.status}"
            except (OSError, http.client.HTTPException) as e:
                k = f"error {type(e).__name__}"
            with self.lock:
                self.outcomes[k] += 1
                if k.startswith(("status", "error")):
                    self.failures.append((time.monotonic(), k))
            time.sleep(self.pause)

    def __enter__(self):
        for _ in range(self.threads):
            th = threading.Thread(target=self._run, daemon=True)
            th.start()
            self.workers.append(th)
        return self

    def __exit__(self, *exc):
        self.stop_ev.set()
        for th in self.workers:
            th.join(30)
        return False


class WrkLoop:
    """wrk run back to back in 5 s pieces until stopped; .totals sums requests, non-2xx
    and socket errors over all pieces."""

    def __init__(self, url, threads=2, conns=8, piece="5s"):
        self.argv = ["wrk", f"-t{threads}", f"-c{conns}", f"-d{piece}", "--timeout", "5s", url]
        self.totals = Counter()
        self.outputs = []
        self.stop_ev = threading.Event()
        self.thread = None

    def _run(self):
        while not self.stop_ev.is_set():
            p = subprocess.run(self.argv, capture_output=True, text=True, timeout=60)
            out = p.stdout + p.stderr
            self.outputs.append(out)
            m = re.search(r"Non-2xx or 3xx responses:\s*(\d+)", out)
            self.totals["non2xx"] += int(m.group(1)) if m else 0
            m = re.search(r"Socket errors: connect (\d+), read (\d+), write (\d+), "
                          r"timeout (\d+)", out)
            self.totals["socket_errors"] += sum(int(x) for x in m.groups()) if m else 0
            m = re.search(r"(\d+) requests in", out)
            self.totals["requests"] += int(m.group(1)) if m else 0
            self.totals["runs"] += 1
            self.totals["exit_failures"] += p.returncode != 0

    def __enter__(self):
        self.thread = threading.Thread(target=self._run, daemon=True)
        self.thread.start()
        return self

    def __exit__(self, *exc):
        self.stop_ev.set()
        self.thread.join(70)
        return False


def reload_rendered(t, text):
    """Writes `text` (already rendered: t.text with edits) as the stack file and sends
    SIGHUP. (t.reload() would render it again, and the template's ${PORT} with it.)"""
    with open(t.path + ".tmp", "w") as f:
        f.write(text)
    os.replace(t.path + ".tmp", t.path)
    t.signal(signal.SIGHUP)

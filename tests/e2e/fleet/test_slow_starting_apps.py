"""Apps that take 0.3 s, 2 s and 8 s to listen (slowapp.py, grace period 10 s, health
checks every 5 s), each the only instance of its group, under traffic from the first
millisecond of the instances (from when the groups have launched them; before that a group
has no target and answers 503 at once, as an empty ALB group does): no instance is ever
replaced, and once a group has answered 200, every later
request to it is answered 200 too. The 0.3 s and 2 s apps start within the group's
initial_wait (5 s), so every request to them, the earliest included, is answered 200: they
wait instead of failing. The 8 s app's earliest requests get 503 with Retry-After once
initial_wait has passed, never 502: its probes failed to connect, so it turned unhealthy
without ever answering, and the group keeps waiting for it instead of failing open to a
port nobody listens on; every request sent within initial_wait of its first answer
waits for it and gets 200."""
import http.client
import os
import threading
import time

from harness import Tierd, get, wait_for
from fleetkit import instances

SLOWAPP = os.path.join(os.path.dirname(os.path.abspath(__file__)), "slowapp.py")
APPS = {"a": 0.3, "b": 2, "c": 8}


def slow_stack():
    text = "listeners:\n"
    for name in APPS:
        listen = "listen" if name == "a" else f"listen_{name}"
        text += (f"  - name: l{name}\n    address: ${{{listen}}}\n"
                 f"    rules:\n      - forward: {name}\n")
    text += "target_groups:\n"
    for name in APPS:
        text += (f"  {name}:\n"
                 "    health_check: { path: /health, interval: 5s, timeout: 2s, "
                 "healthy_threshold: 2 }\n"
                 "    deregistration_delay: 1s\n")
    text += "launch_templates:\n"
    for name, after in APPS.items():
        text += (f"  {name}:\n"
                 f"    command: [/usr/bin/python3, {SLOWAPP}, "
                 f"--listen-after, \"{after}\"]\n"
                 "    stop_timeout: 2s\n")
    text += "auto_scaling_groups:\n"
    for name in APPS:
        text += (f"  {name}:\n    launch_template: {name}\n    target_group: {name}\n"
                 "    min_size: 1\n    max_size: 1\n"
                 "    health_check_type: elb\n    health_check_grace_period: 10s\n")
    return text + "state_dir: ${dir}/state\ncontrol: { socket: ${dir}/tierd.sock }\n"


class Traffic:
    """Requests to one URL back to back in `threads` threads (each on a new connection)
    until stopped; .log holds (time sent, time answered, outcome) in the order they were
    answered, the outcome being 200, another status, or "error E"; .served the X-Instance
    of every 200."""

    def __init__(self, url, threads=2):
        self.url, self.log, self.served, self.lock = url, [], set(), threading.Lock()
        self.stop_ev = threading.Event()
        self.workers = [threading.Thread(target=self._run, daemon=True) for _ in range(threads)]

    def _run(self):
        while not self.stop_ev.is_set():
            sent = time.monotonic()
            try:
                r = get(self.url, timeout=15)
                k = r.status
                if k == 200:
                    with self.lock:
                        self.served.add(r.header("X-Instance"))
            except (OSError, http.client.HTTPException) as e:
                k = f"error {type(e).__name__}"
            with self.lock:
                self.log.append((sent, time.monotonic(), k))
            time.sleep(0.02)

    def first_ok(self):
        with self.lock:
            return min((done for _, done, k in self.log if k == 200), default=None)

    def start(self):
        for w in self.workers:
            w.start()

    def stop(self):
        self.stop_ev.set()
        for w in self.workers:
            w.join(20)


def test_slow_starting_apps_are_never_replaced_and_serve_once_up():
    with Tierd(slow_stack()) as t:
        wait_for(lambda: all(instances(t, n) for n in APPS), 10, interval=0.005,
                 what="every group to launch its instance")
        traffic = {n: Traffic(t.url("/", listener="listen" if n == "a" else f"listen_{n}"))
                   for n in APPS}
        for tr in traffic.values():
            tr.start()
        start = time.monotonic()
        # Until every app has served for 3 s (the 8 s app takes about 9 s to pass).
        deadline = start + 30
        while time.monotonic() < deadline:
            firsts = [tr.first_ok() for tr in traffic.values()]
            if all(firsts) and time.monotonic() - max(firsts) > 3:
                break
            time.sleep(0.2)
        for tr in traffic.values():
            tr.stop()
        groups = {n: instances(t, n) for n in APPS}

    for name, tr in traffic.items():
        first = tr.first_ok()
        assert first is not None, f"{name} ({APPS[name]} s) never served: {tr.log[-5:]}"
        late = [(round(s - start, 2), k) for s, d, k in tr.log if s >= first and k != 200]
        assert not late, f"{name}: failures after its first 200: {late[:10]}"
        assert sum(1 for s, d, k in tr.log if s >= first) > 20, name
        ids = [i["id"] for i in groups[name]]
        assert len(ids) == 1 and groups[name][0]["state"] == "InService", \
            f"{name} ({APPS[name]} s) was replaced: {groups[name]}"
        # (A stranger here means another process took the port while the app slept.)
        assert tr.served == set(ids), f"{name}: answered by {tr.served}, instances {ids}"
    for name in ("a", "b"):
        failed = [(round(s - start, 2), round(d - s, 2), k) for s, d, k in traffic[name].log
                  if k != 200]
        assert not failed, f"{name} ({APPS[name]} s) failed requests while starting: {failed}"
    # The 8 s app's earliest requests waited initial_wait (5 s), then got 503, also after
    # its failed probes made it unhealthy (two, 5 s apart, from 5 s on): nothing failed
    # open to a port nobody listened on. Those sent within initial_wait of its first 200,
    # less two seconds for scheduling on a loaded machine, waited for it.
    c = traffic["c"]
    early = [(round(s - start, 2), k) for s, d, k in c.log if d < c.first_ok()]
    assert early and all(k == 503 for _, k in early), f"c before its first 200: {early[:10]}"
    waited = [(round(s - start, 2), k) for s, d, k in c.log if s >= c.first_ok() - 3]
    assert waited and all(k == 200 for _, k in waited), f"c: {waited[:10]}"
    for name, tr in traffic.items():
        print(f"{name} ({APPS[name]} s): first 200 after {tr.first_ok() - start:.2f} s, "
              f"{len(tr.log)} requests")

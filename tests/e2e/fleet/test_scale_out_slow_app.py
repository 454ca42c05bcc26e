"""Scale-out with an app that needs 0.3 s to listen (slowapp.py): a load step (wrk against a
request_count_per_target target of 50/s) has a new instance answering through tierd
within 15 s (bench/scaleout.py measures the figure, about 4 s; a tight bound here would be
flaky), the first instance is never replaced, and a light load alongside never fails."""
import os
import subprocess
import time

from harness import Tierd, wait_for
from fleetkit import Load, instances

SLOWAPP = os.path.join(os.path.dirname(os.path.abspath(__file__)), "slowapp.py")
STACK = f"""listeners:
  - name: public
    address: ${{listen}}
    rules:
      - forward: web
target_groups:
  web:
    health_check: {{ path: /health, interval: 5s, timeout: 2s, healthy_threshold: 2 }}
    deregistration_delay: 1s
launch_templates:
  app:
    command: [/usr/bin/python3, {SLOWAPP}, --listen-after, "0.3"]
    stop_timeout: 2s
auto_scaling_groups:
  web:
    launch_template: app
    target_group: web
    min_size: 1
    max_size: 2
    health_check_type: elb
    health_check_grace_period: 10s
    scaling_policies:
      - name: rps-50
        target_tracking: {{ metric: request_count_per_target, target_value: 50 }}
state_dir: ${{dir}}/state
control: {{ socket: ${{dir}}/tierd.sock }}
"""


def served(load):
    """The instances that answered 200 (Load counts failures as "status N"/"error E")."""
    return {k for k in list(load.outcomes) if not k.startswith(("status ", "error "))}


def test_load_step_has_a_new_slow_instance_serving_within_15_s():
    with Tierd(STACK) as t:
        # From the instance's launch on (before it the group is empty: 503 at once).
        wait_for(lambda: instances(t), 10, interval=0.005, what="the first launch")
        first = {i["id"] for i in instances(t)}
        with Load(t, threads=1, rate=5) as light:
            wait_for(lambda: first & served(light), 15, interval=0.1,
                     what="the first instance serving")
            wrk = subprocess.Popen(["wrk", "-t1", "-c4", "-d20s", t.url("/")],
                                   stdout=subprocess.DEVNULL, stderr=subprocess.DEVNULL)
            try:
                t0 = time.monotonic()
                wait_for(lambda: served(light) - first, 15, interval=0.05,
                         what="a new instance answering after the load step")
                took = time.monotonic() - t0
            finally:
                wrk.kill()
                wrk.wait(10)
        insts = instances(t)
    assert took < 15, took
    assert first <= {i["id"] for i in insts if i["state"] == "InService"}, insts
    assert not light.failures, (light.failures[:10], light.outcomes)

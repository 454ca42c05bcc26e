"""`kill -9` of one instance under a steady light load: the group replaces it (a new
instance id InService and serving, the dead one gone from service) and no idempotent
request fails (the edge retries a GET on the other instance)."""
import os
import signal

from harness import Tierd, wait_for
from fleetkit import Load, cli, fleet_stack, in_service, wait_serving


def test_killed_instance_is_replaced_and_no_request_fails():
    with Tierd(fleet_stack(min_size=2, max_size=2)) as t:
        ids = wait_serving(t, 2)
        with Load(t, rate=40) as load:
            wait_for(lambda: sum(load.outcomes.values()) > 20, 10, what="the load to run")
            victim = sorted(ids)[0]
            os.kill(in_service(t)[victim]["pid"], signal.SIGKILL)
            now = wait_serving(t, 2, timeout=40)
            wait_for(lambda: (set(now) - ids) & set(load.outcomes), 10,
                     what="the replacement serving")
        assert victim not in now and len(set(now) - ids) == 1
        assert not load.failures, (load.failures[:10], load.outcomes)
        p = cli(t, "instances", "web")
        assert p.returncode == 0, p.stderr
        rows = [line.split() for line in p.stdout.splitlines()[1:]]
        assert sum(1 for r in rows if r[2] == "InService") == 2, p.stdout

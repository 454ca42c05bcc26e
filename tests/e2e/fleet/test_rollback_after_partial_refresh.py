"""A rollback after part of the group was replaced: 4 instances of version 1 (build/app);
version 2 (slowapp.py, listening after 0.3 s) passes its health checks in its first batch of
two and fails them in the second (an instance among the first two to start is healthy,
later ones answer /health with 500). The refresh serves from version 2 for a while, then
fails and rolls back: it ends exactly RollbackSuccessful (from 2 back to 1), the group is
back at 4 version-1 instances InService, not one request fails on the way, and at no time
are fewer than 4 instances InService and Healthy (launch before terminate, the rollback
included: the failing instance that never served is stopped, not a serving one)."""
import json
import os
import threading

from harness import Tierd, wait_for
from fleetkit import (Load, cli, fleet_stack, group, in_service, instances, reload_rendered,
                      wait_serving)

SLOWAPP = os.path.join(os.path.dirname(os.path.abspath(__file__)), "slowapp.py")


def test_rollback_after_a_partly_replaced_group_restores_the_old_version():
    with Tierd(fleet_stack(min_size=4, max_size=4)) as t:
        v1 = wait_serving(t, 4)
        slots = os.path.join(t.dir, "slots")
        os.mkdir(slots)
        capacity, stop = [], threading.Event()

        def sample():
            while not stop.is_set():
                capacity.append(len(in_service(t)))
                stop.wait(0.1)
        sampler = threading.Thread(target=sample, daemon=True)
        sampler.start()
        with Load(t, rate=40) as load:
            old = "command: [" + t.text.split("command: [")[1].split("]")[0] + "]"
            new = (f"command: [/usr/bin/python3, {SLOWAPP}, --listen-after, \"0.3\", "
                   f"--healthy-first, \"2\", --slots, {slots}]")
            reload_rendered(t, t.text.replace(old, new))
            wait_for(lambda: group(t)["version"] == 2, 15, what="version 2")

            def status():
                p = cli(t, "refresh", "status", "web", "--json")
                return json.loads(p.stdout) if p.returncode == 0 else None

            def ended():
                s = status()
                return s if s and s["status"] not in ("Pending", "InProgress",
                                                      "RollbackInProgress") else None
            s = wait_for(ended, 90, interval=0.5, what="the refresh to fail and roll back")
            # Back at full capacity on version 1, its replacements serving.
            now = wait_serving(t, 4, timeout=30)
        stop.set()
        sampler.join(10)
        assert s["status"] == "RollbackSuccessful", s
        assert s["from_version"] == 2 and s["to_version"] == 1, s
        by_id = {i["id"]: i for i in instances(t)}
        assert {by_id[i]["version"] for i in now} == {1}, [by_id[i] for i in now]
        assert len(set(now) - v1) == 2, (v1, now)   # the two version 1 replaced, relaunched
        # The first batch of version 2 did take traffic before the rollback.
        v2 = {i for i, inst in by_id.items() if inst["version"] == 2}
        assert len(v2) >= 3, by_id                  # both batches launched
        assert len(v2 & set(load.outcomes)) == 2, load.outcomes
        assert not load.failures, (load.failures[:10], load.outcomes)
        assert len(capacity) > 50 and min(capacity) >= 4, capacity
        assert set(in_service(t)) == set(now)

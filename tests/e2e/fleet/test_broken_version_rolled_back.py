"""A broken new version (its command, /bin/false, exits at start) is never given traffic:
the refresh fails and rolls back, ending exactly RollbackSuccessful (from version 2 back
to 1), and every response during and after it comes from the version-1 instances."""
import json
import time

from harness import Tierd, wait_for
from fleetkit import (Load, cli, fleet_stack, group, in_service, instances, reload_rendered,
                      wait_serving)

TERMINAL = ("RollbackSuccessful", "RollbackFailed", "Failed")


def test_broken_version_rolls_back_and_never_takes_traffic():
    with Tierd(fleet_stack()) as t:
        v1 = wait_serving(t, 2)
        assert {i["version"] for i in instances(t)} == {1}
        with Load(t, rate=40) as load:
            old = "command: [" + t.text.split("command: [")[1].split("]")[0] + "]"
            reload_rendered(t, t.text.replace(old, "command: [/bin/false]"))
            wait_for(lambda: group(t)["version"] == 2, 15, what="version 2")

            def ended():
                p = cli(t, "refresh", "status", "web", "--json")
                if p.returncode != 0:
                    return None
                s = json.loads(p.stdout)
                return s if s["status"] in TERMINAL else None
            s = wait_for(ended, 60, interval=0.5, what="the refresh to fail and roll back")
            time.sleep(2)
        # A rollback is reported as the way back: from the broken version to the old one.
        assert s["status"] == "RollbackSuccessful", s
        assert s["from_version"] == 2 and s["to_version"] == 1, s
        served = set(load.outcomes)
        assert served <= v1, f"responses not from version 1: {served - v1} ({load.outcomes})"
        assert not load.failures, load.failures[:10]
        assert set(in_service(t)) == v1

"""Instance refresh under a steady wrk load, zero non-2xx and zero socket errors: first
`tierd refresh start web` (replaces every instance with the same version), then a changed
template env and SIGHUP, which makes version 2 and rolls it out; both end Successful and
every instance runs the version the refresh went to."""
import time

from harness import Tierd, wait_for
from fleetkit import (WrkLoop, cli, fleet_stack, group, instances, reload_rendered,
                      wait_serving)


def refresh_status(t):
    p = cli(t, "refresh", "status", "web")
    assert p.returncode == 0, p.stderr
    return dict(line.split(None, 1) if "  " not in line else
                (line[:20].strip(), line[20:].strip()) for line in p.stdout.splitlines())


def wait_successful(t, timeout=60):
    def done():
        s = refresh_status(t)
        assert s["status"] not in ("Failed", "Cancelled", "RollbackInProgress",
                                   "RollbackSuccessful", "RollbackFailed"), s
        return s if s["status"] == "Successful" else None
    return wait_for(done, timeout, interval=0.5, what="the refresh to succeed")


def test_refresh_and_new_version_under_load_without_errors():
    with Tierd(fleet_stack(env={"GREETING": "one"})) as t:
        v1 = wait_serving(t, 2)
        with WrkLoop(t.url("/"), threads=2, conns=8) as w:
            time.sleep(1)
            p = cli(t, "refresh", "start", "web")
            assert p.returncode == 0, p.stderr
            assert "from version         1" in p.stdout and "to version           1" in p.stdout
            s = wait_successful(t)
            assert s["percent complete"] == "100" and s["instances to update"] == "0"
            replaced = wait_serving(t, 2)
            assert not replaced & v1

            reload_rendered(t, t.text.replace("GREETING: one", "GREETING: two"))
            wait_for(lambda: group(t)["version"] == 2, 15, what="version 2")
            wait_for(lambda: refresh_status(t)["to version"] == "2", 15,
                     what="a refresh to version 2")
            s = wait_successful(t)
            assert s["from version"] == "1" and s["to version"] == "2"
            v2 = wait_serving(t, 2)
            time.sleep(1)
        assert w.totals["exit_failures"] == 0, w.outputs[-1:]
        assert w.totals["non2xx"] == 0 and w.totals["socket_errors"] == 0, w.outputs
        assert w.totals["requests"] > 1000
        assert {i["version"] for i in instances(t) if i["id"] in v2} == {2}
        assert group(t)["refresh_status"] == "Successful"

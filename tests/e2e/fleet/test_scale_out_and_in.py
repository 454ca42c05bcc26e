"""Target tracking on CPU: the group starts min_size instances that serve; a CPU load step
(wrk -t2 -c8 on /work?ms=20, against a 30 % target) scales out to more InService
instances that take traffic; once the load is gone the group scales back in to min_size
within ~90 s (scale-in needs 60 s of low load). Not one request fails throughout."""
import time

from harness import Tierd, wait_for
from fleetkit import Load, WrkLoop, fleet_stack, group, in_service, wait_serving

POLICY = ("      - name: cpu-30\n"
          "        target_tracking: { metric: cpu_utilization, target_value: 30 }\n")


def test_cpu_load_scales_out_then_back_in_without_a_failed_request():
    with Tierd(fleet_stack(min_size=1, max_size=3, policies=POLICY)) as t:
        first = wait_serving(t, 1)
        assert group(t)["desired_capacity"] == 1

        with Load(t, rate=20) as light:
            with WrkLoop(t.url("/work?ms=20"), threads=2, conns=8) as w:
                grown = wait_for(lambda: len(in_service(t)) >= 2 and in_service(t), 45,
                                 interval=0.5, what="scale-out under CPU load")
                assert group(t)["desired_capacity"] >= 2
                # The new instances take traffic.
                new = set(grown) - first
                wait_for(lambda: new & set(light.outcomes), 15, what="a new instance serving")
            assert w.totals["runs"] >= 1 and w.totals["exit_failures"] == 0, w.outputs[-1:]
            assert w.totals["non2xx"] == 0 and w.totals["socket_errors"] == 0, w.outputs
            assert w.totals["requests"] > 100
            unloaded = time.monotonic()
            wait_for(lambda: group(t)["desired_capacity"] == 1 and len(in_service(t)) == 1
                     and group(t)["terminating"] == 0, 100, interval=1,
                     what="scale-in back to min_size")
            took = time.monotonic() - unloaded
            time.sleep(3)       # requests to the removed instances have drained
        assert 55 < took < 95, f"scaled in {took:.0f}s after the load stopped"
        assert not light.failures, light.failures[:10]
        assert sum(light.outcomes.values()) > 100

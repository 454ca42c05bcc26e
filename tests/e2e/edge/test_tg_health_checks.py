"""Active health checks: a target whose /health fails (wrong status) or hangs (timeout) gets
no traffic after unhealthy_threshold probes, and a restored target gets traffic again after
healthy_threshold probes."""
import time

from harness import App, Tierd, Upstream, get, instance_counts, tg_stack, wait_for

INTERVAL = 5                # the smallest interval allowed
# A generous probe timeout: under a sanitizer build on a busy 2-core machine a healthy
# target must not miss its probes, or the group fails open and the test sees the wrong thing.
HC = "{ path: /health, interval: 5s, timeout: 4s, healthy_threshold: 2, unhealthy_threshold: 2 }"
# Two intervals for the thresholds, one for the first probe's jitter and a noisy machine.
SETTLE = 2 * INTERVAL + 5


def only_instances(t, names, n=20):
    c = instance_counts(t.url("/"), n)
    return set(c) <= set(names) and sum(c.values()) == n and c


def test_failing_health_takes_a_target_out_and_back():
    with App(name="a") as a, App(name="b") as b, \
         Tierd(tg_stack([a.addr, b.addr], health_check=HC)) as t:
        # a must be healthy before it fails: initial targets are probed every 500 ms, so
        # one that never passed would come back within a second, not after two intervals.
        wait_for(lambda: set(instance_counts(t.url("/"), 10)) == {"a", "b"}, SETTLE,
                 interval=0.3, what="both targets to serve")
        time.sleep(4)       # healthy_threshold (2) initial probes, 500 ms apart, + slack
        assert get(a.url("/health/fail"), method="POST").status == 200
        assert get(a.url("/health")).status == 500
        t0 = time.monotonic()
        wait_for(lambda: only_instances(t, {"b"}), SETTLE, interval=0.3,
                 what="a (failing /health) to stop getting traffic")
        # And it stays out: a steady window, not a lucky batch.
        c = instance_counts(t.url("/"), 60)
        assert c == {"b": 60}, f"a is unhealthy but got traffic: {c}"

        assert get(a.url("/health/ok"), method="POST").status == 200
        t1 = time.monotonic()
        wait_for(lambda: instance_counts(t.url("/"), 10).get("a"), SETTLE, interval=0.3,
                 what="a (restored /health) to get traffic again")
        back = time.monotonic() - t1
        c = instance_counts(t.url("/"), 40)
        assert set(c) == {"a", "b"} and min(c.values()) >= 10, f"both healthy again: {c}"
        # Two passing probes are needed, at least one interval apart.
        assert back > INTERVAL - 1.5, f"a came back {back:.1f}s after /health/ok"
        assert time.monotonic() - t0 < 60


def test_target_that_hangs_health_is_out_by_timeout():
    with App(name="a") as a, Upstream(mode="silent") as hang, \
         Tierd(tg_stack([a.addr, hang.addr], health_check=HC,
                        edge="  timeouts: { upstream_read: 3s }\n")) as t:
        # No client traffic until the probes decided: what a request sent to the silent
        # target before then would do is not what this test is about.
        time.sleep(SETTLE - 2)
        assert hang.accepts >= 2, f"the silent target was probed {hang.accepts} times"
        c = instance_counts(t.url("/"), 40)
        assert c == {"a": 40}, f"the target that times out its probes got traffic: {c}"

"""Fail-open: when every target of a group fails its health checks, the group still sends
traffic to all of them; once one recovers, only it gets traffic."""
import time

from harness import App, Tierd, get, instance_counts, tg_stack, wait_for

HC = "{ path: /health, interval: 5s, timeout: 2s, healthy_threshold: 2, unhealthy_threshold: 2 }"


def test_all_unhealthy_fails_open_to_all():
    with App(name="a") as a, App(name="b") as b:
        for app in (a, b):
            assert get(app.url("/health/fail"), method="POST").status == 200
        with Tierd(tg_stack([a.addr, b.addr], health_check=HC)) as t:
            # Past the first probe's jitter plus two intervals: both are unhealthy now.
            time.sleep(5 + 5 + 2)
            c = instance_counts(t.url("/"), 40)
            assert set(c) == {"a", "b"} and min(c.values()) >= 10, \
                f"all unhealthy: every target must still serve: {c}"

            # The probes were running all along: b recovers and takes all the traffic.
            assert get(b.url("/health/ok"), method="POST").status == 200
            wait_for(lambda: instance_counts(t.url("/"), 20) == {"b": 20}, 5 + 5 + 5,
                     interval=0.3, what="b (restored) to take all the traffic")
            c = instance_counts(t.url("/"), 40)
            assert c == {"b": 40}, f"a is unhealthy and b healthy: {c}"

"""Draining: a target removed by a reload gets no new requests; a request in flight to it
finishes if it can within deregistration_delay, and is cut off (502 or closed) when the
delay ends, not when the target would have answered."""
import http.client
import threading
import time

from harness import App, Tierd, get, instance_counts, tg_stack


def in_thread(url, timeout=30):
    """Starts a GET in a thread; returns (thread, result dict with r/err and t_end)."""
    res = {}

    def go():
        try:
            res["r"] = get(url, timeout=timeout)
        except (OSError, http.client.HTTPException) as e:
            res["err"] = e
        res["t_end"] = time.monotonic()
    th = threading.Thread(target=go, daemon=True)
    th.start()
    return th, res


def test_removed_target_drains_then_cuts_off():
    with App(name="a") as a, App(name="b") as b:
        # b outweighs a 999:1, so the first requests all go to b.
        before = tg_stack([(a.addr, 1), (b.addr, 999)], deregistration_delay="3s")
        after = tg_stack([(a.addr, 1)], deregistration_delay="3s")
        with Tierd(before) as t:
            assert instance_counts(t.url("/"), 5) == {"b": 5}
            short, short_res = in_thread(t.url("/sleep?ms=1500"))
            long, long_res = in_thread(t.url("/sleep?ms=10000"))
            time.sleep(0.4)                 # both are at b now
            t_reload = time.monotonic()
            t.reload(after)

            # New requests go to a only, while b drains.
            time.sleep(0.3)
            c = instance_counts(t.url("/"), 20)
            assert c == {"a": 20}, f"a draining target got new requests: {c}"

            short.join(15)
            assert "err" not in short_res, f"in-flight request to b failed: {short_res['err']!r}"
            r = short_res["r"]
            assert r.status == 200 and r.header("X-Instance") == "b", r
            assert r.body == b"slept 1500 ms\n", r

            long.join(15)
            assert not long.is_alive(), "the request to the drained target was never cut off"
            took = long_res["t_end"] - t_reload
            r = long_res.get("r")
            if r is not None:
                assert r.status == 502, f"a request cut off by draining: {r}"
            # Cut off at the delay (3 s), not at once and not when b would answer (10 s).
            assert 2.5 <= took <= 3 + 3, f"cut off {took:.1f}s after the reload (delay 3s)"
            assert t.proc.poll() is None

"""The webhook receiver is down (its port closed) when the first transitions happen and
opens ~10 s later: every transition's message arrives, each exactly once. Transitions:
"always" INSUFFICIENT_DATA -> ALARM and "never" INSUFFICIENT_DATA -> OK at start (while the
receiver is down), then "traffic" (request_count on the listener, period 10 s) OK -> ALARM
on a burst of requests and ALARM -> OK once they stop. Retries reuse the MessageId; the
receiver (always answering 200 once up) acknowledges each MessageId exactly once, so no
message was delivered twice, and none is missing. The deliveries counters agree."""
import time

from harness import App, Tierd, get, wait_for
from watchkit import (Receiver, api_raw, listener_stack, no_data_alarm,
                      parse_prometheus, wait_state, webhook_topic)

TRAFFIC = ("  traffic:\n"
           "    metric: request_count\n"
           "    dimensions: { listener: public }\n"
           "    statistic: sum\n"
           "    period: 10s\n"
           "    comparison: greater_than_threshold\n"
           "    threshold: 0\n"
           "    treat_missing_data: not_breaching\n"
           "    alarm_actions: [ops]\n"
           "    ok_actions: [ops]\n")

EXPECTED = {
    ("always", "INSUFFICIENT_DATA", "ALARM"),
    ("never", "INSUFFICIENT_DATA", "OK"),
    ("traffic", "INSUFFICIENT_DATA", "OK"),
    ("traffic", "OK", "ALARM"),
    ("traffic", "ALARM", "OK"),
}


def deliveries_counters(t):
    st, _, body = api_raw(t, "GET", "/metrics")
    assert st == 200
    fams = parse_prometheus(body.decode())
    out = {s[1].get("result"): s[2] for s in fams["tierd_watch_deliveries_total"]["samples"]}
    pending = fams["tierd_watch_deliveries_pending"]["samples"][0][2]
    return out, pending


def test_every_transition_arrives_once_after_the_receiver_comes_up():
    with App() as app, Receiver() as r:           # not started: the port is closed
        alarms_yaml = (no_data_alarm("always") + no_data_alarm("never", "not_breaching")
                       + TRAFFIC)
        with Tierd(listener_stack(app.addr, alarms_yaml, webhook_topic(r.url))) as t:
            started = time.monotonic()
            wait_state(t, "always", "ALARM", 15)
            wait_state(t, "never", "OK", 15)
            wait_state(t, "traffic", "OK", 15)
            for _ in range(20):
                assert get(t.url("/")).status == 200
            # The failed attempts are counted while the receiver is down.
            wait_for(lambda: deliveries_counters(t)[0].get("error", 0) >= 2, 10,
                     interval=0.25, what="failed delivery attempts counted")
            time.sleep(max(0.0, 10 - (time.monotonic() - started)))
            opened = time.monotonic()
            r.start()

            wait_state(t, "traffic", "ALARM", 30)
            wait_state(t, "traffic", "OK", 30)
            wait_for(lambda: {d.transition for d in r.acked()} >= EXPECTED, 40, interval=0.2,
                     what="every transition at the receiver")
            time.sleep(2)               # let a duplicate, if any, arrive
            counters, pending = deliveries_counters(t)

        got = r.all()
        assert not r.problems, r.problems
        assert {d.transition for d in got} == EXPECTED, got
        ids = {}
        for d in got:
            ids.setdefault(d.id, []).append(d)
        assert len(ids) == len(EXPECTED), f"{len(ids)} MessageIds for {len(EXPECTED)} " \
                                          f"transitions: {got}"
        for mid, ds in ids.items():
            # Every attempt that reached the receiver was acknowledged, so a MessageId seen
            # twice would be a duplicate delivery.
            assert len(ds) == 1, f"MessageId {mid} delivered {len(ds)} times: {ds}"
        by_transition = {}
        for d in got:
            by_transition.setdefault(d.transition, set()).add(d.id)
        assert all(len(v) == 1 for v in by_transition.values()), by_transition
        assert all(d.status == 200 for d in got)
        # The start-up transitions were queued while the port was closed.
        early = [d for d in got if d.message["AlarmName"] in ("always", "never")]
        assert all(d.when >= opened for d in early)
        assert counters.get("ok") == len(EXPECTED), counters
        assert counters.get("error", 0) >= 2, counters
        assert pending == 0

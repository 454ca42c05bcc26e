"""A kill -9 between a transition and its delivery loses nothing: the receiver refuses
(503), so the notification stays queued in state_dir/watch.db and is retried; tierd is
killed with SIGKILL and started again on the same state_dir; once the receiver accepts,
the message arrives with the same MessageId and body, exactly once, and the restart (the
alarm keeps its ALARM state) queues no second message."""
import signal
import time

from harness import App, Tierd, wait_for
from watchkit import Receiver, alarms, listener_stack, no_data_alarm, webhook_topic


def test_queued_delivery_survives_kill9():
    with App() as app, Receiver(status=503) as r:
        r.start()
        stack = listener_stack(app.addr, no_data_alarm("durable"), webhook_topic(r.url))
        first = Tierd(stack)
        with first:
            wait_for(lambda: r.all(), 20, interval=0.05, what="a first (refused) attempt")
            assert alarms(first)["durable"]["state"] == "ALARM"
            first.signal(signal.SIGKILL)
            first.proc.wait(timeout=10)
        refused = r.all()
        assert refused and all(d.status == 503 for d in refused), refused
        mid = refused[0].id
        assert {d.id for d in refused} == {mid}, refused
        assert all(d.body == refused[0].body for d in refused)   # fixed when queued

        r.status = 200
        n_refused = len(refused)
        # Same state_dir (and socket) as the killed daemon: ${dir} is the first one's.
        with Tierd(stack, dir=first.dir) as second:
            wait_for(lambda: r.acked(), 30, interval=0.1, what="the queued delivery after "
                                                               "the restart")
            assert alarms(second)["durable"]["state"] == "ALARM"
            time.sleep(3)   # a duplicate, or a message queued by the restart, would show
            acked = r.acked()
            assert [d.id for d in acked] == [mid], r.all()
            assert acked[0].body == refused[0].body
            assert acked[0].transition == ("durable", "INSUFFICIENT_DATA", "ALARM")
            assert len(r.all()) == n_refused + 1, r.all()
            assert not r.problems, r.problems

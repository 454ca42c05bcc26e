"""SIGHUP reload: a changed rule takes effect, an invalid file keeps the old configuration
serving, and reloads under load lose no request."""
import threading
import time

from harness import App, Tierd, get, stack, wait_for, wrk


def test_changed_rule_takes_effect():
    with App(name="a1") as a1, App(name="a2") as a2:
        groups = {"one": [a1.addr], "two": [a2.addr]}
        with Tierd(stack(rules="      - forward: one\n", groups=groups)) as t:
            assert get(t.url("/")).header("X-Instance") == "a1"
            t.reload(stack(rules="      - forward: two\n", groups=groups))
            wait_for(lambda: get(t.url("/")).header("X-Instance") == "a2", 10,
                     what="the new rule to route to a2")
            for _ in range(10):
                assert get(t.url("/")).header("X-Instance") == "a2"


def test_invalid_file_keeps_old_config():
    with App(name="a1") as a1, App(name="a2") as a2:
        groups = {"one": [a1.addr], "two": [a2.addr]}
        with Tierd(stack(rules="      - forward: one\n", groups=groups)) as t:
            for bad in ("listeners: [\n",                                     # YAML error
                        stack(rules="      - forward: nowhere\n", groups=groups),
                        stack(rules="      - forward: two\n", groups=groups,
                              edge="  timeouts:\n    keepalive: soon\n")):
                t.reload(bad)
                deadline = time.monotonic() + 1.5
                while time.monotonic() < deadline:
                    r = get(t.url("/"))
                    assert r.status == 200 and r.header("X-Instance") == "a1"
                    time.sleep(0.1)
                assert t.proc.poll() is None, "an invalid reload stopped tierd"
            # A valid file afterwards still applies.
            t.reload(stack(rules="      - forward: two\n", groups=groups))
            wait_for(lambda: get(t.url("/")).header("X-Instance") == "a2", 10,
                     what="the valid reload after invalid ones")


def test_reload_under_load_loses_nothing():
    with App(name="a1") as a1, App(name="a2") as a2:
        both = stack(groups={"web": [a1.addr, a2.addr]})
        one = stack(groups={"web": [a1.addr]})
        with Tierd(both) as t:
            stop = threading.Event()

            def hup():
                for i in range(5):
                    if stop.wait(0.8):
                        return
                    t.reload(one if i % 2 == 0 else both)
            th = threading.Thread(target=hup, daemon=True)
            th.start()
            try:
                out, res = wrk(t.url("/"), threads=2, conns=20, duration="5s")
            finally:
                stop.set()
                th.join(10)
            assert res["requests"] > 100, out
            assert res["non2xx"] == 0, out
            assert res["socket_errors"] == 0, out
            assert t.proc.poll() is None

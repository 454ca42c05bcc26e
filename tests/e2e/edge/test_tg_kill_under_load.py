"""A target killed with SIGKILL under load: every idempotent request still gets a 200 (the
requests it held, and the ones its dead address refuses, are retried on the other target)."""
import threading
import time

from harness import App, Tierd, instance_counts, tg_stack, wrk


def test_kill_one_target_under_load_loses_no_request():
    with App(name="a") as a, App(name="b") as b, Tierd(tg_stack([a.addr, b.addr])) as t:
        seen = instance_counts(t.url("/"), 10)
        assert set(seen) == {"a", "b"}, f"both targets must serve before the kill: {seen}"

        result = {}

        def load():
            try:
                result["out"], result["res"] = wrk(t.url("/"), threads=2, conns=20,
                                                   duration="6s", timeout=60)
            except Exception as e:          # noqa: BLE001 - reported below
                result["err"] = e
        th = threading.Thread(target=load, daemon=True)
        th.start()
        time.sleep(2.0)
        b.proc.kill()                       # SIGKILL: no goodbye to tierd
        b.proc.wait(timeout=10)
        th.join(60)
        assert not th.is_alive(), "wrk did not finish"
        assert "err" not in result, result.get("err")
        out, res = result["out"], result["res"]
        assert res["requests"] > 1000, out
        assert res["non2xx"] == 0, f"{res['non2xx']} failed requests after the kill:\n{out}"
        assert res["socket_errors"] == 0, out

        after = instance_counts(t.url("/"), 20)
        assert after == {"a": 20}, f"after the kill only a may answer: {after}"
        assert t.proc.poll() is None

"""A short wrk run: only 2xx, no socket errors."""
from harness import App, Tierd, stack, wrk


def test_wrk_50_connections_all_2xx():
    with App(name="a1") as a1, App(name="a2") as a2, \
         Tierd(stack(groups={"web": [a1.addr, a2.addr]})) as t:
        out, res = wrk(t.url("/"), threads=2, conns=50, duration="3s")
        assert res["requests"] > 500, out
        assert res["non2xx"] == 0, out
        assert res["socket_errors"] == 0, out
        assert t.proc.poll() is None

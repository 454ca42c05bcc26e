"""tierd apply under load: a changed rule applied while wrk -t2 -c20 -d6s runs and 50
WebSockets are open through tierd: zero failed requests, zero closed tunnels, and the new
rule serves at once."""
import asyncio
import os
import threading
import time

import websockets

from harness import App, Tierd, get, tg_stack, wait_for, wrk
from ctlkit import CONTROL, cli

SOCKETS = 50
EDGE = "  timeouts:\n    tunnel: 60s\n"
CHANGED = ("      - match: { path_prefix: /only-after-apply/ }\n"
           "        static: { root: ${dir} }\n"
           "      - forward: web\n")


def test_apply_under_load_drops_nothing():
    with App(name="a") as a, App(name="b") as b, \
         Tierd(tg_stack([a.addr, b.addr], edge=EDGE) + CONTROL) as t:
        os.mkdir(os.path.join(t.dir, "only-after-apply"))
        with open(os.path.join(t.dir, "only-after-apply", "x.txt"), "w") as f:
            f.write("new rule\n")
        new = os.path.join(t.dir, "new.yaml")
        with open(new, "w") as f:
            f.write(t.render(tg_stack([a.addr, b.addr], rules=CHANGED, edge=EDGE) + CONTROL))
        assert get(t.url("/only-after-apply/x.txt")).status == 404     # the app's 404

        load = {}
        th = threading.Thread(target=lambda: load.update(
            zip(("out", "stats"), wrk(t.url("/"), threads=2, conns=20, duration="6s"))))

        async def go():
            url = t.url("/ws").replace("http://", "ws://", 1)
            socks = await asyncio.gather(*(
                websockets.connect(url, open_timeout=10, close_timeout=5, ping_interval=None)
                for _ in range(SOCKETS)))
            try:
                for i, ws in enumerate(socks):
                    await ws.send(f"before {i}")
                    assert await asyncio.wait_for(ws.recv(), 10) == f"before {i}"
                th.start()
                await asyncio.sleep(2)
                loop = asyncio.get_running_loop()
                p = await loop.run_in_executor(None, lambda: cli(t, "apply", new,
                                                                 "--auto-approve"))
                assert p.returncode == 0, p
                assert "Apply complete! Resources: 0 added, 1 changed, 0 destroyed." in p.stdout
                r = await loop.run_in_executor(None, get, t.url("/only-after-apply/x.txt"))
                assert r.status == 200 and r.body == b"new rule\n", r
                for round_ in range(2):
                    for i, ws in enumerate(socks):
                        await ws.send(f"after {round_} {i}")
                        assert await asyncio.wait_for(ws.recv(), 10) == f"after {round_} {i}"
                await loop.run_in_executor(None, th.join, 30)
                closed = sum(1 for ws in socks if not ws.open)
                assert closed == 0, f"{closed} tunnels closed by the apply"
            finally:
                await asyncio.gather(*(ws.close() for ws in socks), return_exceptions=True)

        asyncio.run(asyncio.wait_for(go(), 60))
        stats = load["stats"]
        assert stats["requests"] > 1000, load["out"]
        assert stats["non2xx"] == 0 and stats["socket_errors"] == 0, load["out"]
        assert t.proc.poll() is None

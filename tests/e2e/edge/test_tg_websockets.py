"""WebSockets and target groups: 1,000 concurrent tunnels survive a reload that changes the
rules; a tunnel to a target removed by a reload lives until deregistration_delay, then
closes. Uses Debian's python3-websockets (asyncio client)."""
import asyncio
import os
import resource
import time

import websockets

from harness import App, Tierd, get, tg_stack, wait_for

EDGE = "  timeouts:\n    tunnel: 60s\n"
SOCKETS = 1000
BATCH = 100


def ws_url(t, path="/ws"):
    return t.url(path).replace("http://", "ws://", 1)


def run(coro, timeout):
    return asyncio.run(asyncio.wait_for(coro, timeout))


def raise_nofile(need):
    soft, hard = resource.getrlimit(resource.RLIMIT_NOFILE)
    want = need if hard == resource.RLIM_INFINITY else min(max(soft, need), hard)
    if soft < want:
        resource.setrlimit(resource.RLIMIT_NOFILE, (want, hard))
    soft = resource.getrlimit(resource.RLIMIT_NOFILE)[0]
    assert soft >= need, f"RLIMIT_NOFILE is {soft}, this test needs {need}"


def new_rule_is_live(t):
    def served():
        r = get(t.url("/only-after-reload/x.txt"))
        return r.status == 200 and r.body == b"new rule\n"
    wait_for(served, 10, interval=0.2, what="the reloaded rule to serve its static file")


def test_thousand_tunnels_survive_a_reload():
    # This process holds one socket per tunnel, tierd two, the app one; all inherit this.
    raise_nofile(3 * SOCKETS + 1000)
    rules = "      - forward: web\n"
    changed = ("      - match: { path_prefix: /only-after-reload/ }\n"
               "        static: { root: ${dir} }\n"
               "      - forward: web\n")

    async def echo(ws, msg):
        await ws.send(msg)
        got = await asyncio.wait_for(ws.recv(), 20)
        assert got == msg, (got, msg)

    async def go(t, a, b):
        url = ws_url(t)
        socks = []
        try:
            for _ in range(0, SOCKETS, BATCH):
                socks += await asyncio.gather(*(
                    websockets.connect(url, open_timeout=30, close_timeout=5, ping_interval=None)
                    for _ in range(BATCH)))
            await asyncio.gather(*(echo(ws, f"before {i}") for i, ws in enumerate(socks)))

            t.reload(tg_stack([a.addr, b.addr], rules=changed, edge=EDGE))
            await asyncio.get_running_loop().run_in_executor(None, new_rule_is_live, t)
            for round_ in range(2):
                await asyncio.gather(*(echo(ws, f"after {round_} {i}")
                                       for i, ws in enumerate(socks)))
            open_ = sum(1 for ws in socks if ws.open)
            assert open_ == SOCKETS, f"{SOCKETS - open_} tunnels closed by the reload"
        finally:
            await asyncio.gather(*(ws.close() for ws in socks), return_exceptions=True)

    with App(name="a") as a, App(name="b") as b, \
         Tierd(tg_stack([a.addr, b.addr], rules=rules, edge=EDGE)) as t:
        os.mkdir(os.path.join(t.dir, "only-after-reload"))
        with open(os.path.join(t.dir, "only-after-reload", "x.txt"), "w") as f:
            f.write("new rule\n")
        assert get(t.url("/only-after-reload/x.txt")).status == 404     # the app's 404
        run(go(t, a, b), timeout=150)
        assert t.proc.poll() is None


def test_tunnel_to_a_drained_target_closes_after_the_delay():
    async def go(t, a, b):
        async with websockets.connect(ws_url(t), open_timeout=10, ping_interval=None) as ws:
            assert ws.response_headers.get("X-Instance") == "b", ws.response_headers
            await ws.send("hi")
            assert await ws.recv() == "hi"
            t0 = time.monotonic()
            t.reload(tg_stack([a.addr], deregistration_delay="3s", edge=EDGE))
            await asyncio.sleep(1.0)
            # Still open while draining.
            await ws.send("draining")
            assert await asyncio.wait_for(ws.recv(), 5) == "draining"
            try:
                await asyncio.wait_for(ws.recv(), 10)
                raise AssertionError("the drained target's tunnel sent an unexpected frame")
            except websockets.exceptions.ConnectionClosed:
                pass
            except asyncio.TimeoutError:
                raise AssertionError("the tunnel to the drained target was not closed "
                                     f"{time.monotonic() - t0:.1f}s after the reload (delay 3s)")
            took = time.monotonic() - t0
            assert 2.5 <= took <= 3 + 3, f"tunnel closed {took:.1f}s after the reload (delay 3s)"
        # New tunnels go to the target that stayed.
        async with websockets.connect(ws_url(t), open_timeout=10) as ws:
            assert ws.response_headers.get("X-Instance") == "a", ws.response_headers
            await ws.send("new")
            assert await ws.recv() == "new"

    with App(name="a") as a, App(name="b") as b:
        # b outweighs a 999:1, so the first tunnel goes to b.
        with Tierd(tg_stack([(a.addr, 1), (b.addr, 999)], deregistration_delay="3s",
                            edge=EDGE)) as t:
            run(go(t, a, b), timeout=60)

"""WebSocket echo through tierd: text, binary, 100 concurrent sockets, and a tunnel that
survives a SIGHUP reload. Uses Debian's python3-websockets (asyncio client)."""
import asyncio
import os

import websockets

from harness import App, RawConn, Tierd, stack

EDGE = "  timeouts:\n    tunnel: 30s\n"


def ws_url(t, path="/ws"):
    return t.url(path).replace("http://", "ws://", 1)


def run(coro, timeout=60):
    return asyncio.run(asyncio.wait_for(coro, timeout))


def test_text_and_binary_echo():
    async def go(url):
        async with websockets.connect(url, max_size=None, open_timeout=10) as ws:
            await ws.send("hello, tunnel")
            assert await ws.recv() == "hello, tunnel"
            blob = bytes(range(256)) * 4
            await ws.send(blob)
            assert await ws.recv() == blob
            big = os.urandom(1 << 20)
            await ws.send(big)
            assert await ws.recv() == big
            await ws.ping()
    with App(name="a1") as a1, Tierd(stack(groups={"web": [a1.addr]}, edge=EDGE)) as t:
        run(go(ws_url(t)))


def test_hundred_concurrent_sockets():
    async def one(url, i):
        async with websockets.connect(url, open_timeout=20) as ws:
            for j in range(3):
                msg = f"socket {i} message {j}"
                await ws.send(msg)
                assert await ws.recv() == msg

    async def go(url):
        await asyncio.gather(*(one(url, i) for i in range(100)))
    with App(name="a1") as a1, Tierd(stack(groups={"web": [a1.addr]}, edge=EDGE)) as t:
        run(go(ws_url(t)), timeout=90)


def test_tunnel_survives_reload():
    async def go(t, a2):
        async with websockets.connect(ws_url(t), open_timeout=10) as ws:
            await ws.send("before")
            assert await ws.recv() == "before"
            t.reload(stack(groups={"web": [a2.addr]}, edge=EDGE))
            await asyncio.sleep(1.5)
            for i in range(5):
                await ws.send(f"after {i}")
                assert await ws.recv() == f"after {i}"
        # New connections follow the new configuration.
        async with websockets.connect(ws_url(t), open_timeout=10) as ws:
            await ws.send("new")
            assert await ws.recv() == "new"
    with App(name="a1") as a1, App(name="a2") as a2, \
         Tierd(stack(groups={"web": [a1.addr]}, edge=EDGE)) as t:
        run(go(t, a2))


def test_failed_upgrade_is_not_a_tunnel():
    """A non-101 answer to an upgrade request keeps HTTP parsing (no blind tunnel)."""
    with App(name="a1") as a1, Tierd(stack(groups={"web": [a1.addr]}, edge=EDGE)) as t:
        with RawConn(*t.addr()) as c:
            c.send(b"GET /headers HTTP/1.1\r\nHost: x\r\nConnection: Upgrade\r\n"
                   b"Upgrade: websocket\r\nSec-WebSocket-Key: dGhlIHNhbXBsZSBub25jZQ==\r\n"
                   b"Sec-WebSocket-Version: 13\r\n\r\n")
            r = c.response()
            assert r.status != 101
            c.send(b"GET / HTTP/1.1\r\nHost: x\r\n\r\n")
            r2 = c.response()
            assert r2.status == 200 and r2.body.startswith(b"hello from a1")

"""asyncio client: N keep-alive connections, one request each, then held idle.

run(port, n, on_idle) opens n connections to 127.0.0.1:port (at most `concurrency`
connects/requests in flight at once, so the proxy's upstream pool is not flooded), sends
one HTTP/1.1 keep-alive GET on each and reads the whole response, then with every
connection open and idle calls on_idle(n_ok) (synchronously: nothing is in flight), and
finally closes them all. The whole phase is bounded by `timeout` seconds.
"""

import asyncio
import time

REQ = b"GET / HTTP/1.1\r\nHost: bench\r\nUser-Agent: tierd-bench-idle\r\n\r\n"


async def _read_response(r):
    head = await r.readuntil(b"\r\n\r\n")
    lines = head.decode("latin-1").split("\r\n")
    status = int(lines[0].split()[1])
    length, chunked, close = None, False, False
    for ln in lines[1:]:
        k, _, v = ln.partition(":")
        k, v = k.strip().lower(), v.strip().lower()
        if k == "content-length":
            length = int(v)
        elif k == "transfer-encoding" and "chunked" in v:
            chunked = True
        elif k == "connection" and "close" in v:
            close = True
    if chunked:
        while True:
            size = int((await r.readuntil(b"\r\n")).split(b";")[0], 16)
            await r.readexactly(size + 2)
            if size == 0:
                break
    elif length:
        await r.readexactly(length)
    if status != 200:
        raise RuntimeError(f"status {status}")
    if close:
        raise RuntimeError("proxy answered Connection: close")


async def _main(port, n, on_idle, concurrency, timeout):
    sem = asyncio.Semaphore(concurrency)
    conns, errors = [], []

    async def one():
        async with sem:
            try:
                r, w = await asyncio.open_connection("127.0.0.1", port)
            except OSError as e:
                errors.append(f"connect: {e}")
                return
            try:
                w.write(REQ)
                await w.drain()
                await _read_response(r)
                conns.append((r, w))
            except Exception as e:  # noqa: BLE001 - counted and reported
                errors.append(f"{type(e).__name__}: {e}")
                w.close()

    t0 = time.monotonic()
    res = {"ok": 0, "failed": 0}
    try:
        await asyncio.wait_for(asyncio.gather(*(one() for _ in range(n))), timeout)
        res["open_s"] = round(time.monotonic() - t0, 3)
        # check nothing was closed by the proxy meanwhile (reader at EOF)
        alive = [c for c in conns if not c[0].at_eof()]
        res["ok"] = len(alive)
        res["failed"] = n - len(alive)
        if errors:
            res["first_error"] = errors[0]
        on_idle(len(alive))
        # after the measurement: connections the proxy dropped while idle
        await asyncio.sleep(0.05)
        res["closed_while_idle"] = sum(1 for c in alive if c[0].at_eof())
    except asyncio.TimeoutError:
        res["open_s"] = round(time.monotonic() - t0, 3)
        res["failed"] = n - len(conns)
        res["first_error"] = f"timeout after {timeout}s ({len(conns)} open)" + \
            (f"; first error {errors[0]}" if errors else "")
    finally:
        for _, w in conns:
            w.close()
        await asyncio.sleep(0.1)
    return res


def run(port, n, on_idle, concurrency=64, timeout=60.0):
    return asyncio.run(_main(port, n, on_idle, concurrency, timeout))

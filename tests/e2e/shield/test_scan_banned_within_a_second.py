"""A ffuf-like scan of random paths from 127.0.0.66 at a few hundred requests a second is
banned within one second of the request that overflowed path_bruteforce (capacity 20
distinct failing paths), while a client browsing from 127.0.0.10 at the same moment only
ever sees 2xx."""
import secrets
import threading
import time

from harness import App, Tierd
from shieldkit import bans, request, shield_stack, wait_ban

SCANNER, BROWSER = "127.0.0.66", "127.0.0.10"
CAPACITY = 20                   # path_bruteforce: 20 distinct 4xx paths / 5 s (docs/shield.md)
RATE = 300                      # requests per second over all scanner threads
THREADS = 6


def test_scan_is_banned_within_a_second_and_the_browser_never_notices():
    with App(name="a") as app, Tierd(shield_stack(app.addr, "  mode: block\n")) as t:
        results = []            # (start, end, outcome) of every scanner request
        browser = []            # outcomes of the legitimate client
        lock = threading.Lock()
        stop = threading.Event()
        t0 = time.monotonic()

        def scan(k):
            n = 0
            while not stop.is_set() and time.monotonic() - t0 < 8:
                # Pace each thread to RATE / THREADS requests a second.
                due = t0 + n * THREADS / RATE + k / RATE
                if due > time.monotonic():
                    time.sleep(due - time.monotonic())
                n += 1
                start = time.monotonic()
                out = request(t, SCANNER, "/" + secrets.token_hex(6), timeout=5)
                with lock:
                    results.append((start, time.monotonic(), out))

        def browse():
            while not stop.is_set():
                browser.append(request(t, BROWSER, "/"))
                time.sleep(0.02)

        threads = [threading.Thread(target=scan, args=(k,)) for k in range(THREADS)]
        threads.append(threading.Thread(target=browse))
        for th in threads:
            th.start()
        try:
            wait_ban(t, SCANNER, timeout=10)
            time.sleep(1.0)     # the scan goes on against the ban for a moment
        finally:
            stop.set()
            for th in threads:
                th.join(30)

        results.sort(key=lambda r: r[1])
        blocked = [r for r in results if r[2] in (403, "refused", "closed")]
        assert blocked, f"the scanner was never refused: {results[-5:]}"
        first_block = min(r[1] for r in blocked)
        not_found = [r for r in results if r[2] == 404]
        assert len(not_found) >= CAPACITY, "the scan was blocked before the detector tripped"
        # The request that exceeded the capacity: the 21st failing distinct path (if the
        # shield refused that one itself, the first refusal is it).
        exceeded = not_found[CAPACITY][1] if len(not_found) > CAPACITY else first_block
        exceeded = min(exceeded, first_block)
        assert first_block - exceeded < 1.0, \
            f"banned {first_block - exceeded:.3f}s after the detector's capacity was exceeded"
        # Once refused, refused for good.
        later = [r[2] for r in results if r[0] > first_block + 0.1]
        assert later and all(o in (403, "refused", "closed") for o in later), later[:20]
        rate = len(results) / (results[-1][1] - results[0][0])
        print(f"ban {first_block - exceeded:.3f}s after overflow, {rate:.0f} req/s, "
              f"{len(not_found)} 404s, {len(browser)} browser requests")
        assert rate > 150, f"the scan ran at only {rate:.0f} requests a second"
        assert browser and all(o == 200 for o in browser), \
            [o for o in browser if o != 200][:10]
        assert bans(t)[SCANNER]["reason"] == "path_bruteforce"
        assert BROWSER not in bans(t)

"""FastCGI health checks and failures against real php-fpm8.2 pools: a FastCGI probe of
/up through the front controller takes out the pool whose app says 503 and the pool that
stopped; a php-fpm worker killed mid-request gives 502 (before the head) or a cut
response (after it)."""
import http.client
import json
import os
import signal
import subprocess
import threading
import time
from collections import Counter

from fpm import Fpm, fcgi_stack
from harness import Tierd, get, wait_for

HC = "    health_check: { path: /up, interval: 5s, timeout: 2s, healthy_threshold: 2, unhealthy_threshold: 2 }\n"


def pools(t, n=30):
    c = Counter()
    for _ in range(n):
        try:
            r = get(t.url("/who"), timeout=5)
        except (OSError, http.client.HTTPException) as e:
            c[f"error {type(e).__name__}"] += 1
            continue
        c[json.loads(r.body)["pool"] if r.status == 200 else f"status {r.status}"] += 1
    return c


def test_probe_through_front_controller_and_stopped_pool():
    with Fpm(name="a") as a, Fpm(name="b", share=a) as b, Fpm(name="c", share=a) as c, \
         Tierd(fcgi_stack(a, targets=[a, b, c], group_extra=HC)) as t:
        wait_for(lambda: set(pools(t, 15)) == {"a", "b", "c"}, 20, interval=0.3,
                 what="all three pools to serve")
        time.sleep(1.5)     # the initial probes made all three healthy
        a.set_down(True)    # the app's /up says 503: only a FastCGI probe through index.php sees it
        c.stop()            # php-fpm gone: connect refused
        wait_for(lambda: pools(t, 20) == Counter({"b": 20}), 25, interval=0.5,
                 what="a (503 on /up) and c (stopped) to get no traffic")
        assert pools(t, 30) == Counter({"b": 30})
        a.set_down(False)
        wait_for(lambda: "a" in pools(t, 10), 25, interval=0.5, what="a back after /up is 200")


def test_worker_killed_mid_request():
    # More children than edge workers: each worker may keep one idle connection, which
    # holds a child (see docs/fastcgi.md).
    with Fpm(children=3) as fpm, Tierd(fcgi_stack(fpm)) as t:
        host, port = t.addr()
        result = {}

        def post():
            c = http.client.HTTPConnection(host, port, timeout=20)
            try:
                c.request("POST", "/hang.php", body=b"x=1",
                          headers={"Content-Type": "application/x-www-form-urlencoded"})
                r = c.getresponse()
                result["status"], result["body"] = r.status, r.read()
            except (OSError, http.client.HTTPException) as e:
                result["error"] = e
            finally:
                c.close()

        th = threading.Thread(target=post)
        th.start()
        time.sleep(1.0)             # the one worker is inside sleep()
        for pid in fpm.workers():
            os.kill(pid, signal.SIGKILL)
        th.join(20)
        assert result.get("status") == 502, result
        # The pool respawned its worker: the next request is served.
        wait_for(lambda: get(t.url("/x")).status == 200, 10, what="php-fpm to respawn")

        # After the head was sent, the client's response is cut, never completed.
        p = subprocess.Popen(["curl", "-sS", "-N", t.url("/sleep.php?s=30")],
                             stdout=subprocess.PIPE, stderr=subprocess.PIPE)
        time.sleep(1.0)
        for pid in fpm.workers():
            os.kill(pid, signal.SIGKILL)
        out, err = p.communicate(timeout=20)
        assert out == b"started" and p.returncode != 0, (out, err, p.returncode)

"""SIGTERM: requests in flight complete, new connections are refused, the process exits
within the shutdown deadline."""
import errno
import socket
import threading
import time

from harness import App, Tierd, get, stack, wait_for


def refused(host, port):
    s = socket.socket(socket.AF_INET, socket.SOCK_STREAM)
    s.settimeout(2)
    try:
        s.connect((host, port))
        return False
    except ConnectionRefusedError:
        return True
    except OSError as e:
        return e.errno == errno.ECONNREFUSED
    finally:
        s.close()


def test_sigterm_drains_in_flight_request():
    edge = "  timeouts:\n    shutdown: 5s\n"
    with App(name="a1") as a1, Tierd(stack(groups={"web": [a1.addr]}, edge=edge)) as t:
        result = {}

        def slow():
            try:
                result["r"] = get(t.url("/sleep?ms=1500"), timeout=20)
            except Exception as e:          # noqa: BLE001 - reported below
                result["err"] = e
        th = threading.Thread(target=slow, daemon=True)
        th.start()
        time.sleep(0.4)                     # the request is at the target now
        t0 = time.monotonic()
        t.proc.send_signal(15)
        wait_for(lambda: refused(*t.addr()), 3, what="new connections to be refused")
        th.join(20)
        assert "err" not in result, result.get("err")
        r = result["r"]
        assert r.status == 200 and r.body == b"slept 1500 ms\n"
        t.proc.wait(timeout=15)
        took = time.monotonic() - t0
        assert t.proc.returncode == 0
        assert took < 5 + 2, f"exited {took:.1f}s after SIGTERM with shutdown: 5s"


def test_sigterm_deadline_cuts_long_requests():
    edge = "  timeouts:\n    shutdown: 1s\n"
    with App(name="a1") as a1, Tierd(stack(groups={"web": [a1.addr]}, edge=edge)) as t:
        th = threading.Thread(target=lambda: _swallow(get, t.url("/sleep?ms=20000"), 30),
                              daemon=True)
        th.start()
        time.sleep(0.4)
        t0 = time.monotonic()
        t.proc.send_signal(15)
        t.proc.wait(timeout=15)
        took = time.monotonic() - t0
        assert took < 1 + 2, f"exited {took:.1f}s after SIGTERM with shutdown: 1s"
        th.join(30)


def test_idle_connections_do_not_delay_exit():
    edge = "  timeouts:\n    shutdown: 10s\n"
    with App(name="a1") as a1, Tierd(stack(groups={"web": [a1.addr]}, edge=edge)) as t:
        idle = socket.create_connection(t.addr(), timeout=5)
        idle.sendall(b"GET / HTTP/1.1\r\nHost: x\r\n\r\n")
        time.sleep(0.3)
        t0 = time.monotonic()
        t.proc.send_signal(15)
        t.proc.wait(timeout=20)
        took = time.monotonic() - t0
        idle.close()
        assert took < 3, f"an idle keep-alive connection held the exit for {took:.1f}s"


def _swallow(fn, *args):
    try:
        fn(*args)
    except Exception:       # noqa: BLE001 - the request is expected to be cut
        pass

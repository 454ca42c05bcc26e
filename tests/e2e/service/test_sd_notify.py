"""systemd's notification protocol (Type=notify): tierd sends READY=1 once its listeners
accept, RELOADING=1 then READY=1 around a SIGHUP reload, and STOPPING=1 at SIGTERM. The test
plays systemd: it binds the datagram socket that $NOTIFY_SOCKET names and reads what
libsystemd's sd_notify() sends there."""
import os
import signal
import socket
import tempfile
import time

from harness import App, Tierd, can_connect, get, stack


class NotifySocket:
    """A unix datagram socket like the one systemd gives a Type=notify service."""

    def __init__(self):
        self.dir = tempfile.mkdtemp(prefix="tierd-notify-")
        self.path = os.path.join(self.dir, "notify")
        self.sock = socket.socket(socket.AF_UNIX, socket.SOCK_DGRAM)
        self.sock.bind(self.path)
        self.msgs = []

    def until(self, key, timeout=15.0):
        """Reads datagrams until one has the field KEY=1; returns that datagram's fields."""
        deadline = time.monotonic() + timeout
        while time.monotonic() < deadline:
            self.sock.settimeout(max(0.05, deadline - time.monotonic()))
            try:
                data = self.sock.recv(4096)
            except socket.timeout:
                break
            fields = dict(line.split("=", 1) for line in data.decode().splitlines() if "=" in line)
            self.msgs.append(fields)
            if fields.get(key) == "1":
                return fields
        raise AssertionError(f"no {key}=1 within {timeout}s; got {self.msgs}")

    def close(self):
        self.sock.close()
        os.unlink(self.path)
        os.rmdir(self.dir)


def test_ready_reloading_stopping(monkeypatch):
    ns = NotifySocket()
    monkeypatch.setenv("NOTIFY_SOCKET", ns.path)
    try:
        with App(name="a") as a, Tierd(stack(groups={"web": [a.addr]})) as t:
            ready = ns.until("READY")
            # READY=1 comes only once the listener accepts: it is already connectable.
            assert can_connect(*t.addr())
            assert "serving" in ready.get("STATUS", "")
            t.signal(signal.SIGHUP)
            reloading = ns.until("RELOADING")
            assert int(reloading["MONOTONIC_USEC"]) > 0
            ns.until("READY")
            assert get(t.url("/")).status == 200
            t.signal(signal.SIGTERM)
            ns.until("STOPPING")
            assert t.stop() == 0
    finally:
        ns.close()


def test_no_notify_socket_no_noise(monkeypatch):
    # Outside systemd tierd runs as before: no socket, nothing sent, nothing fails.
    monkeypatch.delenv("NOTIFY_SOCKET", raising=False)
    with App(name="a") as a, Tierd(stack(groups={"web": [a.addr]})) as t:
        t.signal(signal.SIGHUP)
        assert get(t.url("/")).status == 200
        assert t.stop() == 0

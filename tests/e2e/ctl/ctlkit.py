"""
tests/e2e/ctl/ctlkit.py: helpers for the control-API scenarios: a stack with the control
socket in the test's directory, the CLI run against it, and raw requests over the unix
socket or TCP. (Kept beside the scenarios so harness.py stays shared and small.)
"""
import json
import os
import socket
import subprocess
import time

from harness import TIERD, IO_TIMEOUT, stack, wait_for


CONTROL = "control:\n  socket: ${dir}/tierd.sock\n"


def ctl_stack(groups=None, control="", **kw):
    """harness.stack() plus a control section with the socket in ${dir}."""
    text = stack(groups=groups or {"web": ["127.0.0.1:1"]}, **kw)
    return text + CONTROL + control


def sock_path(t):
    return os.path.join(t.dir, "tierd.sock")


def cli(t, *args, socket_path=None, env=None, cwd=None, timeout=30):
    """Runs `tierd ARGS --socket <the daemon's socket>`; returns CompletedProcess (text)."""
    argv = [TIERD, *args]
    if t is not None or socket_path:
        argv += ["--socket", socket_path or sock_path(t)]
    return subprocess.run(argv, capture_output=True, text=True, timeout=timeout,
                          env=env, cwd=cwd)


class Reply:
    def __init__(self, status, headers, body):
        self.status = status
        self.headers = headers
        self.body = body
        try:
            self.json = json.loads(body) if body else None
        except ValueError:
            self.json = None

    def header(self, name):
        for n, v in self.headers:
            if n.lower() == name.lower():
                return v
        return None

    @property
    def error(self):
        return (self.json or {}).get("error") or {}

    def __repr__(self):
        return f"<Reply {self.status} {self.body[:300]!r}>"


def _exchange(s, data):
    s.settimeout(IO_TIMEOUT)
    try:
        s.sendall(data)
    except (BrokenPipeError, ConnectionResetError):
        pass                        # the server may refuse before reading everything
    buf = b""
    while True:
        try:
            chunk = s.recv(65536)
        except ConnectionResetError:
            break
        if not chunk:
            break
        buf += chunk
    s.close()
    head, _, body = buf.partition(b"\r\n\r\n")
    lines = head.decode("latin-1").split("\r\n")
    status = int(lines[0].split(" ")[1])
    headers = [tuple(x.strip() for x in line.split(":", 1)) for line in lines[1:]]
    return Reply(status, headers, body.decode())


def request_bytes(method, path, body=None, headers=None, content_type="application/json",
                  host="tierd"):
    """The bytes of one request. Every method but GET and HEAD carries content_type, body or
    not, as the API demands (content_type=None leaves it out)."""
    hdrs = {"Host": host, "Connection": "close"}
    if body is not None:
        if isinstance(body, (dict, list)):
            body = json.dumps(body)
        if isinstance(body, str):
            body = body.encode()
        hdrs["Content-Length"] = str(len(body))
    if content_type and (body is not None or method not in ("GET", "HEAD")):
        hdrs["Content-Type"] = content_type
    hdrs.update(headers or {})
    head = f"{method} {path} HTTP/1.1\r\n" + "".join(f"{k}: {v}\r\n" for k, v in hdrs.items())
    return head.encode() + b"\r\n" + (body or b"")


def api(t, method, path, body=None, headers=None, raw=None, **kw):
    """One request over the daemon's unix socket (raw: exact bytes to send)."""
    s = socket.socket(socket.AF_UNIX, socket.SOCK_STREAM)
    s.connect(sock_path(t))
    return _exchange(s, raw if raw is not None else request_bytes(method, path, body, headers,
                                                                  **kw))


def api_tcp(addr, method, path, body=None, headers=None, **kw):
    """One request to the TCP listener at addr ("127.0.0.1:7070"), with Host: addr unless
    the caller sets another."""
    host, _, port = addr.rpartition(":")
    s = socket.create_connection((host.strip("[]"), int(port)), timeout=IO_TIMEOUT)
    kw.setdefault("host", addr)
    return _exchange(s, request_bytes(method, path, body, headers, **kw))


def targets_by_address(t, group=None):
    path = f"/v1/target-groups/{group}/targets" if group else "/v1/targets"
    r = api(t, "GET", path)
    assert r.status == 200, r
    return {x["address"]: x for x in r.json["targets"]}


def wait_socket(t, timeout=10):
    wait_for(lambda: os.path.exists(sock_path(t)), timeout, what="the control socket")
    time.sleep(0.01)

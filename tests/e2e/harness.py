"""
tests/e2e/harness.py: runs the real binaries for the end-to-end scenarios.

App(name=...)        build/app on a free 127.0.0.1 port; .addr, .port, .url(path)
Tierd(stack_yaml)    build/tierd run on a stack file written into a temporary directory;
                     ${listen}, ${listen2}, ... in the text become free 127.0.0.1 addresses,
                     ${dir} the temporary directory, other ${names} come from keyword args.
RawConn / raw(...)   byte-exact requests over a plain socket, and a small response reader.
need(probe, ...)     the only way a test skips: "probe NAME: why" (PROBES: root, netns, nft,
                     chromium, ipv6, kernel_backlog_hang, mariadb, crowdsec); CI=true fails a skip whose probe
                     succeeds (conftest.py).

Every process started here is killed when its context ends (and at interpreter exit as a
last resort); every wait is bounded by a deadline. The daemon's stderr is attached to the
report of a failing test by conftest.py.
"""
import atexit
import os
import re
import signal
import socket
import string
import subprocess
import tempfile
import threading
import time
import http.client

HERE = os.path.dirname(os.path.abspath(__file__))
ROOT = os.path.dirname(os.path.dirname(HERE))
TIERD = os.environ.get("TIERD") or os.path.join(ROOT, "build", "tierd")
APP = os.environ.get("APP") or os.path.join(ROOT, "build", "app")

START_TIMEOUT = 15.0        # generous: CI has 2 cores and the machine is shared
IO_TIMEOUT = 10.0

_live = []                  # processes still running, for the atexit sweep
current_logs = []           # (title, path, Popen) of daemon/app logs for the running test
temp_paths = []             # files and directories to remove when the session passed


def _binary(path, what):
    if not (os.path.isfile(path) and os.access(path, os.X_OK)):
        raise RuntimeError(f"{what} binary not found or not executable: {path} "
                           f"(run `make build/tierd build/app`, or set "
                           f"{'TIERD' if what == 'tierd' else 'APP'}=)")
    return path


@atexit.register
def _sweep():
    for p in list(_live):
        _kill(p)


def _kill(p, grace=3.0):
    if p.poll() is None:
        try:
            p.terminate()
            p.wait(timeout=grace)
        except subprocess.TimeoutExpired:
            p.kill()
            p.wait(timeout=10)
        except ProcessLookupError:
            pass
    if p in _live:
        _live.remove(p)


def _stop_detached(d):
    """Managed database servers outlive a killed tierd by design (the next one adopts them):
    once a test's tierd is gone, stop any still running on that test's state."""
    mark = f"--defaults-file={d}/".encode()
    pids = []
    for pid in os.listdir("/proc"):
        if not pid.isdigit():
            continue
        try:
            with open(f"/proc/{pid}/cmdline", "rb") as f:
                if any(a.startswith(mark) for a in f.read().split(b"\0")):
                    pids.append(int(pid))
        except OSError:
            pass
    for pid in pids:
        try:
            os.kill(pid, signal.SIGTERM)
        except ProcessLookupError:
            pass
    def alive(pid):
        try:
            with open(f"/proc/{pid}/stat") as f:
                return f.read().rsplit(") ", 1)[-1][:1] != "Z"
        except OSError:
            return False

    deadline = time.monotonic() + 30
    while pids and time.monotonic() < deadline:
        pids = [p for p in pids if alive(p)]
        time.sleep(0.1)
    for pid in pids:
        try:
            os.kill(pid, signal.SIGKILL)
        except ProcessLookupError:
            pass


def free_port(host="127.0.0.1"):
    """A port that was free a moment ago (bind port 0, read it, close)."""
    fam = socket.AF_INET6 if ":" in host else socket.AF_INET
    with socket.socket(fam, socket.SOCK_STREAM) as s:
        s.bind((host, 0))
        return s.getsockname()[1]


def split_addr(addr):
    host, _, port = addr.rpartition(":")
    return host.strip("[]"), int(port)


def wait_for(cond, timeout, interval=0.05, what="condition"):
    """Polls cond() until it returns a truthy value; returns it, or raises after timeout."""
    deadline = time.monotonic() + timeout
    last_exc = None
    while True:
        try:
            v = cond()
            if v:
                return v
        except Exception as e:          # noqa: BLE001 - retried until the deadline
            last_exc = e
        if time.monotonic() > deadline:
            raise AssertionError(f"timed out after {timeout}s waiting for {what}"
                                 + (f" (last error: {last_exc!r})" if last_exc else ""))
        time.sleep(interval)


def can_connect(host, port, timeout=1.0):
    try:
        with socket.create_connection((host, port), timeout=timeout):
            return True
    except OSError:
        return False


def rss_kb(pid):
    """VmRSS of a process in kB (0 if it is gone)."""
    try:
        with open(f"/proc/{pid}/status") as f:
            for line in f:
                if line.startswith("VmRSS:"):
                    return int(line.split()[1])
    except OSError:
        pass
    return 0


class App:
    """The sample backend: build/app --listen 127.0.0.1:PORT --name NAME."""

    def __init__(self, name="app", host="127.0.0.1", args=()):
        self.name = name
        self.host = host
        self.args = list(args)
        self.proc = None
        self.port = None

    @property
    def addr(self):
        return f"[{self.host}]:{self.port}" if ":" in self.host else f"{self.host}:{self.port}"

    def url(self, path="/"):
        return f"http://{self.addr}{path}"

    def __enter__(self):
        exe = _binary(APP, "app")
        for attempt in range(3):        # a free port can be taken between probe and bind
            self.port = free_port(self.host)
            self._log = tempfile.NamedTemporaryFile(prefix=f"tierd-e2e-app-{self.name}-",
                                                    suffix=".log", delete=False)
            temp_paths.append(self._log.name)
            self.proc = subprocess.Popen(
                [exe, "--listen", self.addr, "--name", self.name] + self.args,
                stdout=subprocess.PIPE, stderr=self._log, stdin=subprocess.DEVNULL)
            _live.append(self.proc)
            current_logs.append((f"app {self.name} stderr", self._log.name, self.proc))
            if self._wait_ready():
                return self
            _kill(self.proc)
        raise RuntimeError(f"app {self.name} did not print its ready line; see {self._log.name}")

    def _wait_ready(self):
        want = f"app {self.name} listening on".encode()
        got = []

        def reader():
            for line in self.proc.stdout:
                got.append(line)
                if want in line:
                    return
        t = threading.Thread(target=reader, daemon=True)
        t.start()
        t.join(START_TIMEOUT)
        ok = any(want in line for line in got)
        if ok:
            # Keep draining stdout so the app never blocks on a full pipe.
            threading.Thread(target=lambda: [None for _ in self.proc.stdout],
                             daemon=True).start()
        return ok and self.proc.poll() is None

    def stop(self):
        if self.proc:
            _kill(self.proc)

    def __exit__(self, *exc):
        self.stop()
        return False


class Tierd:
    """build/tierd run FILE, in the foreground, on an inline stack file."""

    def __init__(self, stack_yaml, **subst):
        self.dir = tempfile.mkdtemp(prefix="tierd-e2e-")
        temp_paths.append(self.dir)
        self.path = os.path.join(self.dir, "stack.yaml")
        self.subst = {"dir": self.dir}
        self.subst.update({k: str(v) for k, v in subst.items()})
        for name in set(re.findall(r"\$\{(listen\w*)\}", stack_yaml)):
            if name not in self.subst:
                self.subst[name] = f"127.0.0.1:{free_port()}"
        self.text = self.render(stack_yaml)
        self.proc = None
        self.stderr_path = os.path.join(self.dir, "tierd.stderr")

    def render(self, text):
        """Substitutes ${...} placeholders (use it for the text of a reload, too)."""
        return string.Template(text).substitute(self.subst)

    def write(self, text):
        """Replaces the stack file (rendered) before a reload()."""
        with open(self.path + ".tmp", "w") as f:
            f.write(self.render(text))
        os.replace(self.path + ".tmp", self.path)

    @property
    def pid(self):
        return self.proc.pid

    def addr(self, listener="listen"):
        return split_addr(self.subst[listener])

    def url(self, path="/", listener="listen"):
        return f"http://{self.subst[listener]}{path}"

    def __enter__(self):
        exe = _binary(TIERD, "tierd")
        with open(self.path, "w") as f:
            f.write(self.text)
        self._err = open(self.stderr_path, "wb")
        self.proc = subprocess.Popen([exe, "run", self.path], stdout=self._err,
                                     stderr=subprocess.STDOUT, stdin=subprocess.DEVNULL,
                                     cwd=self.dir)
        current_logs.append(("tierd stderr", self.stderr_path, self.proc))
        _live.append(self.proc)
        host, port = self.addr()
        deadline = time.monotonic() + START_TIMEOUT
        while not can_connect(host, port, timeout=0.5):
            if self.proc.poll() is not None:
                raise RuntimeError(f"tierd exited with {self.proc.returncode} before listening:\n"
                                   + self.stderr())
            if time.monotonic() > deadline:
                self.stop(timeout=1)
                raise RuntimeError(f"tierd did not accept on {host}:{port} within "
                                   f"{START_TIMEOUT}s:\n" + self.stderr())
            time.sleep(0.05)
        return self

    def stderr(self):
        try:
            with open(self.stderr_path, "rb") as f:
                return f.read().decode(errors="replace")
        except OSError:
            return ""

    def signal(self, sig):
        self.proc.send_signal(sig)

    def reload(self, text=None):
        """Optionally rewrites the stack file, then sends SIGHUP."""
        if text is not None:
            self.write(text)
        self.signal(signal.SIGHUP)

    def reopen_logs(self):
        self.signal(signal.SIGUSR1)

    def stop(self, timeout=40.0):
        """SIGTERM and wait; returns the exit status (kills after timeout)."""
        if self.proc is None:
            return None
        if self.proc.poll() is None:
            self.proc.send_signal(signal.SIGTERM)
            try:
                self.proc.wait(timeout=timeout)
            except subprocess.TimeoutExpired:
                self.proc.kill()
                self.proc.wait(timeout=10)
        if self.proc in _live:
            _live.remove(self.proc)
        return self.proc.returncode

    def access_log_lines(self, name="access.log"):
        p = name if os.path.isabs(name) else os.path.join(self.dir, name)
        try:
            with open(p, "rb") as f:
                return [line.decode() for line in f.read().splitlines()]
        except FileNotFoundError:
            return []

    def __exit__(self, *exc):
        if self.proc is not None:
            rc = self.proc.poll()
            if rc is not None and self.proc in _live:
                # It died on its own (not through stop()): say so in the log we attach.
                self._err.write(f"[harness] tierd exited by itself with status {rc}\n".encode())
                self._err.flush()
            _kill(self.proc, grace=3.0)     # SIGTERM, then SIGKILL if the drain takes longer
        self._err.close()
        _stop_detached(self.dir)
        return False


# ---------------------------------------------------------------- HTTP clients

class Response:
    def __init__(self, status, reason, version, headers, body, raw_head):
        self.status = status
        self.reason = reason
        self.version = version
        self.headers = headers          # list of (name, value) as received
        self.body = body
        self.raw_head = raw_head

    def header(self, name, default=None):
        for n, v in self.headers:
            if n.lower() == name.lower():
                return v
        return default

    def header_all(self, name):
        return [v for n, v in self.headers if n.lower() == name.lower()]

    def __repr__(self):
        return f"<Response {self.status} {self.headers!r} body={self.body[:80]!r}>"


class Closed(Exception):
    """The peer closed the connection before (or instead of) a response."""


class RawConn:
    """A client socket that sends exact bytes and reads responses one at a time."""

    def __init__(self, host, port, timeout=IO_TIMEOUT):
        if isinstance(host, tuple):
            host, port = host
        self.sock = socket.create_connection((host, port), timeout=timeout)
        self.sock.setsockopt(socket.IPPROTO_TCP, socket.TCP_NODELAY, 1)
        self.timeout = timeout
        self.buf = b""
        self.eof = False

    def __enter__(self):
        return self

    def __exit__(self, *exc):
        self.close()
        return False

    def close(self):
        try:
            self.sock.close()
        except OSError:
            pass

    def send(self, data):
        self.sock.sendall(data)

    def _fill(self, deadline):
        if self.eof:
            return False
        left = deadline - time.monotonic()
        if left <= 0:
            raise socket.timeout("response read timed out")
        self.sock.settimeout(left)
        try:
            chunk = self.sock.recv(65536)
        except ConnectionResetError:
            chunk = b""
        if not chunk:
            self.eof = True
            return False
        self.buf += chunk
        return True

    def read_until(self, marker, timeout=None):
        deadline = time.monotonic() + (timeout or self.timeout)
        while marker not in self.buf:
            if not self._fill(deadline):
                raise Closed(f"closed before {marker!r}; got {self.buf[:200]!r}")
        i = self.buf.index(marker) + len(marker)
        out, self.buf = self.buf[:i], self.buf[i:]
        return out

    def read_exact(self, n, deadline):
        while len(self.buf) < n:
            if not self._fill(deadline):
                raise Closed(f"closed after {len(self.buf)} of {n} bytes")
        out, self.buf = self.buf[:n], self.buf[n:]
        return out

    def response(self, method="GET", timeout=None, skip_1xx=True):
        """Reads one response. Raises Closed when the connection ends before a head."""
        deadline = time.monotonic() + (timeout or self.timeout)
        while True:
            head = self.read_until(b"\r\n\r\n", timeout=max(0.01, deadline - time.monotonic()))
            lines = head[:-4].split(b"\r\n")
            m = re.match(rb"HTTP/(\d\.\d) (\d{3})(?: (.*))?$", lines[0])
            if not m:
                raise AssertionError(f"bad status line {lines[0]!r}")
            version, status = m.group(1).decode(), int(m.group(2))
            reason = (m.group(3) or b"").decode(errors="replace")
            headers = []
            for line in lines[1:]:
                name, _, value = line.partition(b":")
                headers.append((name.decode(), value.strip().decode(errors="replace")))
            r = Response(status, reason, version, headers, b"", head)
            if 100 <= status < 200 and status != 101:
                if skip_1xx:
                    continue
                return r
            break
        if method == "HEAD" or status in (101, 204, 304):
            return r
        te = r.header("Transfer-Encoding")
        cl = r.header("Content-Length")
        if te is not None:
            assert te.lower() == "chunked", f"unexpected Transfer-Encoding {te!r}"
            body = []
            while True:
                line = self.read_until(b"\r\n", timeout=max(0.01, deadline - time.monotonic()))
                size = int(line.split(b";")[0].strip(), 16)
                if size == 0:
                    while self.read_until(b"\r\n", timeout=max(
                            0.01, deadline - time.monotonic())) != b"\r\n":
                        pass
                    break
                body.append(self.read_exact(size, deadline))
                assert self.read_exact(2, deadline) == b"\r\n", "chunk not followed by CRLF"
            r.body = b"".join(body)
        elif cl is not None:
            r.body = self.read_exact(int(cl), deadline)
        else:
            while self._fill(deadline):
                pass
            r.body, self.buf = self.buf, b""
        return r

    def closed_by_peer(self, timeout=5.0):
        """True if the peer closes (EOF or RST) within timeout, discarding any bytes."""
        deadline = time.monotonic() + timeout
        try:
            while True:
                left = deadline - time.monotonic()
                if left <= 0:
                    return False
                self.sock.settimeout(left)
                chunk = self.sock.recv(65536)
                if not chunk:
                    return True
                self.buf += chunk
        except (ConnectionResetError, BrokenPipeError):
            return True
        except socket.timeout:
            return False

    def rest(self, timeout=5.0):
        """Everything until EOF (or timeout), including what is buffered."""
        self.closed_by_peer(timeout)
        out, self.buf = self.buf, b""
        return out


def raw(addr, data, timeout=IO_TIMEOUT, method="GET"):
    """Sends data on a new connection, returns (first Response or None, connection closed?)."""
    with RawConn(*addr, timeout=timeout) as c:
        c.send(data)
        try:
            r = c.response(method=method)
        except Closed:
            return None, True
        return r, c.closed_by_peer(timeout=3.0)


def get(url, method="GET", body=None, headers=None, timeout=IO_TIMEOUT):
    """One request on a new http.client connection; returns Response."""
    m = re.match(r"http://([^/]+)(/.*)?$", url)
    host, port = split_addr(m.group(1))
    path = m.group(2) or "/"
    c = http.client.HTTPConnection(host, port, timeout=timeout)
    try:
        c.request(method, path, body=body, headers=headers or {})
        r = c.getresponse()
        data = r.read()
        return Response(r.status, r.reason, "1.%d" % (r.version - 10), r.getheaders(), data, b"")
    finally:
        c.close()


def parse_headers_echo(body):
    """The /headers body: (request line, [(name, value)...])."""
    lines = body.decode().splitlines()
    hdrs = []
    for line in lines[1:]:
        name, _, value = line.partition(": ")
        hdrs.append((name, value))
    return lines[0], hdrs


def hget(hdrs, name):
    return [v for n, v in hdrs if n.lower() == name.lower()]


def curl(*args, timeout=60):
    return subprocess.run(["curl", "-sS", *args], capture_output=True, timeout=timeout)


def wrk(url, threads=2, conns=20, duration="5s", timeout=60):
    """Runs wrk; returns (output, {'non2xx': n, 'socket_errors': n, 'requests': n})."""
    p = subprocess.run(["wrk", f"-t{threads}", f"-c{conns}", f"-d{duration}", "--timeout", "5s",
                        url], capture_output=True, text=True, timeout=timeout)
    out = p.stdout + p.stderr
    assert p.returncode == 0, out
    m = re.search(r"Non-2xx or 3xx responses:\s*(\d+)", out)
    non2xx = int(m.group(1)) if m else 0
    m = re.search(r"Socket errors: connect (\d+), read (\d+), write (\d+), timeout (\d+)", out)
    errors = sum(int(x) for x in m.groups()) if m else 0
    m = re.search(r"(\d+) requests in", out)
    requests = int(m.group(1)) if m else 0
    return out, {"non2xx": non2xx, "socket_errors": errors, "requests": requests}


def stack(rules="      - forward: web\n", groups=None, edge="", extra=""):
    """A one-listener stack file on ${listen}; groups maps name -> list of target addresses."""
    groups = groups or {}
    text = "listeners:\n  - name: public\n    address: ${listen}\n    rules:\n" + rules
    text += "target_groups:\n"
    for name, targets in groups.items():
        text += f"  {name}:\n    targets: [{', '.join(targets)}]\n"
    if edge:
        text += "edge:\n" + edge
    return text + extra


# ---------------------------------------------------------------- a scriptable Python upstream

class Upstream:
    """A tiny HTTP/1.1 upstream in a thread, for what build/app cannot show.

    mode "ok":     answers every request 200 "ok" (Content-Length, keep-alive)
    mode "silent": accepts and reads, never answers
    mode "drop":   reads one request head, then closes without answering
    mode "script": answers each request with the raw bytes `script`, then closes
    It records .accepts (connections) and .requests: (request line, [(name, value)], body),
    parsed strictly (CRLF, Content-Length or chunked); anything else lands in .garbage.
    """

    def __init__(self, mode="ok", script=b""):
        self.mode = mode
        self.script = script
        self.accepts = 0
        self.requests = []
        self.garbage = []
        self.lock = threading.Lock()
        self.lsock = socket.socket(socket.AF_INET, socket.SOCK_STREAM)
        self.lsock.setsockopt(socket.SOL_SOCKET, socket.SO_REUSEADDR, 1)
        self.lsock.bind(("127.0.0.1", 0))
        self.lsock.listen(128)
        self.port = self.lsock.getsockname()[1]
        self.addr = f"127.0.0.1:{self.port}"
        self.conns = []
        self.stopping = False
        self.thread = None

    def __enter__(self):
        self.thread = threading.Thread(target=self._accept_loop, daemon=True)
        self.thread.start()
        return self

    def __exit__(self, *exc):
        self.stopping = True
        try:
            self.lsock.shutdown(socket.SHUT_RDWR)
        except OSError:
            pass
        self.lsock.close()
        with self.lock:
            for c in self.conns:
                try:
                    c.shutdown(socket.SHUT_RDWR)
                except OSError:
                    pass
                c.close()
        self.thread.join(5)
        return False

    def paths(self):
        with self.lock:
            return [r[0].split(" ")[1] for r in self.requests]

    def _accept_loop(self):
        while not self.stopping:
            try:
                c, _ = self.lsock.accept()
            except OSError:
                return
            with self.lock:
                self.accepts += 1
                self.conns.append(c)
            threading.Thread(target=self._serve, args=(c,), daemon=True).start()

    def _serve(self, c):
        buf = b""
        c.settimeout(60)

        def fill():
            nonlocal buf
            try:
                d = c.recv(65536)
            except OSError:
                d = b""
            buf += d
            return bool(d)

        try:
            while not self.stopping:
                while b"\r\n\r\n" not in buf:
                    if not fill():
                        return
                if self.mode == "silent":
                    while fill():
                        pass
                    return
                head, buf = buf.split(b"\r\n\r\n", 1)
                lines = head.decode("latin-1").split("\r\n")
                hdrs = [tuple(x.strip() for x in line.split(":", 1)) for line in lines[1:]]
                if any(len(h) != 2 for h in hdrs) or any("\n" in x or "\r" in x for x in lines):
                    with self.lock:
                        self.garbage.append(head)
                    return
                if self.mode == "drop":
                    with self.lock:
                        self.requests.append((lines[0], hdrs, b""))
                    return
                names = {n.lower(): v for n, v in hdrs}
                body = b""
                if "transfer-encoding" in names:
                    while True:
                        while b"\r\n" not in buf:
                            if not fill():
                                return
                        line, buf = buf.split(b"\r\n", 1)
                        size = int(line, 16)
                        while len(buf) < size + 2:
                            if not fill():
                                return
                        if size == 0:
                            while not buf.startswith(b"\r\n"):   # trailers
                                while b"\r\n" not in buf:
                                    if not fill():
                                        return
                                buf = buf.split(b"\r\n", 1)[1]
                            buf = buf[2:]
                            break
                        body += buf[:size]
                        buf = buf[size + 2:]
                elif "content-length" in names:
                    n = int(names["content-length"])
                    while len(buf) < n:
                        if not fill():
                            return
                    body, buf = buf[:n], buf[n:]
                with self.lock:
                    self.requests.append((lines[0], hdrs, body))
                if self.mode == "script":
                    c.sendall(self.script)
                    return
                c.sendall(b"HTTP/1.1 200 OK\r\nContent-Length: 2\r\nX-Instance: py\r\n\r\nok")
        finally:
            c.close()


# ---------------------------------------------------------------- target groups (tg_* scenarios)

import struct  # noqa: E402 - used only by the helpers below
from collections import Counter  # noqa: E402


def tg_stack(targets, name="web", rules=None, edge="", extra="", **keys):
    """A one-listener stack forwarding everything to one target group with options.

    targets: addresses, or (address, weight) pairs. keys: the YAML text of each further group
    key, e.g. health_check="{ path: /health, interval: 5s }", deregistration_delay="3s".
    """
    text = "listeners:\n  - name: public\n    address: ${listen}\n    rules:\n"
    text += rules if rules is not None else f"      - forward: {name}\n"
    text += f"target_groups:\n  {name}:\n    targets:\n"
    for t in targets:
        if isinstance(t, tuple):
            text += f"      - {{ address: {t[0]}, weight: {t[1]} }}\n"
        else:
            text += f"      - {t}\n"
    for k, v in keys.items():
        text += f"    {k}: {v}\n"
    if edge:
        text += "edge:\n" + edge
    return text + extra


def instance_counts(url, n, headers=None, timeout=IO_TIMEOUT):
    """Sends n GETs, each on a new connection; returns a Counter of the X-Instance that
    answered each 200, with any other outcome counted as "status N" or "error Name"."""
    counts = Counter()
    for _ in range(n):
        try:
            r = get(url, headers=headers, timeout=timeout)
        except (OSError, http.client.HTTPException) as e:
            counts[f"error {type(e).__name__}"] += 1
            continue
        counts[r.header("X-Instance") if r.status == 200 else f"status {r.status}"] += 1
    return counts


class RstUpstream:
    """An upstream that reads each request head, optionally sends `partial` bytes, then
    resets the connection (SO_LINGER 0). .requests holds the request lines it read."""

    def __init__(self, partial=b""):
        self.partial = partial
        self.requests = []
        self.lock = threading.Lock()
        self.lsock = socket.socket(socket.AF_INET, socket.SOCK_STREAM)
        self.lsock.setsockopt(socket.SOL_SOCKET, socket.SO_REUSEADDR, 1)
        self.lsock.bind(("127.0.0.1", 0))
        self.lsock.listen(128)
        self.port = self.lsock.getsockname()[1]
        self.addr = f"127.0.0.1:{self.port}"
        self.thread = None

    def __enter__(self):
        self.thread = threading.Thread(target=self._accept_loop, daemon=True)
        self.thread.start()
        return self

    def __exit__(self, *exc):
        try:
            self.lsock.shutdown(socket.SHUT_RDWR)
        except OSError:
            pass
        self.lsock.close()
        self.thread.join(5)
        return False

    def _accept_loop(self):
        while True:
            try:
                c, _ = self.lsock.accept()
            except OSError:
                return
            threading.Thread(target=self._serve, args=(c,), daemon=True).start()

    def _serve(self, c):
        buf = b""
        c.settimeout(30)
        try:
            while b"\r\n\r\n" not in buf:
                d = c.recv(65536)
                if not d:
                    return
                buf += d
            with self.lock:
                self.requests.append(buf.split(b"\r\n", 1)[0].decode("latin-1"))
            if self.partial:
                c.sendall(self.partial)
                time.sleep(0.05)
            c.setsockopt(socket.SOL_SOCKET, socket.SO_LINGER, struct.pack("ii", 1, 0))
        except OSError:
            pass
        finally:
            c.close()


# ---------------------------------------------------------------- the control socket

def control_request(sock_path, method, path):
    """One bodiless request over tierd's control socket: (status, headers with lower-case
    names, body bytes). The kits of tests/e2e/* build their helpers on it."""
    s = socket.socket(socket.AF_UNIX, socket.SOCK_STREAM)
    s.settimeout(IO_TIMEOUT)
    try:
        s.connect(sock_path)
        typed = "" if method in ("GET", "HEAD") else "Content-Type: application/json\r\n"
        s.sendall(f"{method} {path} HTTP/1.1\r\nHost: tierd\r\nConnection: close\r\n"
                  f"{typed}Content-Length: 0\r\n\r\n".encode())
        buf = b""
        while True:
            chunk = s.recv(65536)
            if not chunk:
                break
            buf += chunk
    finally:
        s.close()
    head, _, body = buf.partition(b"\r\n\r\n")
    lines = head.decode("latin-1").split("\r\n")
    hdrs = {}
    for line in lines[1:]:
        n, _, v = line.partition(":")
        hdrs[n.strip().lower()] = v.strip()
    return int(lines[0].split(" ")[1]), hdrs, body


# ---------------------------------------------------------------- probes: why a test may skip

# A test that cannot run here skips through need(NAME), never with a bare pytest.skip: the
# reason then reads "probe NAME: <detail>", and conftest.py, under CI=true, fails a skip
# whose probe succeeds on this machine (or that names no probe), so a test cannot go quiet
# on CI by skipping for a reason that is not true there. Each probe returns (ok, detail);
# the detail says what is missing and how to get it. Results are cached for the session.

PROBES = {}
_probe_results = {}
PROBE_SKIP_RE = re.compile(r"\bprobe ([a-z0-9_]+): ")


def probe(name):
    """Registers the decorated function as the probe NAME: () -> (ok, detail)."""
    def register(fn):
        PROBES[name] = fn
        return fn
    return register


def probe_result(name):
    """(ok, detail) of the probe NAME, run once per session; KeyError if there is none."""
    if name not in _probe_results:
        fn = PROBES[name]
        try:
            ok, detail = fn()
        except Exception as e:          # noqa: BLE001 - a probe that breaks says no
            ok, detail = False, f"the probe itself failed: {e!r}"
        _probe_results[name] = (bool(ok), detail)
    return _probe_results[name]


def need(*names):
    """Skips the calling test, naming the first probe of names that fails here."""
    import pytest
    __tracebackhide__ = True    # the skip is reported at the caller's line
    for name in names:
        ok, detail = probe_result(name)
        if not ok:
            pytest.skip(f"probe {name}: {detail}")


def skip_probe(name, detail):
    """Skips naming probe NAME when the test's own look found what the probe looks for
    missing (in CI this fails if the probe itself succeeds: the two disagree)."""
    import pytest
    __tracebackhide__ = True
    pytest.skip(f"probe {name}: {detail}")


def _run(argv, timeout=30):
    try:
        p = subprocess.run(argv, capture_output=True, text=True, timeout=timeout)
    except (OSError, subprocess.TimeoutExpired) as e:
        return False, f"{' '.join(argv)}: {e}"
    out = (p.stderr or p.stdout).strip()
    return p.returncode == 0, f"{' '.join(argv)}: exit {p.returncode}" + (f": {out}" if out else "")


def _which(prog, package):
    import shutil
    if shutil.which(prog):
        return True, ""
    return False, f"{prog} not found (package {package}; `scripts/deps.sh check` installs it)"


def _in_scratch_netns(*argv):
    """Runs argv inside a network namespace made for the purpose: (ok, detail)."""
    ns = f"tierd-probe-{os.getpid()}"
    ok, detail = _run(["ip", "netns", "add", ns])
    if not ok:
        return False, f"cannot create a network namespace: {detail}"
    try:
        return _run(["ip", "netns", "exec", ns, *argv])
    finally:
        _run(["ip", "netns", "del", ns])


@probe("root")
def _probe_root():
    uid = os.geteuid()
    return uid == 0, "running as root" if uid == 0 else f"needs root (euid {uid})"


@probe("netns")
def _probe_netns():
    ok, detail = probe_result("root")
    if not ok:
        return False, f"network namespaces {detail}"
    ok, detail = _which("ip", "iproute2")
    if not ok:
        return False, detail
    ok, detail = _in_scratch_netns("ip", "link", "set", "lo", "up")
    return ok, "ip netns add/exec/del work" if ok else detail


@probe("nft")
def _probe_nft():
    ok, detail = _which("nft", "nftables")
    if not ok:
        return False, detail
    ok, detail = probe_result("netns")
    if not ok:
        return False, f"nft runs in a network namespace, and: {detail}"
    ok, detail = _in_scratch_netns("nft", "list", "tables")
    return ok, ("nft talks to the kernel in a namespace" if ok else
                f"nft cannot talk to the kernel in a namespace: {detail}")


CHROMIUM = "/usr/bin/chromium"
CHROMEDRIVER = "/usr/bin/chromedriver"


@probe("crowdsec")
def _probe_crowdsec():
    for cmd in ("crowdsec", "cscli"):
        ok, detail = _which(cmd, "crowdsec")
        if not ok:
            return False, detail
    return True, "crowdsec and cscli are installed"


@probe("chromium")
def _probe_chromium():
    missing = [p for p in (CHROMIUM, CHROMEDRIVER) if not os.access(p, os.X_OK)]
    try:
        import selenium.webdriver  # noqa: F401
    except ImportError:
        missing.append("the selenium module")
    if missing:
        return False, ("missing " + ", ".join(missing) + " (`scripts/deps.sh check` installs "
                       "chromium, chromium-driver and python3-selenium)")
    return True, f"{CHROMIUM}, {CHROMEDRIVER} and selenium are present"


@probe("ipv6")
def _probe_ipv6():
    try:
        with socket.socket(socket.AF_INET6, socket.SOCK_STREAM) as s:
            s.bind(("::1", 0))
            s.listen(1)
    except OSError as e:
        return False, f"cannot listen on [::1]: {e}"
    return True, "[::1] accepts listeners"


@probe("kernel_backlog_hang")
def _probe_kernel_backlog_hang():
    # A listener with backlog 0 and one connection never accepted: Linux drops further SYNs,
    # so a connect to it hangs (the loopback stand-in for a black-holed target).
    socks = [socket.socket(socket.AF_INET, socket.SOCK_STREAM) for _ in range(3)]
    lsock, filler, probe_sock = socks
    try:
        lsock.bind(("127.0.0.1", 0))
        lsock.listen(0)
        filler.connect(lsock.getsockname())
        probe_sock.settimeout(0.5)
        try:
            probe_sock.connect(lsock.getsockname())
        except socket.timeout:
            return True, "a connect to a full backlog hangs"
        return False, "this kernel accepts past a full backlog; a connect cannot be made to hang"
    finally:
        for s in socks:
            s.close()


@probe("sshd")
def _probe_sshd():
    # The SFTP backup scenario runs a real OpenSSH server on a loopback port.
    for prog, package in (("sshd", "openssh-server"), ("ssh", "openssh-client"),
                          ("ssh-keygen", "openssh-client")):
        ok, detail = _which(prog, package)
        if not ok:
            return False, detail
    return _run(["ssh", "-V"])


@probe("mariadb")
def _probe_mariadb():
    # The data tier's scenarios run a real server: Debian's mariadb-server and its client.
    for prog, package in (("mariadbd", "mariadb-server"), ("mariadb-install-db", "mariadb-server"),
                          ("mariadb", "mariadb-client")):
        ok, detail = _which(prog, package)
        if not ok:
            return False, detail
    return _run(["mariadbd", "--version"])

"""Process helpers for the benchmark: start, wait, stop, and read /proc.

Every process started through `Procs.start` is recorded and killed (its whole process
group) by `Procs.stop_all`, which run.py calls from a `finally` block.
"""

import os
import signal
import socket
import subprocess
import time


def free_port():
    """A free TCP port on 127.0.0.1 (bind port 0, read it back, close)."""
    with socket.socket(socket.AF_INET, socket.SOCK_STREAM) as s:
        s.bind(("127.0.0.1", 0))
        return s.getsockname()[1]


def port_open(port, timeout=0.2):
    try:
        with socket.create_connection(("127.0.0.1", port), timeout=timeout):
            return True
    except OSError:
        return False


class StartError(RuntimeError):
    pass


class Procs:
    def __init__(self, log):
        self.live = []          # Popen objects still to be stopped
        self.log = log          # callable(list_of_args) recording the exact commands

    def start(self, args, *, stdout_path, stderr_path=None, cpus=None, cwd=None, env=None):
        """Start args in a new session (own process group); stdout to stdout_path, stderr
        to stderr_path (or also to stdout_path); env: variables added to ours."""
        if cpus is not None:
            args = ["taskset", "-c", cpus] + list(args)
        self.log(args)
        out = open(stdout_path, "wb")
        err = open(stderr_path, "wb") if stderr_path else None
        try:
            p = subprocess.Popen(args, stdin=subprocess.DEVNULL, stdout=out,
                                 stderr=err or subprocess.STDOUT, cwd=cwd,
                                 env=dict(os.environ, **env) if env else None,
                                 start_new_session=True)
        finally:
            out.close()
            if err:
                err.close()
        p.out_path = stderr_path or stdout_path
        self.live.append(p)
        return p

    def wait_ready(self, p, port, timeout=10.0, banner=None):
        """Wait until port accepts connections (and banner, if given, is in the output)."""
        deadline = time.monotonic() + timeout
        while time.monotonic() < deadline:
            if p.poll() is not None:
                raise StartError(f"exited with status {p.returncode} before listening; "
                                 f"output: {tail(p.out_path)}")
            if port_open(port) and (banner is None or banner in read_text(p.out_path)):
                return
            time.sleep(0.05)
        raise StartError(f"not listening on 127.0.0.1:{port} after {timeout:.0f}s; "
                         f"output: {tail(p.out_path)}")

    def stop(self, p, grace=5.0):
        """SIGTERM the process group, SIGKILL after grace seconds."""
        if p in self.live:
            self.live.remove(p)
        try:
            pgid = os.getpgid(p.pid)
        except ProcessLookupError:
            pgid = None
        for sig, wait in ((signal.SIGTERM, grace), (signal.SIGKILL, 2.0)):
            if p.poll() is not None and pgid is None:
                break
            try:
                if pgid is not None:
                    os.killpg(pgid, sig)
                else:
                    p.send_signal(sig)
            except ProcessLookupError:
                pass
            try:
                p.wait(timeout=wait)
                # the leader is gone; make sure no group member (nginx worker) survives
                if pgid is not None and group_alive(pgid):
                    time.sleep(0.2)
                    if group_alive(pgid):
                        continue
                break
            except subprocess.TimeoutExpired:
                continue
        if pgid is not None and group_alive(pgid):
            try:
                os.killpg(pgid, signal.SIGKILL)
            except ProcessLookupError:
                pass

    def stop_all(self):
        for p in list(reversed(self.live)):
            try:
                self.stop(p, grace=3.0)
            except Exception:  # keep going: every process must be stopped
                pass


def build_c(src, exe, log, extra=()):
    """Build one libc-only bench/ C program into exe when it is missing or older than src."""
    if os.path.exists(exe) and os.path.getmtime(exe) >= os.path.getmtime(src):
        return
    args = [os.environ.get("CC", "cc"), "-O2", "-std=c17", "-Wall", "-Wextra", "-o", exe, src,
            *extra]
    log(args)
    p = subprocess.run(args, capture_output=True, text=True, timeout=120)
    if p.returncode != 0:
        raise RuntimeError(f"building {os.path.basename(exe)} failed:\n{p.stderr.strip()}")


def group_alive(pgid):
    try:
        os.killpg(pgid, 0)
        return True
    except ProcessLookupError:
        return False
    except PermissionError:
        return True


def read_text(path):
    try:
        with open(path, "r", errors="replace") as f:
            return f.read()
    except OSError:
        return ""


def tail(path, n=600):
    t = read_text(path).strip()
    return ("..." + t[-n:]) if len(t) > n else (t or "(none)")


# ---- /proc readers -------------------------------------------------------------------

CLK_TCK = os.sysconf("SC_CLK_TCK")


def _stat_fields(pid):
    with open(f"/proc/{pid}/stat") as f:
        s = f.read()
    # comm may contain spaces and parentheses: split after the last ')'
    return s[s.rindex(")") + 2:].split()


def ppid_of(pid):
    return int(_stat_fields(pid)[1])


def descendants(pid):
    """All live descendants of pid (children, grandchildren, ...), by scanning /proc."""
    parent = {}
    for d in os.listdir("/proc"):
        if d.isdigit():
            try:
                parent[int(d)] = ppid_of(int(d))
            except (OSError, ValueError):
                pass
    out, frontier = [], [pid]
    while frontier:
        cur = frontier.pop()
        kids = [c for c, pp in parent.items() if pp == cur]
        out.extend(kids)
        frontier.extend(kids)
    return sorted(out)


def cpu_seconds(pids):
    """utime+stime (all threads) of the given processes, in seconds."""
    total = 0
    for pid in pids:
        f = _stat_fields(pid)
        total += int(f[11]) + int(f[12])   # fields 14 (utime) and 15 (stime)
    return total / CLK_TCK


def rss_bytes(pids):
    """Sum of VmRSS of the given processes, in bytes."""
    total = 0
    for pid in pids:
        with open(f"/proc/{pid}/status") as f:
            for line in f:
                if line.startswith("VmRSS:"):
                    total += int(line.split()[1]) * 1024
                    break
    return total


def fd_count(pids):
    n = 0
    for pid in pids:
        try:
            n += len(os.listdir(f"/proc/{pid}/fd"))
        except OSError:
            pass
    return n

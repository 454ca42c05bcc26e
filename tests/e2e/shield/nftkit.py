"""
tests/e2e/shield/nftkit.py: tierd inside the network namespace of the `netns` fixture (from
test_nftables_in_a_netns.py, which also decides when such a test skips), for the scenarios
on the kernel tables tierd owns (docs/internals/nftables.md). One NsTierd keeps its
state_dir across start()/stop(), so a scenario can restart tierd with another
shield.nftables; tables() and elements() read the kernel with nft; reach() says whether a
127.x source gets through to tierd.
"""
import os
import shutil
import subprocess
import tempfile

from harness import START_TIMEOUT, TIERD, current_logs, free_port, temp_paths, wait_for
from test_nftables_in_a_netns import NS, in_ns, sh

NOBODY = ["setpriv", "--reuid=nobody", "--regid=nogroup", "--clear-groups",
          "--inh-caps=+net_admin", "--ambient-caps=+net_admin"]


class NsTierd:
    """tierd run in the namespace; as root, or (nobody=True) as nobody with only
    CAP_NET_ADMIN. The listener forwards to a port nothing listens on: an unbanned client
    gets an HTTP error status, which is all reach() needs."""

    def __init__(self, nobody=False):
        self.dir = tempfile.mkdtemp(prefix="tierd-e2e-nft-")
        temp_paths.append(self.dir)
        self.port = free_port()
        self.sock = os.path.join(self.dir, "tierd.sock")
        self.nobody = nobody
        self.exe = TIERD
        self.proc = None
        self.starts = 0
        if nobody:
            # nobody must be able to run the binary and write the state dir, wherever the
            # checkout lives.
            self.exe = os.path.join(self.dir, "tierd")
            shutil.copy(TIERD, self.exe)
            os.chmod(self.dir, 0o755)
            os.makedirs(os.path.join(self.dir, "state"))
            for p in (self.dir, os.path.join(self.dir, "state")):
                os.chown(p, 65534, 65534)

    def start(self, nftables):
        """Starts tierd with `shield: { nftables: { <nftables> } }` and waits for its
        control socket; the mirror is set up (or not) by then."""
        assert self.proc is None
        self.starts += 1
        path = os.path.join(self.dir, f"stack{self.starts}.yaml")
        with open(path, "w") as f:
            f.write(f"""listeners:
  - name: public
    address: 127.0.0.1:{self.port}
    rules:
      - forward: web
target_groups:
  web:
    targets: [127.0.0.1:1]
shield:
  nftables: {{ {nftables} }}
state_dir: {self.dir}/state
control: {{ socket: {self.sock} }}
""")
        os.chmod(path, 0o644)
        err = open(os.path.join(self.dir, f"tierd{self.starts}.stderr"), "wb")
        argv = ["ip", "netns", "exec", NS] + (NOBODY if self.nobody else []) + \
            [self.exe, "run", path]
        self.proc = subprocess.Popen(argv, stdout=err, stderr=subprocess.STDOUT,
                                     stdin=subprocess.DEVNULL, cwd=self.dir)
        current_logs.append((f"tierd stderr (start {self.starts}, in the namespace)", err.name,
                             self.proc))
        wait_for(lambda: self.proc.poll() is None and self.cli("status").returncode == 0,
                 START_TIMEOUT, what="tierd to start")
        return self

    def stop(self):
        if self.proc is None:
            return
        if self.proc.poll() is None:
            self.proc.terminate()
            try:
                self.proc.wait(timeout=15)
            except subprocess.TimeoutExpired:
                self.proc.kill()
                self.proc.wait(timeout=10)
        self.proc = None

    def __enter__(self):
        return self

    def __exit__(self, *exc):
        self.stop()

    def cli(self, *args):
        return sh(TIERD, *args, "--socket", self.sock, check=False)

    def ban(self, addr, duration="1h"):
        p = self.cli("bans", "add", addr, "--duration", duration)
        assert p.returncode == 0, p.stdout + p.stderr

    def unban(self, addr):
        p = self.cli("bans", "remove", addr)
        assert p.returncode == 0, p.stdout + p.stderr

    def reach(self, src):
        """"dropped" when the kernel drops src's packets (the connect times out), "closed"
        when tierd itself refuses it (an in-process ban), else the HTTP status."""
        p = in_ns("curl", "-s", "-o", "/dev/null", "-w", "%{http_code}", "--connect-timeout",
                  "1", "-m", "5", "--interface", src, f"http://127.0.0.1:{self.port}/",
                  check=False)
        if p.returncode == 28 and p.stdout in ("", "000"):
            return "dropped"
        if p.stdout not in ("", "000"):
            return int(p.stdout)
        return "closed"


def tables():
    """{name: `nft list table` text} of the namespace's inet tables."""
    out = in_ns("nft", "list", "tables").stdout.split()
    names = [out[i + 2] for i in range(len(out) - 2) if out[i] == "table" and out[i + 1] == "inet"]
    return {n: in_ns("nft", "list", "table", "inet", n).stdout for n in names}


def elements(table, set_name):
    """The listing of one set with its elements, or None when there is no such set."""
    p = in_ns("nft", "list", "set", "inet", table, set_name, check=False)
    return p.stdout if p.returncode == 0 else None


def wait_element(table, set_name, addr, timeout=10):
    return wait_for(lambda: addr in (elements(table, set_name) or ""), timeout,
                    what=f"{addr} in set {set_name} of table inet {table}")

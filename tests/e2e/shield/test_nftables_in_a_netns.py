"""nftables mirroring, for real: tierd runs inside a network namespace this test creates
(`ip netns add`, `ip netns exec`), a scanner inside it is banned, and `nft list set inet
tierd banned_v4` in that namespace shows the address with a timeout; removing the ban
removes the element. Skipped where the probes netns or nft fail (not root; nftables is
installed by `scripts/deps.sh check`, never by the test)."""
import json
import os
import subprocess
import tempfile
import time

import pytest

from harness import (APP, START_TIMEOUT, TIERD, current_logs, free_port, need, temp_paths,
                     wait_for)
from shieldkit import NIKTO_UA

NS = f"tierd-e2e-{os.getpid()}"


def sh(*argv, timeout=30, check=True):
    p = subprocess.run(argv, capture_output=True, text=True, timeout=timeout)
    if check:
        assert p.returncode == 0, f"{' '.join(argv)}: {p.stdout}{p.stderr}"
    return p


@pytest.fixture
def netns():
    need("netns", "nft")
    # The probes made a namespace and ran nft in one: failing now is a failure, not a skip.
    sh("ip", "netns", "add", NS)
    try:
        sh("ip", "netns", "exec", NS, "ip", "link", "set", "lo", "up")
        sh("ip", "netns", "exec", NS, "nft", "list", "tables")
        yield NS
    finally:
        subprocess.run(["ip", "netns", "del", NS], capture_output=True, timeout=30)


def in_ns(*argv, **kw):
    return sh("ip", "netns", "exec", NS, *argv, **kw)


def test_bans_are_mirrored_into_nftables_inside_a_namespace(netns):
    d = tempfile.mkdtemp(prefix="tierd-e2e-nft-")
    temp_paths.append(d)
    app_port, port = free_port(), free_port()
    sock = os.path.join(d, "tierd.sock")
    with open(os.path.join(d, "stack.yaml"), "w") as f:
        f.write(f"""listeners:
  - name: public
    address: 127.0.0.1:{port}
    rules:
      - forward: web
target_groups:
  web:
    targets: [127.0.0.1:{app_port}]
shield:
  scanners: {{ ban: 10m }}
  nftables: {{ enabled: true }}
state_dir: {d}/state
control: {{ socket: {sock} }}
""")
    procs = []
    try:
        log = open(os.path.join(d, "app.log"), "wb")
        procs.append(subprocess.Popen(["ip", "netns", "exec", NS, APP, "--listen",
                                       f"127.0.0.1:{app_port}", "--name", "a"],
                                      stdout=log, stderr=log, stdin=subprocess.DEVNULL))
        err = open(os.path.join(d, "tierd.stderr"), "wb")
        procs.append(subprocess.Popen(["ip", "netns", "exec", NS, TIERD, "run",
                                       os.path.join(d, "stack.yaml")], stdout=err,
                                      stderr=subprocess.STDOUT, stdin=subprocess.DEVNULL,
                                      cwd=d))
        current_logs.append(("tierd stderr (in the namespace)", err.name, procs[-1]))

        def cli(*args):
            return sh(TIERD, *args, "--socket", sock, check=False)

        def curl(src, *args):
            return in_ns("curl", "-s", "-o", "/dev/null", "-w", "%{http_code}", "-m", "3",
                         "--interface", src, *args, f"http://127.0.0.1:{port}/", check=False)

        wait_for(lambda: cli("status").returncode == 0, START_TIMEOUT, what="tierd to start")
        wait_for(lambda: curl("127.0.0.1").stdout == "200", START_TIMEOUT, what="a 200")

        curl("127.0.0.73", "-A", NIKTO_UA)
        assert cli("bans", "add", "127.0.0.74", "--duration", "1h").returncode == 0

        def banned_set():
            out = in_ns("nft", "list", "set", "inet", "tierd", "banned_v4",
                        check=False).stdout
            return out if "127.0.0.73" in out and "127.0.0.74" in out else None
        out = wait_for(banned_set, 10, what="both addresses in the nftables set")
        for line in out.split(","):
            if "127.0.0.73" in line or "127.0.0.74" in line:
                assert "timeout" in line and "expires" in line, out
        bans = {b["address"]: b for b in json.loads(cli("bans", "--json").stdout)["bans"]}
        assert bans["127.0.0.73"]["reason"] == "scanner_ua"
        # The kernel drops the banned address's packets: the connection times out.
        assert curl("127.0.0.73").stdout == "000"
        rules = in_ns("nft", "list", "table", "inet", "tierd").stdout
        assert "hook input" in rules and "@banned_v4" in rules, rules

        assert cli("bans", "remove", "127.0.0.74").returncode == 0
        wait_for(lambda: "127.0.0.74" not in in_ns("nft", "list", "set", "inet", "tierd",
                                                   "banned_v4").stdout, 10,
                 what="the element to be removed")
        assert curl("127.0.0.74").stdout == "200"
    finally:
        for p in reversed(procs):
            if p.poll() is None:
                p.terminate()
                try:
                    p.wait(timeout=15)
                except subprocess.TimeoutExpired:
                    p.kill()
                    p.wait(timeout=10)
        time.sleep(0.1)

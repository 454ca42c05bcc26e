"""shield.ipv6_prefix, for real. tierd listens on [::1] inside a network namespace this test
creates; the clients' source addresses are documentation addresses (2001:db8::/32) put on
that namespace's loopback, so every packet targets ::1 and none leaves the namespace.

- A scanner rotating its source address inside 2001:db8:1:2::/64, one sensitive-file probe
  per address (each below the detector's capacity of 4), is banned as 2001:db8:1:2::/64;
  a fresh address of that /64 is then refused (by the kernel, where nft works: the element
  is the prefix) while an address of 2001:db8:1:3::/64 is served.
- With `ipv6_prefix: 128` the same rotation bans nobody, and one address probing five
  times is banned alone.
- `tierd analyze` over a log of such a rotation reports one offender, the /64, and
  suggests it for `deny`; `--ipv6-prefix 128` (or a stack file saying 128) finds nobody.
"""
import json
import os
import subprocess
import tempfile

import pytest

from harness import (APP, START_TIMEOUT, TIERD, current_logs, free_port, need, probe_result,
                     temp_paths, wait_for)

NS = f"tierd-e2e-v6-{os.getpid()}"
NET, OTHER = "2001:db8:1:2::", "2001:db8:1:3::"
ROTATING = [f"{NET}{i:x}" for i in range(0x11, 0x18)]     # seven scanner addresses
WARM, FRESH, BROWSER, LONE = f"{NET}10", f"{NET}99", f"{OTHER}10", f"{NET}20"
PROBES = ["/.env", "/.git/config", "/.htpasswd", "/wp-config.php", "/.aws/credentials",
          "/phpinfo.php", "/.ssh/id_rsa"]

# Runs inside the namespace: one GET per (source, path) on its own connection to [::1]:port;
# prints the outcomes as JSON: the status, "closed" (tierd refused it at accept or reset it),
# "refused" (nothing listens) or "timeout" (the kernel dropped the packets).
CLIENT = r"""
import http.client, json, socket, sys
port, plan = int(sys.argv[1]), json.loads(sys.argv[2])
out = []
for src, path in plan:
    c = http.client.HTTPConnection("::1", port, timeout=1.0, source_address=(src, 0))
    try:
        try:
            c.connect()
        except socket.timeout:
            out.append("timeout"); continue
        except ConnectionRefusedError:
            out.append("refused"); continue
        c.sock.settimeout(5.0)
        try:
            c.request("GET", path)
            r = c.getresponse(); r.read(); out.append(r.status)
        except (ConnectionResetError, BrokenPipeError, http.client.RemoteDisconnected,
                http.client.BadStatusLine):
            out.append("closed")
    finally:
        c.close()
print(json.dumps(out))
"""


def sh(*argv, timeout=30, check=True):
    p = subprocess.run(argv, capture_output=True, text=True, timeout=timeout)
    if check:
        assert p.returncode == 0, f"{' '.join(argv)}: {p.stdout}{p.stderr}"
    return p


def in_ns(*argv, **kw):
    return sh("ip", "netns", "exec", NS, *argv, **kw)


@pytest.fixture(scope="module")
def netns():
    need("netns", "ipv6")
    sh("ip", "netns", "add", NS)
    try:
        in_ns("ip", "link", "set", "lo", "up")
        # nodad: the addresses are usable at once (loopback has no neighbours anyway).
        addrs = ROTATING + [WARM, FRESH, LONE, BROWSER]
        batch = "".join(f"address add {a}/64 dev lo nodad\n" for a in addrs)
        p = subprocess.run(["ip", "netns", "exec", NS, "ip", "-6", "-batch", "-"], input=batch,
                           capture_output=True, text=True, timeout=30)
        assert p.returncode == 0, p.stderr
        yield NS
    finally:
        subprocess.run(["ip", "netns", "del", NS], capture_output=True, timeout=30)


class V6Tierd:
    """tierd and the sample app inside the namespace; tierd on [::1]:port forwarding to the
    app on 127.0.0.1, its control socket in the test's directory (reachable from here)."""

    def __init__(self, shield, nft=False):
        self.nft = nft
        self.dir = tempfile.mkdtemp(prefix="tierd-e2e-v6-")
        temp_paths.append(self.dir)
        self.port, app_port = free_port(), free_port()
        self.sock = os.path.join(self.dir, "tierd.sock")
        self.client = os.path.join(self.dir, "client.py")
        with open(self.client, "w") as f:
            f.write(CLIENT)
        stack = os.path.join(self.dir, "stack.yaml")
        with open(stack, "w") as f:
            f.write(f"""listeners:
  - name: public
    address: "[::1]:{self.port}"
    rules:
      - forward: web
target_groups:
  web:
    targets: [127.0.0.1:{app_port}]
shield:
{shield}  nftables: {{ enabled: {"true" if nft else "false"} }}
state_dir: {self.dir}/state
control: {{ socket: {self.sock} }}
""")
        self.procs = []
        log = open(os.path.join(self.dir, "app.log"), "wb")
        self.procs.append(subprocess.Popen(["ip", "netns", "exec", NS, APP, "--listen",
                                            f"127.0.0.1:{app_port}", "--name", "a"],
                                           stdout=log, stderr=log, stdin=subprocess.DEVNULL))
        err = open(os.path.join(self.dir, "tierd.stderr"), "wb")
        self.procs.append(subprocess.Popen(["ip", "netns", "exec", NS, TIERD, "run", stack],
                                           stdout=err, stderr=subprocess.STDOUT,
                                           stdin=subprocess.DEVNULL, cwd=self.dir))
        current_logs.append(("tierd stderr (in the namespace)", err.name, self.procs[-1]))

    def __enter__(self):
        try:
            wait_for(lambda: self.procs[-1].poll() is None and
                     self.cli("status").returncode == 0, START_TIMEOUT, what="tierd to start")
            wait_for(lambda: self.get([(WARM, "/")]) == [200], START_TIMEOUT,
                     what="a 200 through tierd on [::1]")
        except BaseException:
            self.__exit__()
            raise
        return self

    def __exit__(self, *exc):
        for p in reversed(self.procs):
            if p.poll() is None:
                p.terminate()
                try:
                    p.wait(timeout=15)
                except subprocess.TimeoutExpired:
                    p.kill()
                    p.wait(timeout=10)
        if self.nft:
            # Stopping tierd leaves its table (docs/shield.md): the next test's fresh
            # state_dir would not know it, and its bans would drop that test's clients.
            in_ns("nft", "delete", "table", "inet", "tierd", check=False)

    def cli(self, *args):
        return sh(TIERD, *args, "--socket", self.sock, check=False)

    def get(self, plan):
        """The outcomes of plan, [(source, path)], run from inside the namespace."""
        p = in_ns("/usr/bin/python3", self.client, str(self.port), json.dumps(plan),
                  timeout=60)
        return json.loads(p.stdout)

    def bans(self):
        p = self.cli("bans", "--json")
        assert p.returncode == 0, p.stdout + p.stderr
        return {b["address"]: b for b in json.loads(p.stdout)["bans"]}

    def wait_ban(self, addr):
        return wait_for(lambda: self.bans().get(addr), 10, what=f"a ban of {addr}")


REFUSED = ("closed", "timeout", 403)


def test_a_scanner_rotating_inside_its_64_is_banned_by_the_prefix(netns):
    nft = probe_result("nft")[0]            # the kernel part where nft works here
    with V6Tierd("  scanners: { ban: 10m }\n", nft=nft) as t:
        out = t.get([(src, PROBES[i]) for i, src in enumerate(ROTATING[:5])])
        # Four probes from four addresses pass (each address is far below the detector);
        # the fifth, from a fifth address, overflows the /64's bucket and is refused.
        assert all(o not in REFUSED for o in out[:4]), out
        assert out[4] == 403, out
        ban = t.wait_ban(f"{NET}/64")
        assert ban["reason"] == "sensitive_files", ban
        assert ROTATING[4] in ban["evidence"], ban
        assert not any(a.startswith(NET) and a != f"{NET}/64" for a in t.bans()), t.bans()
        if nft:
            wait_for(lambda: NET in in_ns("nft", "list", "set", "inet", "tierd",
                                          "banned_v6_64", check=False).stdout, 10,
                     what="the /64 in the kernel's prefix set")
        # A fresh address of the banned /64 is refused; one of the next /64 is served.
        fresh, browser = t.get([(FRESH, "/"), (BROWSER, "/")])
        assert fresh == ("timeout" if nft else "closed"), fresh
        assert browser == 200, browser


def test_with_ipv6_prefix_128_each_address_stands_alone(netns):
    with V6Tierd("  ipv6_prefix: 128\n  scanners: { ban: 10m }\n") as t:
        out = t.get([(src, PROBES[i]) for i, src in enumerate(ROTATING)])
        assert all(o not in REFUSED for o in out), out
        # One address probing five times is banned, alone.
        out = t.get([(LONE, p) for p in PROBES[:5]])
        assert out[4] == 403, out
        t.wait_ban(LONE)
        assert set(t.bans()) == {LONE}, t.bans()
        assert t.get([(LONE, "/"), (FRESH, "/"), (ROTATING[0], "/")]) == ["closed", 200, 200]


def test_analyze_reports_the_rotating_prefix(tmp_path):
    log = tmp_path / "access.log"
    lines = []
    for i in range(30):     # one failing distinct path per address: path_bruteforce holds 20
        lines.append(f'{NET}{i + 1:x} - - [24/Nov/2026:21:00:{i // 10:02d} +0000] '
                     f'"GET /word{i} HTTP/1.1" 404 153 "-" "Mozilla/5.0"\n')
    lines.append(f'{OTHER}5 - - [24/Nov/2026:21:00:05 +0000] "GET / HTTP/1.1" 200 9 "-" '
                 f'"Mozilla/5.0"\n')
    log.write_text("".join(lines))
    stack = tmp_path / "stack.yaml"
    stack.write_text("shield:\n  ipv6_prefix: 128\n")

    def analyze(*args):
        p = subprocess.run([TIERD, "analyze", str(log), "--json", *args], capture_output=True,
                           text=True, timeout=60)
        assert p.returncode == 0, p.stderr
        return json.loads(p.stdout)

    doc = analyze()
    assert doc["ipv6_prefix"] == 64
    assert [o["address"] for o in doc["offenders"]] == [f"{NET}/64"]
    o = doc["offenders"][0]
    assert o["requests"] == 30 and o["distinct_addresses"] == 30
    assert o["attacks"] == ["path_bruteforce"]
    assert [e["entry"] for e in doc["deny"]] == [f"{NET}/64"]
    assert f'"{NET}/64"' in doc["stack_file"]
    assert doc["addresses"] == 31 and doc["clients"] == 2

    for args in (["--ipv6-prefix", "128"], ["--stack", str(stack)]):
        doc = analyze(*args)
        assert doc["ipv6_prefix"] == 128 and doc["offenders"] == [], args
    doc = analyze("--stack", str(stack), "--ipv6-prefix", "64")     # the option wins
    assert [o["address"] for o in doc["offenders"]] == [f"{NET}/64"]

    p = subprocess.run([TIERD, "analyze", str(log), "--ipv6-prefix", "16"],
                       capture_output=True, text=True, timeout=60)
    assert p.returncode == 2 and "--ipv6-prefix" in p.stderr, p.stderr

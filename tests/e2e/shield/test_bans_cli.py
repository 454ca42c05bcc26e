"""`tierd bans add/remove` and `tierd shield`: a manual ban (address or CIDR) is refused at
accept until it is removed; the table shows reason and remaining time; bad input is a usage
error (2), an unknown ban the daemon's refusal (1), a stopped daemon 3."""
import json
import subprocess

from harness import TIERD, App, Tierd
from shieldkit import accepted, cli, shield_stack


def test_bans_add_list_remove_through_the_cli():
    with App(name="a") as app, Tierd(shield_stack(app.addr, "  mode: block\n")) as t:
        assert accepted(t, "127.0.0.70")
        p = cli(t, "bans", "add", "127.0.0.70", "--duration", "10m", "--reason", "abuse desk")
        assert p.returncode == 0, p.stderr
        assert "127.0.0.70" in p.stdout and "10m" in p.stdout
        p = cli(t, "bans", "add", "127.0.9.0/24", "--duration=1d")
        assert p.returncode == 0, p.stderr
        assert not accepted(t, "127.0.0.70")
        assert not accepted(t, "127.0.9.33")
        assert accepted(t, "127.0.10.1")

        p = cli(t, "bans")
        assert p.returncode == 0, p.stderr
        lines = p.stdout.splitlines()
        assert lines[0].split() == ["ADDRESS", "COUNTRY", "REASON", "MODE", "STARTED",
                                    "EXPIRES", "REMAINING", "EVIDENCE"]
        col = lines[0].index("REASON")
        rows = {line.split()[0]: line for line in lines[1:]}
        assert rows["127.0.0.70"][col:].startswith("abuse desk")
        assert "enforced" in rows["127.0.0.70"]
        assert " 9m " in rows["127.0.0.70"] or " 10m 0s " in rows["127.0.0.70"]
        assert "23h" in rows["127.0.9.0/24"] or "1d 0h" in rows["127.0.9.0/24"]
        p = cli(t, "bans", "list", "--json")
        doc = json.loads(p.stdout)
        ban = {b["address"]: b for b in doc["bans"]}["127.0.0.70"]
        assert ban["reason"] == "abuse desk" and ban["expiry"] - ban["start"] == 600

        p = cli(t, "bans", "remove", "127.0.0.70")
        assert p.returncode == 0, p.stderr
        p = cli(t, "bans", "remove", "127.0.9.0/24")       # sent as 127.0.9.0%2F24
        assert p.returncode == 0, p.stderr
        assert accepted(t, "127.0.0.70") and accepted(t, "127.0.9.33")
        assert cli(t, "bans").stdout.strip() == "no bans"

        p = cli(t, "bans", "remove", "127.0.0.70")
        assert p.returncode == 1 and "no ban for 127.0.0.70" in p.stderr
        p = cli(t, "bans", "add", "not-an-address")
        assert p.returncode == 1 and "not an IP address" in p.stderr
        for bad in (["bans", "add", "127.0.0.1", "--duration", "1x"],
                    ["bans", "add", "127.0.0.1", "--duration", "30s1m"],
                    ["bans", "add", "127.0.0.1", "--duration", "366d"],
                    ["bans", "add"], ["bans", "drop", "127.0.0.1"],
                    ["bans", "remove", "127.0.0.1", "--reason", "x"]):
            p = cli(t, *bad)
            assert p.returncode == 2, (bad, p.stdout, p.stderr)

        p = cli(t, "shield")
        assert p.returncode == 0, p.stderr
        assert p.stdout.splitlines()[0] == "shield enabled"
        counters = dict(line.split() for line in p.stdout.splitlines()[2:])
        assert int(counters["ban"]) >= 2 and int(counters["bans_active"]) == 0
        assert json.loads(cli(t, "shield", "--json").stdout)["enabled"] is True
        sock = t.dir + "/tierd.sock"
    p = subprocess.run([TIERD, "bans", "--socket", sock], capture_output=True, text=True,
                       timeout=30)
    assert p.returncode == 3 and "cannot reach the daemon" in p.stderr

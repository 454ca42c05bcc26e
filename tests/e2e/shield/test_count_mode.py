"""mode: count blocks nothing (a scan, sensitive-file probes and nikto all reach the app)
but records who would have been banned: `tierd bans --json` lists them with count_only."""
import json
import secrets

from harness import App, Tierd, wait_for
from shieldkit import NIKTO_UA, cli, counters, request, shield_stack, wait_ban


def test_count_mode_records_without_refusing():
    with App(name="a") as app, Tierd(shield_stack(app.addr, "  mode: count\n")) as t:
        out = [request(t, "127.0.0.67", "/" + secrets.token_hex(6)) for _ in range(40)]
        out += [request(t, "127.0.0.67", p) for p in
                ("/.env", "/.git/config", "/.aws/credentials", "/.htpasswd", "/backup.sql")]
        assert set(out) == {404}, out
        assert request(t, "127.0.0.68", "/", headers={"User-Agent": NIKTO_UA}) == 200
        for _ in range(5):
            assert request(t, "127.0.0.68", "/") == 200

        wait_ban(t, "127.0.0.67", count_only=True)
        wait_ban(t, "127.0.0.68", count_only=True)
        p = cli(t, "bans", "--json")
        assert p.returncode == 0, p.stderr
        listed = {b["address"]: b for b in json.loads(p.stdout)["bans"]}
        assert listed["127.0.0.67"]["count_only"] is True
        assert listed["127.0.0.68"]["count_only"] is True
        assert listed["127.0.0.68"]["reason"] == "scanner_ua"
        assert all(b["count_only"] for b in listed.values())
        p = cli(t, "bans")
        assert p.returncode == 0, p.stderr
        rows = {line.split()[0]: line.split() for line in p.stdout.splitlines()[1:]}
        assert rows["127.0.0.67"][3] == "count-only"
        # Still nothing refused.
        assert request(t, "127.0.0.67", "/") == 200
        c = wait_for(lambda: counters(t), 5)
        assert c["ban"] == 0 and c["ban_counted"] >= 0 and c["bans_added"] == 0
        assert c["bans_counted_only"] >= 2

"""`tierd targets [GROUP]`: an aligned table of every target, or one group's; --json gives
the API's objects; an unknown group is exit 1 with the daemon's message."""
import json

from harness import App, Tierd, get
from ctlkit import cli, ctl_stack


def test_targets_table_filter_and_json():
    with App(name="a") as a, App(name="b") as b:
        with Tierd(ctl_stack(groups={"web": [a.addr], "api": [b.addr]})) as t:
            assert get(t.url("/")).status == 200

            p = cli(t, "targets")
            assert p.returncode == 0, p.stderr
            lines = p.stdout.splitlines()
            assert lines[0].split() == ["GROUP", "ADDRESS", "STATE", "REASON", "WEIGHT",
                                        "IN-FLIGHT", "REQUESTS", "ERRORS", "AVG-MS", "SOURCE"]
            # Columns are aligned: every row starts its ADDRESS where the header does.
            col = lines[0].index("ADDRESS")
            for line in lines[1:]:
                assert line[col - 2:col] == "  " and line[col] != " ", p.stdout
            rows = {line.split()[1]: line.split() for line in lines[1:]}
            assert set(rows) == {a.addr, b.addr}
            assert rows[a.addr][0] == "web" and rows[a.addr][2] == "healthy"
            assert rows[a.addr][6] == "1"           # the request above
            assert rows[b.addr][-1] == "static"

            p = cli(t, "targets", "api")
            assert p.returncode == 0, p.stderr
            assert [line.split()[1] for line in p.stdout.splitlines()[1:]] == [b.addr]

            p = cli(t, "targets", "web", "--json")
            assert p.returncode == 0, p.stderr
            doc = json.loads(p.stdout)
            assert doc["group"] == "web"
            (tg,) = doc["targets"]
            assert tg["address"] == a.addr and tg["state"] == "healthy"
            assert tg["requests"] == 1 and tg["errors"] == 0 and tg["dynamic"] is False
            for k in ("reason", "in_flight", "latency_avg_ms", "weight"):
                assert k in tg

            p = cli(t, "targets", "nosuch")
            assert p.returncode == 1
            assert 'no target group named "nosuch"' in p.stderr

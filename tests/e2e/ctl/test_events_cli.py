"""`tierd events`: the daemon's recent info+ log lines as {time, level, subsystem, message},
oldest first, limited by --limit; an operator action shows up with who did it."""
import json
import os
import re

from harness import Tierd
from ctlkit import api, cli, ctl_stack


def test_events_table_json_and_limit():
    with Tierd(ctl_stack()) as t:
        p = cli(t, "events", "--json")
        assert p.returncode == 0, p.stderr
        events = json.loads(p.stdout)["events"]
        assert any(e["subsystem"] == "daemon" and e["message"].startswith("started")
                   for e in events), events
        for e in events:
            assert re.match(r"^\d{4}-\d\d-\d\dT\d\d:\d\d:\d\d\.\d{3}Z$", e["time"])
            assert e["level"] in ("info", "warn", "error")
        assert [e["seq"] for e in events] == sorted(e["seq"] for e in events)

        r = api(t, "DELETE", "/v1/target-groups/web/targets/127.0.0.1:1")
        assert r.status == 202, r
        p = cli(t, "events", "--limit", "2")
        assert p.returncode == 0, p.stderr
        lines = p.stdout.splitlines()
        assert lines[0].split() == ["TIME", "LEVEL", "SUBSYSTEM", "MESSAGE"]
        assert len(lines) == 3
        # The route's own line, then the operator log's record of the action with who.
        assert "api deregister group=web target=127.0.0.1:1" in lines[1]
        assert f"uid={os.getuid()}" in lines[1]
        assert (f"action DELETE /v1/target-groups/web/targets/127.0.0.1:1 status=202 "
                f"uid={os.getuid()} pid=") in lines[2]

        r = api(t, "GET", "/v1/events?limit=0")
        assert r.status == 422 and r.error["field"] == "limit", r
        p = cli(t, "events", "--limit", "x")
        assert p.returncode == 2 and "--limit" in p.stderr

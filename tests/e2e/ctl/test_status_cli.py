"""`tierd status`: a table by default, the API's JSON with --json; both describe the
running daemon (pid, stack file, listeners and groups counts)."""
import json
import os

from harness import Tierd
from ctlkit import cli, ctl_stack


def test_status_table_and_json():
    with Tierd(ctl_stack(groups={"web": ["127.0.0.1:1"], "api": ["127.0.0.1:2"]})) as t:
        p = cli(t, "status")
        assert p.returncode == 0, p.stderr
        rows = dict(line.split(None, 1) if not line.startswith(("stack file", "target groups"))
                    else (line[:14].strip(), line[14:].strip()) for line in p.stdout.splitlines())
        assert rows["pid"].strip() == str(t.pid)
        assert rows["listeners"].strip() == "1"
        assert rows["target groups"] == "2"
        assert rows["stack file"].endswith("stack.yaml")

        p = cli(t, "status", "--json")
        assert p.returncode == 0, p.stderr
        st = json.loads(p.stdout)
        assert st["pid"] == t.pid
        assert os.path.basename(st["stack_file"]) == "stack.yaml"
        assert st["listeners"] == 1 and st["target_groups"] == 2
        assert st["generation"] >= 1 and st["workers"] >= 1
        assert st["uptime_s"] >= 0 and st["version"]
        assert isinstance(st["connections"], int)

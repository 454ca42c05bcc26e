"""The package's logrotate rules (packaging/tierd.logrotate) with the real logrotate: the
log is moved aside, tierd gets SIGUSR1 from postrotate and reopens, and no line is lost or
written to the moved file afterwards. Only the path and the signal's delivery differ from
the packaged file (no systemd here: `kill -USR1 PID` stands for `systemctl kill`)."""
import os
import subprocess

from harness import ROOT, App, Tierd, get, stack, wait_for

RULES = os.path.join(ROOT, "packaging", "tierd.logrotate")


def test_packaged_rules_rotate_and_tierd_reopens():
    with App(name="a") as a, Tierd(stack(groups={"web": [a.addr]}, extra=(
            "access_log: { path: ${dir}/logs/access.log, format: json }\n"))) as t:
        logs = os.path.join(t.dir, "logs")
        for i in range(5):
            assert get(t.url(f"/?before={i}")).status == 200
        wait_for(lambda: len(t.access_log_lines("logs/access.log")) >= 5, 10,
                 what="five lines before rotation")
        with open(RULES) as f:
            rules = f.read()
        assert "/var/log/tierd/*.log" in rules and "--kill-whom=main --signal=USR1" in rules
        rules = rules.replace("/var/log/tierd/*.log", f"{logs}/*.log")
        rules = "\n".join(f"        kill -USR1 {t.pid}" if "systemctl kill" in line else line
                          for line in rules.splitlines()) + "\n"
        conf = os.path.join(t.dir, "logrotate.conf")
        with open(conf, "w") as f:
            f.write(rules)
        r = subprocess.run(["logrotate", "-f", "-s", os.path.join(t.dir, "lr.state"), conf],
                           capture_output=True, text=True, timeout=30)
        assert r.returncode == 0, r.stderr
        rotated = os.path.join(logs, "access.log.1")         # delaycompress: not yet gzipped
        assert os.path.exists(rotated)
        assert oct(os.stat(os.path.join(logs, "access.log")).st_mode & 0o777) == "0o640"
        for i in range(5):
            assert get(t.url(f"/?after={i}")).status == 200
        after = wait_for(lambda: (lambda ls: ls if len(ls) >= 5 else None)(
            t.access_log_lines("logs/access.log")), 10, what="five lines after rotation")
        old = t.access_log_lines(rotated)
        assert sum("before=" in line for line in old) == 5
        assert not any("after=" in line for line in old)        # reopened: nothing strays
        assert sum("after=" in line for line in after) == 5

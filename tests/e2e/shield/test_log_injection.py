"""A ban reason sent through the control API cannot forge an operator log line: its newline
and terminal escapes reach the daemon's log and `tierd events` as \\xNN, on the one line of
the event that carries it."""
import json

from harness import App, Tierd
from shieldkit import cli, shield_stack

FORGED = "2026-01-01T00:00:00.000Z info ctl control token rotated"


def test_a_ban_reason_with_a_newline_stays_on_its_line():
    with App(name="a") as app, Tierd(shield_stack(app.addr, "  mode: block\n")) as t:
        reason = f"abuse\n{FORGED}\r\x1b[2J"
        p = cli(t, "bans", "add", "127.0.0.71", "--reason", reason)
        assert p.returncode == 0, p.stderr
        log_lines = t.stderr().splitlines()
        assert not any(line.startswith(FORGED) for line in log_lines), log_lines[-5:]
        mine = [line for line in log_lines if "127.0.0.71" in line]
        assert mine and all("\\x0a" in line and "\x1b" not in line for line in mine), mine
        p = cli(t, "events", "--json")
        assert p.returncode == 0, p.stderr
        events = [e["message"] for e in json.loads(p.stdout)["events"]]
        assert not any(m.startswith(FORGED) or "\n" in m for m in events), events
        assert any("127.0.0.71" in m and "\\x0a" + FORGED in m for m in events), events

"""Bans are stored before they are enforced: after `kill -9` of tierd and a restart on the
same state_dir, a detected ban and a manual one are still refused at accept, with the
expiry they had (the remaining time carried over, not restarted)."""
import time

from harness import App, Tierd
from shieldkit import (NIKTO_UA, accepted, bans, cli, request, restart_after_kill9,
                       shield_stack, wait_ban)


def test_bans_survive_kill_9():
    with App(name="a") as app, Tierd(shield_stack(app.addr, "  scanners: { ban: 10m }\n")) as t:
        assert request(t, "127.0.0.80", "/", headers={"User-Agent": NIKTO_UA}) in (403, 200)
        detected = wait_ban(t, "127.0.0.80")
        p = cli(t, "bans", "add", "127.0.0.81", "--duration", "1h", "--reason", "kept")
        assert p.returncode == 0, p.stderr
        manual = bans(t)["127.0.0.81"]
        assert not accepted(t, "127.0.0.80") and not accepted(t, "127.0.0.81")
        time.sleep(2)           # so that a restarted clock would show

        restart_after_kill9(t)
        after = bans(t)
        assert after["127.0.0.80"]["expiry"] == detected["expiry"]
        assert after["127.0.0.80"]["start"] == detected["start"]
        assert after["127.0.0.80"]["reason"] == "scanner_ua"
        assert after["127.0.0.81"]["expiry"] == manual["expiry"]
        assert after["127.0.0.81"]["reason"] == "kept"
        assert not accepted(t, "127.0.0.80") and not accepted(t, "127.0.0.81")
        assert request(t, "127.0.0.82", "/") == 200
        # The remaining time is what was left: about 10 minutes minus the time elapsed.
        left = after["127.0.0.80"]["expiry"] - time.time()
        assert 500 < left < 598, left

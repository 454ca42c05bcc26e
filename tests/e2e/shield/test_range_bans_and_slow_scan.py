"""The shield's long memory, live: a flood spread over 50 loopback addresses of one /24,
each refused by the per-address rate limit only once it passes it, makes the /24 a range
ban (a fresh address of it is refused at accept) while the neighbouring /24 is served; a
/24 that also holds a client that was served pages is never banned as a range; with
range_bans off the same decision is only recorded (counted_only). A slow scan, one
sensitive probe every 1.5 s under a compressed `slow_scan` (3 probes over 2 s), is banned
as `slow_scan` though no bucket overflows, and its evidence survives a restart."""
import time

from harness import App, Tierd, wait_for
from shieldkit import (accepted, bans, request, restart_after_kill9, shield_stack, wait_ban)

LIMIT = 10


def flood(t, net, rounds=LIMIT + 2, hosts=50):
    for _ in range(rounds):
        for h in range(1, hosts + 1):
            request(t, f"{net}.{h}", "/")


def range_shield(enabled):
    return (f"  rate_limit: {{ window: 60s, limit: {LIMIT}, key: ip, status: 429 }}\n"
            f"  range_bans: {{ enabled: {'true' if enabled else 'false'} }}\n")


def test_a_slash24_flood_from_50_addresses_is_banned_as_a_range():
    with App(name="a") as app, Tierd(shield_stack(app.addr, range_shield(True))) as t:
        # A neighbour range with a good client in it: served, never banned as a range.
        assert request(t, "127.0.7.200", "/") == 200
        flood(t, "127.0.5")
        flood(t, "127.0.7")
        b = wait_ban(t, "127.0.5.0/24")
        assert b["reason"] == "range" and "50 of the 50 clients" in b["evidence"], b
        assert not accepted(t, "127.0.5.99")          # never sent a byte before
        assert request(t, "127.0.6.1", "/") == 200    # the neighbouring /24
        time.sleep(1)
        assert "127.0.7.0/24" not in bans(t)
        assert request(t, "127.0.7.201", "/") == 200


def test_with_range_bans_off_the_range_is_only_recorded():
    with App(name="a") as app, Tierd(shield_stack(app.addr, range_shield(False))) as t:
        flood(t, "127.0.5")
        wait_ban(t, "127.0.5.0/24", count_only=True)
        assert request(t, "127.0.5.99", "/") == 200


def test_a_slow_scan_is_banned_on_evidence_kept_across_a_restart():
    shield = ("  client_memory: 1m\n"
              "  slow_scan: { probes: 3, over: 2s }\n")
    with App(name="a") as app, Tierd(shield_stack(app.addr, shield)) as t:
        src = "127.0.8.8"
        assert request(t, "127.0.8.9", "/") == 200
        assert request(t, src, "/.env") == 404
        time.sleep(1.5)
        assert request(t, src, "/.env") == 404
        time.sleep(2.5)                 # the memory reaches shield.db every 2 s
        assert src not in bans(t)
        restart_after_kill9(t)
        assert request(t, src, "/.env") == 404
        b = wait_ban(t, src)
        assert b["reason"] == "slow_scan", b
        assert not accepted(t, src)
        # A client that got a page and probes the same way is left alone.
        good = "127.0.8.9"
        for _ in range(3):
            assert request(t, good, "/.env") == 404
            time.sleep(1.1)
        time.sleep(0.5)
        assert good not in bans(t)

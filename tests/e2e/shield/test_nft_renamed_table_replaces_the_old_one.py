"""A renamed table: tierd mirrored bans into `table inet first` and is restarted with
`shield.nftables: { table: second, set: blocked }`. The old table is gone; the new one
holds the active bans (not the one removed before the restart) with their remaining time,
and the kernel drops them (docs/internals/nftables.md)."""
import re

from nftkit import NsTierd, elements, tables, wait_element
from test_nftables_in_a_netns import netns  # noqa: F401 - the fixture


def test_renamed_table_replaces_the_old_one(netns):  # noqa: F811
    with NsTierd() as t:
        t.start("enabled: true, table: first")
        t.ban("127.0.0.74")
        t.ban("127.0.0.75")
        wait_element("first", "banned_v4", "127.0.0.75")
        t.unban("127.0.0.75")
        t.stop()
        assert "first" in tables()              # stopping leaves it: elements time out

        t.start("enabled: true, table: second, set: blocked")
        now = tables()
        assert "first" not in now and "second" in now, sorted(now)
        out = elements("second", "blocked_v4")
        assert out and "127.0.0.74" in out and "127.0.0.75" not in out, out
        m = re.search(r"127\.0\.0\.74 timeout (\S+)", out)
        assert m and m.group(1) in ("1h", "59m59s", "59m58s", "59m57s"), out
        assert t.reach("127.0.0.74") == "dropped"
        assert isinstance(t.reach("127.0.0.75"), int)

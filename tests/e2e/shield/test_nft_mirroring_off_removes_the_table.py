"""Mirroring turned off: tierd was mirroring bans into `table inet tierd` and is restarted
with `shield.nftables.enabled: false`. The table it created is gone at start, so an address
that `tierd bans remove` reports as unbanned gets through again, while a ban that stays is
still enforced in-process (docs/internals/nftables.md)."""
from nftkit import NsTierd, tables, wait_element
from test_nftables_in_a_netns import netns  # noqa: F401 - the fixture


def test_mirroring_off_removes_the_table_and_unbans_reach_the_kernel(netns):  # noqa: F811
    with NsTierd() as t:
        t.start("enabled: true")
        t.ban("127.0.0.74")
        t.ban("127.0.0.75")
        wait_element("tierd", "banned_v4", "127.0.0.75")
        assert t.reach("127.0.0.74") == "dropped"
        t.stop()

        t.start("enabled: false")
        assert "tierd" not in tables()
        t.unban("127.0.0.74")
        assert isinstance(t.reach("127.0.0.74"), int)   # an HTTP answer: nothing drops it
        assert t.reach("127.0.0.75") == "closed"        # still banned, by tierd itself

"""Tables tierd did not create are never touched: one an operator made under tierd's
default name `tierd` (tierd then mirrors nothing and enforces in-process), an unrelated one,
and one that replaced a table tierd had created (same name, not tierd's mark): all three
are exactly as they were after tierd ran with mirroring on and then off
(docs/internals/nftables.md)."""
from nftkit import NsTierd, in_ns, tables, wait_element
from test_nftables_in_a_netns import netns  # noqa: F401 - the fixture

THEIRS = """table inet tierd {
  set keep { type ipv4_addr; elements = { 192.0.2.1 } }
}
table inet other {
  chain c { type filter hook input priority 0; policy accept; }
}
"""


def nft_file(text):
    in_ns("sh", "-c", f"printf '%s' '{text}' | nft -f -")


def test_tables_tierd_did_not_create_are_left_alone(netns):  # noqa: F811
    nft_file(THEIRS)
    before = tables()
    with NsTierd() as t:
        t.start("enabled: true")                # table: tierd, which is theirs
        t.ban("127.0.0.74")
        assert tables() == before
        assert t.reach("127.0.0.74") == "closed"        # refused by tierd, not dropped
        t.stop()

        t.start("enabled: true, table: mine")
        wait_element("mine", "banned_v4", "127.0.0.74")
        t.stop()
        # Someone replaces tierd's table with their own under the same name.
        in_ns("nft", "delete", "table", "inet", "mine")
        in_ns("nft", "add", "table", "inet", "mine", "{ comment \"ops\"; }")
        theirs = tables()

        t.start("enabled: false")
        assert tables() == theirs
        t.unban("127.0.0.74")
        assert tables() == theirs

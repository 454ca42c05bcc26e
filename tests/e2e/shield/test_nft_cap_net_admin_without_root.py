"""tierd as a service user, not root, with only CAP_NET_ADMIN (setpriv, as systemd's
AmbientCapabilities would give it): it mirrors bans into nftables and the kernel drops the
banned address; unbanning removes the element (docs/internals/nftables.md)."""
from nftkit import NsTierd, elements, wait_element
from test_nftables_in_a_netns import netns  # noqa: F401 - the fixture


def test_non_root_tierd_with_cap_net_admin_mirrors_bans(netns):  # noqa: F811
    with NsTierd(nobody=True) as t:
        t.start("enabled: true")
        with open(f"/proc/{t.proc.pid}/status") as f:
            uids = next(line for line in f if line.startswith("Uid:")).split()[1:]
        assert uids[1] == "65534", uids         # effective uid: nobody
        t.ban("127.0.0.74")
        wait_element("tierd", "banned_v4", "127.0.0.74")
        assert t.reach("127.0.0.74") == "dropped"
        t.unban("127.0.0.74")
        assert "127.0.0.74" not in elements("tierd", "banned_v4")
        assert isinstance(t.reach("127.0.0.74"), int)

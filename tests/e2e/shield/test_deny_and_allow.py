"""The firewall lists: a `deny:` CIDR is refused at accept (the connection closes before a
response), the rest of its neighbourhood is not; an `allow:` address is never banned, even
while scanning exactly like a neighbour who is."""
import secrets
import socket

from harness import App, Tierd
from shieldkit import NIKTO_UA, bans, counters, request, shield_stack, wait_ban

PROBES = ("/.env", "/.git/config", "/.aws/credentials", "/.htpasswd", "/backup.sql")


def attack(t, src):
    out = [request(t, src, "/" + secrets.token_hex(6)) for _ in range(30)]
    out += [request(t, src, p) for p in PROBES]
    out.append(request(t, src, "/", headers={"User-Agent": NIKTO_UA}))
    return out


def test_deny_refuses_at_accept_and_allow_is_never_banned():
    shield = "  deny: [127.0.7.0/24]\n  allow: [127.0.0.90]\n"
    with App(name="a") as app, Tierd(shield_stack(app.addr, shield)) as t:
        host, port = t.addr()
        for src in ("127.0.7.1", "127.0.7.200"):
            s = socket.socket()
            s.settimeout(5)
            s.bind((src, 0))
            s.connect((host, port))
            # Closed before a byte is read: no response to our request, ever.
            try:
                s.sendall(b"GET / HTTP/1.1\r\nHost: x\r\n\r\n")
                data = s.recv(65536)
            except (ConnectionResetError, BrokenPipeError):
                data = b""
            s.close()
            assert data == b"", data[:100]
            assert request(t, src, "/") in ("closed", "refused")
        assert request(t, "127.0.8.1", "/") == 200
        assert counters(t)["deny"] >= 4

        allowed = attack(t, "127.0.0.90")
        assert set(allowed) <= {200, 404} and allowed.count(404) >= 30, allowed
        neighbour = attack(t, "127.0.0.91")
        wait_ban(t, "127.0.0.91")
        assert request(t, "127.0.0.90", "/") == 200
        assert "127.0.0.90" not in bans(t)
        assert any(o in (403, "closed", "refused") for o in neighbour)

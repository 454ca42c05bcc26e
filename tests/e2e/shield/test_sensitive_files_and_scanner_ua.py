"""Sensitive-file probes (/.env, /.git/config and three more distinct ones) get the prober
banned; so does one request with a self-declared scanner's User-Agent (nikto). A browser
asking for the same pages once is not."""
from harness import App, Tierd
from shieldkit import NIKTO_UA, accepted, bans, request, shield_stack, wait_ban

PROBES = ("/.env", "/.git/config", "/.aws/credentials", "/.htpasswd", "/backup.sql")


def test_sensitive_file_probes_and_nikto_are_banned():
    with App(name="a") as app, Tierd(shield_stack(app.addr, "  mode: block\n")) as t:
        out = [request(t, "127.0.0.71", p) for p in PROBES]
        assert out[:4] == [404] * 4, out
        b = wait_ban(t, "127.0.0.71")
        assert b["reason"] == "sensitive_files", b
        assert not accepted(t, "127.0.0.71")

        assert request(t, "127.0.0.72", "/", headers={"User-Agent": NIKTO_UA}) in (403, 200)
        b = wait_ban(t, "127.0.0.72")
        assert b["reason"] == "scanner_ua", b
        assert not accepted(t, "127.0.0.72")

        assert request(t, "127.0.0.73", "/.env") == 404            # one look is not a scan
        assert request(t, "127.0.0.73", "/", headers={"User-Agent": "curl/7.88.1"}) == 200
        assert accepted(t, "127.0.0.73") and "127.0.0.73" not in bans(t)

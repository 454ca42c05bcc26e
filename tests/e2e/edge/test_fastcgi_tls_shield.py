"""FastCGI behind a TLS listener and the shield, against php-fpm8.2: PHP sees HTTPS=on and
REMOTE_ADDR is the client the shield resolved through trusted_proxies (not the peer); a
client the shield denies gets 403 and never reaches PHP."""
import json

from fpm import Fpm, fcgi_stack
from harness import curl
from test_tls import TlsTierd

TLS = """    tls:
      certificates:
        - { cert: ${dir}/shop.ec.pem, key: ${dir}/shop.ec.key }
"""
SHIELD = "shield:\n  mode: block\n  trusted_proxies: [127.0.0.0/8]\n  deny: [203.0.113.0/24]\n"


def test_https_on_and_client_address_from_the_shield():
    with Fpm() as fpm, TlsTierd(fcgi_stack(fpm, listen_extra=TLS, extra=SHIELD)) as t:
        def php(*hdr):
            args = ["--cacert", f"{t.dir}/shop.ec.pem", "--resolve", t.resolve(),
                    "-w", "\n%{http_code}"]
            for h in hdr:
                args += ["-H", h]
            body, _, code = curl(*args, t.surl("/who")).stdout.rpartition(b"\n")
            return int(code), body

        code, body = php()
        j = json.loads(body)
        assert code == 200 and j["HTTPS"] == "on" and j["REMOTE_ADDR"] == "127.0.0.1", j
        # The peer (127.0.0.1) is a trusted proxy: the client is the one it forwarded for.
        code, body = php("X-Forwarded-For: 198.51.100.7")
        assert json.loads(body)["REMOTE_ADDR"] == "198.51.100.7", body
        # A denied client address is refused by the shield before PHP runs.
        code, body = php("X-Forwarded-For: 203.0.113.9")
        assert code == 403 and b"front" not in body, (code, body)

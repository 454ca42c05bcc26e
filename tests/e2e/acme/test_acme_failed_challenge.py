"""A renewal whose challenge fails (the port-80 listener moved away, so Pebble's validation
connects to nothing) leaves the old certificate in place and reports the failure with the
CA's reason: `tierd certs` shows the error and the failure count, the next attempt waits
for the backoff, and the files keep the old, valid certificate."""
import os
import time

from harness import Tierd, free_port
from pebblekit import Pebble, acme_stack, cert_info, certs_cli, https_get, leaf_der, make_site, \
    ports, wait_state


def test_failed_challenge_keeps_the_old_certificate():
    http_port, tls_port = ports()
    # Pebble would otherwise reuse the valid authorization half the time: no challenge.
    with Pebble(http_port, tls_port, validity_s=12, authz_reuse=0) as pb:
        text = acme_stack(pb, domains=("fail.test",))
        t = Tierd(text, listen=f"127.0.0.1:{http_port}", listen_tls=f"127.0.0.1:{tls_port}",
                  moved=f"127.0.0.1:{free_port()}")
        cert = os.path.join(t.dir, "state", "acme", "fail.test", "cert.pem")
        make_site(t)
        with t:
            first = wait_state(t, lambda c: c["state"] == "valid", 30, "the first certificate")
            serial = cert_info(cert).split("\n")[0]
            # Port 80 moves: the acme block is unchanged, so its schedule stays.
            t.reload(text.replace("${listen}\n", "${moved}\n", 1))
            c = wait_state(t, lambda c: c["failures"] >= 1, 30, "the failed renewal")
            assert "challenge for fail.test failed" in c["last_error"], c["last_error"]
            assert "urn:ietf:params:acme:error:" in c["last_error"]
            assert c["has_certificate"] and c["state"] == "valid"
            assert c["not_after"] == first["not_after"]
            # Backoff: the next attempt is a minute away, not a busy loop against the CA.
            assert c["next_renewal"] - time.time() > 50
            assert cert_info(cert).split("\n")[0] == serial
            # ...and the listener still serves it.
            status, _, der = https_get(pb, t, "fail.test")
            assert status == 200 and der == leaf_der(cert)
            out = certs_cli(t)
            assert "challenge for fail.test failed" in out.stdout

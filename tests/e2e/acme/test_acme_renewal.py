"""Renewal at two thirds of a short lifetime (Pebble's certificateValidityPeriod): the
certificate is replaced by a new one (new serial, later notAfter) before it expires; the
files on disk always hold a complete chain, and it matches its key once the install is done
(the key is written just before the chain)."""
import os
import subprocess
import time

from harness import Tierd, wait_for
from pebblekit import Pebble, acme_stack, cert_info, https_get, leaf_der, make_site, ports, \
    verify_chain, wait_state


def _pair_matches(cert, key):
    a = subprocess.run(["openssl", "x509", "-in", cert, "-noout", "-pubkey"],
                       capture_output=True, timeout=30).stdout
    b = subprocess.run(["openssl", "pkey", "-in", key, "-pubout"], capture_output=True,
                       timeout=30).stdout
    return a and a == b


def test_renews_at_two_thirds_of_the_lifetime():
    http_port, tls_port = ports()
    # A quarter of the nonces refused: every signed request may meet badNonce.
    with Pebble(http_port, tls_port, validity_s=15, nonce_reject=25) as pb:
        t = Tierd(acme_stack(pb, domains=("renew.test",)), listen=f"127.0.0.1:{http_port}",
                  listen_tls=f"127.0.0.1:{tls_port}")
        cert = os.path.join(t.dir, "state", "acme", "renew.test", "cert.pem")
        key = os.path.join(t.dir, "state", "acme", "renew.test", "key.pem")
        make_site(t)
        with t:
            first = wait_state(t, lambda c: c["state"] == "valid", 30, "the first certificate")
            serial1 = cert_info(cert).split("\n")[0]
            assert first["next_renewal"] - first["not_before"] in (9, 10, 11)
            # Sample the files while the renewal happens: always a whole chain (openssl
            # reads it), which matches the key on disk.
            seen = set()
            deadline = time.monotonic() + 30
            while time.monotonic() < deadline and len(seen) < 2:
                seen.add(cert_info(cert).split("\n")[0])
                time.sleep(0.3)
            assert len(seen) >= 2, "no renewal within 30 s of a 15 s certificate"
            second = wait_state(t, lambda c: c["not_after"] > first["not_after"], 5,
                                "the renewed certificate in /v1/certs")
            assert second["failures"] == 0
            assert second["not_before"] < first["not_after"]     # renewed before expiry
            assert cert_info(cert).split("\n")[0] != serial1
            assert _pair_matches(cert, key)
            # The listener switched to the new certificate without a restart.
            wait_for(lambda: https_get(pb, t, "renew.test")[2] == leaf_der(cert), 10,
                     interval=0.2, what="the renewed certificate served")
            v = verify_chain(pb, cert)
            assert v.returncode == 0, v.stdout + v.stderr

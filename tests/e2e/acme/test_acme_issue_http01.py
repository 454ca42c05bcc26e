"""Issuance at start over http-01 against a real Pebble: the http listener answers the
challenge before its redirect rule, the chain verifies against Pebble's root, the files are
0600 under state_dir/acme, the https listener serves it (a client trusting only Pebble's
root connects), `tierd certs` and the CertificateDaysToExpiry gauge show it, and
a restart reuses the account and the certificate instead of ordering again. Pebble keeps
its default of rejecting 5% of nonces, so the badNonce retry is exercised too."""
import os
import re
import stat
import time

from harness import Tierd, control_request, curl, get, wait_for
from pebblekit import Pebble, acme_stack, cert_info, certs, certs_cli, https_get, leaf_der, \
    make_site, ports, verify_chain, wait_state


def test_issue_at_start_over_http01_then_reuse_after_restart():
    http_port, tls_port = ports()
    with Pebble(http_port, tls_port, validity_s=7 * 86400) as pb:
        t = Tierd(acme_stack(pb), listen=f"127.0.0.1:{http_port}",
                  listen_tls=f"127.0.0.1:{tls_port}")
        state = os.path.join(t.dir, "state", "acme")
        cert = os.path.join(state, "shop.test", "cert.pem")
        make_site(t)
        with t:
            c = wait_state(t, lambda c: c["state"] == "valid", 30, "the certificate issued")
            assert c["domains"] == "shop.test,www.shop.test"
            assert c["failures"] == 0 and c["last_error"] == ""
            # The install's reload of the listeners keeps the certificate's record.
            time.sleep(0.5)
            c = certs(t)[0]
            assert c["last_success"] >= c["not_before"] - 5
            life = c["not_after"] - c["not_before"]
            assert abs(life - 7 * 86400) < 5
            # Renewal planned at two thirds of the lifetime (no ARI at Pebble).
            assert abs(c["next_renewal"] - (c["not_before"] + life * 2 // 3)) <= 2
            v = verify_chain(pb, cert)
            assert v.returncode == 0, v.stdout + v.stderr
            # The https listener serves it at once, for both names, trusted through
            # Pebble's root alone.
            def served():
                try:
                    return https_get(pb, t, "www.shop.test")
                except OSError:
                    return None
            wait_for(lambda: served() is not None, 10, interval=0.2, what="HTTPS with the new "
                     "certificate")
            for host in ("shop.test", "www.shop.test"):
                status, body, der = https_get(pb, t, host)
                assert status == 200 and body == b"hello over https\n"
                assert der == leaf_der(cert)
            # curl, trusting Pebble's root only, verifies the chain and the name.
            root = os.path.join(t.dir, "pebble-root.pem")
            with open(root, "w") as f:
                f.write(pb.root_pem())
            port = t.subst["listen_tls"].rpartition(":")[2]
            out = curl("--cacert", root, "--resolve", f"www.shop.test:{port}:127.0.0.1",
                       f"https://www.shop.test:{port}/")
            assert out.returncode == 0, out.stderr
            assert out.stdout == b"hello over https\n"
            assert "DNS:shop.test, DNS:www.shop.test" in cert_info(cert)
            for f in ("account.key", "shop.test/cert.pem", "shop.test/key.pem"):
                assert stat.S_IMODE(os.stat(os.path.join(state, f)).st_mode) == 0o600, f
            assert stat.S_IMODE(os.stat(os.path.join(state, "shop.test")).st_mode) == 0o700
            assert not [n for n in os.listdir(os.path.join(state, "shop.test")) if ".tmp" in n]
            # Other requests to port 80 still meet the listener's rules.
            r = get(t.url("/.well-known/acme-challenge/unknown-token-aaaaaaaaaaaa"))
            assert r.status == 301
            out = certs_cli(t)
            assert out.returncode == 0, out.stderr
            assert re.search(r"shop\.test\s+shop\.test,www\.shop\.test\s+valid\s+20\d\d-", out.stdout)
            # The gauge watch samples once a second, for alarms on certificate_days_to_expiry.
            deadline = time.monotonic() + 10
            days = None
            while days is None and time.monotonic() < deadline:
                _, _, body = control_request(os.path.join(t.dir, "tierd.sock"), "GET",
                                             "/metrics")
                m = re.search(rb'tierd_certificate_days_to_expiry\{domain="shop.test"\} (\S+)',
                              body)
                days = float(m.group(1)) if m else None
                time.sleep(0.2)
            assert days is not None and 6.9 < days <= 7.0
            serial = cert_info(cert).split("\n")[0]
            account = open(os.path.join(state, "account.key"), "rb").read()
            assert t.stop() == 0
        with t:
            c = wait_state(t, lambda c: c["state"] == "valid", 10, "the certificate loaded")
            assert "last_success" not in c          # nothing was ordered this time
            assert cert_info(cert).split("\n")[0] == serial
            assert open(os.path.join(state, "account.key"), "rb").read() == account
            assert https_get(pb, t, "shop.test")[2] == leaf_der(cert)   # loaded at start

"""A reload that adds a name to acme.domains orders a new certificate for all of them,
while the certificate for the old names keeps serving until the new one is installed;
the account is the same."""
import os

from harness import Tierd, wait_for
from pebblekit import Pebble, acme_stack, https_get, leaf_der, make_site, ports, wait_state


def test_adding_a_domain_orders_a_new_certificate_and_the_old_one_serves_meanwhile():
    http_port, tls_port = ports()
    with Pebble(http_port, tls_port, validity_s=86400) as pb:
        one = acme_stack(pb, domains=("grow.test",))
        t = Tierd(one, listen=f"127.0.0.1:{http_port}", listen_tls=f"127.0.0.1:{tls_port}")
        cert = os.path.join(t.dir, "state", "acme", "grow.test", "cert.pem")
        account = os.path.join(t.dir, "state", "acme", "account.key")
        make_site(t)
        with t:
            first = wait_state(t, lambda c: c["state"] == "valid", 30, "the first certificate")
            wait_for(lambda: https_get(pb, t, "grow.test")[2] == leaf_der(cert), 10,
                     interval=0.2, what="the first certificate served")
            old_der = leaf_der(cert)
            key_before = open(account, "rb").read()
            t.reload(acme_stack(pb, domains=("grow.test", "more.grow.test")))
            # Served throughout: the old certificate until the new one is in. (wait_for
            # retries on exceptions, so every refusal is recorded and checked after.)
            refused = []

            def new_one():
                try:
                    status, _, der = https_get(pb, t, "grow.test")
                except OSError as e:
                    refused.append(repr(e))
                    return False
                if status != 200:
                    refused.append(status)
                return der != old_der
            wait_for(new_one, 30, interval=0.05, what="the certificate with both names served")
            assert refused == []
            c = wait_state(t, lambda c: c["domains"] == "grow.test,more.grow.test" and
                           c["state"] == "valid", 10, "the new certificate in /v1/certs")
            assert c["not_before"] >= first["not_before"]
            assert https_get(pb, t, "more.grow.test")[0] == 200
            assert open(account, "rb").read() == key_before

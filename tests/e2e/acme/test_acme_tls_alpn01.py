"""tls-alpn-01 (RFC 8737) against a real Pebble: the https listener itself answers the
validation in the handshake, before it has any certificate of its own (acme alone), with
the validation certificate Pebble checks; a connection that chose acme-tls/1 is closed
after the handshake, and ordinary clients then get the issued certificate. The renewal
validates the same way while the listener serves its certificate, with new validation
certificates (an answer left from the first order would fail it)."""
import os
import socket
import ssl

from harness import Tierd, wait_for
from pebblekit import Pebble, acme_stack, https_get, leaf_der, make_site, ports, verify_chain, \
    wait_state


def test_tls_alpn01_issues_with_the_listener_answering_in_the_handshake():
    http_port, tls_port = ports()
    with Pebble(http_port, tls_port, validity_s=9, authz_reuse=0) as pb:
        # No http listener at Pebble's httpPort: only tls-alpn-01 can succeed.
        text = acme_stack(pb, challenge="tls-alpn-01", domains=("alpn.test", "www.alpn.test"))
        text = text.replace("${listen}\n", "${listen_other}\n", 1)
        t = Tierd(text, listen_tls=f"127.0.0.1:{tls_port}", listen="127.0.0.1:1")
        cert = os.path.join(t.dir, "state", "acme", "alpn.test", "cert.pem")
        make_site(t)
        t.subst["listen"] = t.subst["listen_tls"]      # what the harness waits for
        with t:
            c = wait_state(t, lambda c: c["state"] in ("valid", "failed"), 30,
                           "the tls-alpn-01 issuance")
            assert c["state"] == "valid", c["last_error"]
            assert c["challenge"] == "tls-alpn-01"
            v = verify_chain(pb, cert)
            assert v.returncode == 0, v.stdout + v.stderr
            wait_for(lambda: https_get(pb, t, "alpn.test")[2] == leaf_der(cert), 10,
                     interval=0.2, what="the issued certificate served")
            status, body, _ = https_get(pb, t, "alpn.test")
            assert status == 200 and body == b"hello over https\n"
            # No validation running: offering only acme-tls/1 is refused, as any
            # protocol the listener does not speak.
            ctx = ssl.create_default_context(cadata=pb.root_pem())
            ctx.set_alpn_protocols(["acme-tls/1"])
            sock = socket.create_connection(("127.0.0.1", tls_port), timeout=10)
            try:
                with ctx.wrap_socket(sock, server_hostname="alpn.test") as s:
                    assert s.selected_alpn_protocol() != "acme-tls/1"
                    raised = False
            except ssl.SSLError:
                raised = True
            assert raised
            # Renewal at 6 s of 9, validated through the listener that now has a certificate.
            r = wait_state(t, lambda r: r["not_after"] > c["not_after"] or r["failures"], 20,
                           "the tls-alpn-01 renewal")
            assert r["failures"] == 0, r["last_error"]
            wait_for(lambda: https_get(pb, t, "www.alpn.test")[2] == leaf_der(cert), 10,
                     interval=0.2, what="the renewed certificate served")

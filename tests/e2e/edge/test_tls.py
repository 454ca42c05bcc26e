"""TLS termination against real clients: curl, openssl s_client, Python's ssl and wrk.
SNI and key-type selection, ALPN, resumption by ticket across workers and by session id,
versions, X-Forwarded-Proto, HSTS, the redirect action, both wrong-protocol answers, and
a certificate replaced on disk under load with no failed request."""
import os
import re
import shutil
import socket
import ssl
import subprocess
import threading
import time

from harness import App, Tierd, curl, get, raw, wait_for, wrk

ROOT = os.path.dirname(os.path.dirname(os.path.dirname(os.path.dirname(__file__))))
CERTS = os.path.join(ROOT, "tests", "lib", "tls")


def certs_into(d):
    """Copies the test certificates into d, keys 0600 as a real deployment has them."""
    for name in os.listdir(CERTS):
        if name.endswith((".pem", ".key")):
            shutil.copy(os.path.join(CERTS, name), os.path.join(d, name))
            if name.endswith(".key"):
                os.chmod(os.path.join(d, name), 0o600)


def tls_stack(tls_extra="", rules="      - forward: web\n", app=None, extra=""):
    text = (
        "listeners:\n"
        "  - name: https\n"
        "    address: ${listen}\n"
        "    tls:\n"
        "      certificates:\n"
        "        - { cert: ${dir}/shop.ec.pem, key: ${dir}/shop.ec.key }\n"
        "        - { cert: ${dir}/shop.rsa.pem, key: ${dir}/shop.rsa.key }\n"
        "        - { cert: ${dir}/other.ec.pem, key: ${dir}/other.ec.key }\n"
        + tls_extra +
        "    rules:\n" + rules + extra)
    if app:
        text += f"target_groups:\n  web:\n    targets: [{app.addr}]\n"
    return text + "edge: { workers: 2 }\n"


class TlsTierd(Tierd):
    def __enter__(self):
        certs_into(self.dir)
        return super().__enter__()

    def surl(self, path="/", host="shop.example", listener="listen"):
        return f"https://{host}:{self.addr(listener)[1]}{path}"

    def resolve(self, host="shop.example", listener="listen"):
        return f"{host}:{self.addr(listener)[1]}:127.0.0.1"


REQ = b"GET / HTTP/1.1\r\nHost: shop.example\r\nConnection: close\r\n\r\n"


def s_client(t, *args, data=REQ, listener="listen"):
    """One handshake, and one request so that TLS 1.3's session summary is printed."""
    host, port = t.addr(listener)
    p = subprocess.run(["openssl", "s_client", "-connect", f"{host}:{port}", "-ign_eof",
                        *args], input=data, capture_output=True, timeout=20)
    return p.stdout.decode(errors="replace") + p.stderr.decode(errors="replace")


def subject(out):
    m = re.search(r"^subject=.*CN = (\S+)", out, re.M)
    return m.group(1) if m else None


def test_curl_https_with_sni_forwarded_proto_and_hsts():
    with App(name="a1") as a1, TlsTierd(tls_stack("      hsts: { max_age: 1d }\n",
                                                  app=a1)) as t:
        # HTTP/1.1 on purpose: with ALPN h2 offered, curl would pick HTTP/2 (test_h2.py).
        p = curl("-i", "--http1.1", "--cacert", f"{t.dir}/shop.ec.pem", "--resolve", t.resolve(),
                 t.surl("/headers"))
        out = p.stdout.decode()
        assert p.returncode == 0, p.stderr.decode()
        assert out.startswith("HTTP/1.1 200"), out
        assert re.search(r"(?im)^X-Forwarded-Proto: https\r?$", out), out
        assert re.search(rf"(?im)^X-Forwarded-Port: {t.addr()[1]}\r?$", out), out
        assert re.search(r"(?im)^Strict-Transport-Security: max-age=86400\r?$", out), out
        # A name the default certificate does not cover, but the third one does.
        p = curl("-o", "/dev/null", "-w", "%{http_code}", "--cacert", f"{t.dir}/other.ec.pem",
                 "--resolve", t.resolve("www.other.example"), t.surl("/", "www.other.example"))
        assert p.stdout == b"200", p.stderr.decode()


def test_certificate_chosen_by_sni_then_key_type():
    with TlsTierd(tls_stack(rules="      - redirect: { scheme: http }\n")) as t:
        assert subject(s_client(t, "-servername", "shop.example")) == "shop.example"
        assert subject(s_client(t, "-servername", "other.example")) == "other.example"
        assert subject(s_client(t, "-servername", "a.other.example")) == "other.example"
        # No SNI, or a name nothing covers: the first certificate.
        assert subject(s_client(t, "-noservername")) == "shop.example"
        assert subject(s_client(t, "-servername", "nope.example")) == "shop.example"
        # ECDSA for a client that can verify it; RSA for one that only knows RSA.
        out = s_client(t, "-servername", "shop.example")
        assert "Server public key is 256 bit" in out, out
        out = s_client(t, "-servername", "shop.example", "-tls1_2",
                       "-sigalgs", "RSA-PSS+SHA256:RSA+SHA256")
        assert "Server public key is 2048 bit" in out, out
        out = s_client(t, "-servername", "shop.example", "-tls1_2",
                       "-cipher", "ECDHE-RSA-AES128-GCM-SHA256")
        assert "Server public key is 2048 bit" in out and "ECDHE-RSA-AES128-GCM-SHA256" in out


def test_alpn_and_versions():
    with TlsTierd(tls_stack(rules="      - redirect: { scheme: http }\n")) as t:
        out = s_client(t, "-alpn", "h2,http/1.1")
        assert re.search(r"ALPN protocol: (h2|http/1\.1)", out), out
        out = s_client(t, "-alpn", "http/1.1")
        assert "ALPN protocol: http/1.1" in out, out
        out = s_client(t, "-tls1_1")
        assert "alert protocol version" in out and "Cipher is (NONE)" in out, out
        out = s_client(t, "-tls1_2")
        assert "Protocol  : TLSv1.2" in out, out
    stack = tls_stack("      min_version: \"1.3\"\n      alpn: [http/1.1]\n",
                      rules="      - redirect: { scheme: http }\n")
    with TlsTierd(stack) as t:
        out = s_client(t, "-tls1_2")
        assert "alert protocol version" in out, out
        assert "Protocol  : TLSv1.3" in s_client(t, "-tls1_3")
        # A client that offers only a protocol we do not: no_application_protocol (RFC 7301).
        out = s_client(t, "-alpn", "h2")
        assert "no application protocol" in out, out


def test_resumption_by_ticket_across_workers_and_by_session_id():
    second = ("  - name: other\n    address: ${listen2}\n    tls:\n      certificates:\n"
              "        - { cert: ${dir}/shop.ec.pem, key: ${dir}/shop.ec.key }\n"
              "    rules:\n      - redirect: { scheme: http }\n")
    control = "control: { socket: ${dir}/tierd.sock }\n"
    with TlsTierd(tls_stack(rules="      - redirect: { scheme: http }\n", extra=second)
                  + control) as t:
        for version in ("-tls1_3", "-tls1_2"):
            sess = os.path.join(t.dir, f"sess{version}")
            out = s_client(t, version, "-servername", "shop.example", "-sess_out", sess)
            assert re.search(r"^New, TLSv1\.[23]", out, re.M), out
            # Two workers with their own contexts: every resumption must succeed, so the
            # ticket keys are shared whichever worker accepts.
            for _ in range(6):
                out = s_client(t, version, "-servername", "shop.example", "-sess_in", sess)
                assert re.search(r"^Reused, TLSv1\.[23]", out, re.M), out
        # TLS 1.2 without tickets: by session id, from the cache every worker shares.
        sess = os.path.join(t.dir, "sess-id")
        s_client(t, "-tls1_2", "-no_ticket", "-sess_out", sess)
        for _ in range(6):
            out = s_client(t, "-tls1_2", "-no_ticket", "-sess_in", sess)
            assert re.search(r"^Reused, TLSv1\.2", out, re.M), out
        # A session of one listener is not resumed on another (session id context).
        out = s_client(t, "-tls1_2", "-no_ticket", "-sess_in", sess, listener="listen2")
        assert re.search(r"^New, TLSv1\.2", out, re.M), out
        s_client(t, "-tls1_1")                      # one failed handshake
        # Counted per listener: 3 full and 18 resumed on https, one failure (the harness's
        # TCP probe at start, closed before any TLS byte, is not one).
        import sys
        sys.path.insert(0, os.path.join(os.path.dirname(__file__), "..", "watch"))
        from watchkit import api_raw, parse_prometheus

        def count(result, listener="https"):
            st, _, body = api_raw(t, "GET", "/metrics")
            assert st == 200
            fam = parse_prometheus(body.decode()).get("tierd_tls_handshakes_total", {})
            return next((v for n, ls, v in fam.get("samples", [])
                         if ls == {"listener": listener, "result": result}), None)
        want = {"full": 3, "resumed": 18, "failed": 1}
        wait_for(lambda: all((count(r) or 0) >= n for r, n in want.items()), 15,
                 what=f"at least {want} handshakes in /metrics")
        assert {r: count(r) for r in want} == want
        assert count("full", "other") == 1


def test_python_ssl_client():
    with App(name="a1") as a1, TlsTierd(tls_stack(app=a1)) as t:
        ctx = ssl.create_default_context(cafile=f"{t.dir}/shop.ec.pem")
        with socket.create_connection(t.addr(), timeout=10) as s, \
                ctx.wrap_socket(s, server_hostname="shop.example") as ss:
            assert ss.version() in ("TLSv1.3", "TLSv1.2")
            assert ss.selected_alpn_protocol() in (None, "http/1.1")
            ss.sendall(b"GET /headers HTTP/1.1\r\nHost: shop.example\r\n"
                       b"Connection: close\r\n\r\n")
            data = b""
            while True:
                chunk = ss.recv(65536)
                if not chunk:
                    break
                data += chunk
        assert data.startswith(b"HTTP/1.1 200"), data[:200]
        assert b"X-Forwarded-Proto: https" in data
        # Hostname checking is the client's: the other name fails verification.
        ctx2 = ssl.create_default_context(cafile=f"{t.dir}/shop.ec.pem")
        with socket.create_connection(t.addr(), timeout=10) as s:
            try:
                ctx2.wrap_socket(s, server_hostname="other.example").close()
                raise AssertionError("other.example verified against shop.example's CA")
            except ssl.SSLCertVerificationError:
                pass


def test_wrong_protocol_gets_a_clear_answer_at_once():
    stack = tls_stack(rules="      - redirect: { scheme: http }\n",
                      extra="  - name: plain\n    address: ${listen2}\n    rules:\n"
                            "      - redirect: { scheme: https }\n")
    with TlsTierd(stack) as t:
        # Plain HTTP on the TLS port: nginx's 497-like page, in clear text.
        start = time.monotonic()
        r, closed = raw(t.addr(), b"GET / HTTP/1.1\r\nHost: x\r\n\r\n")
        assert r.status == 400 and closed, r
        assert b"plain HTTP request was sent to HTTPS port" in r.body, r.body
        # TLS on the plain port: an immediate 400 (the client's TLS library reports a
        # non-TLS answer), not a wait for the header timeout.
        ctx = ssl.create_default_context()
        with socket.create_connection(t.addr("listen2"), timeout=10) as s:
            try:
                ctx.wrap_socket(s, server_hostname="shop.example")
                raise AssertionError("a TLS handshake succeeded on a plain listener")
            except ssl.SSLError as e:
                assert "WRONG_VERSION_NUMBER" in str(e) or "wrong version" in str(e), e
        assert time.monotonic() - start < 5


def test_redirect_action_builds_the_url_like_alb():
    rules = ("      - match: { path_prefix: /moved/ }\n"
             "        redirect: { host: new.example, path: \"/v2/#{path}\", status: 302 }\n"
             "      - redirect: { scheme: https, port: \"${tlsport}\" }\n")
    text = ("listeners:\n  - name: http\n    address: ${listen}\n    rules:\n" + rules)
    with Tierd(text, tlsport=8443) as t:
        r = get(t.url("/a/b?x=1&y=2"))
        assert r.status == 301, r
        assert r.header("Location") == f"https://127.0.0.1:8443/a/b?x=1&y=2"
        r, _ = raw(t.addr(), b"GET /moved/p?q HTTP/1.1\r\nHost: old.example:81\r\n\r\n")
        assert r.status == 302, r
        assert r.header("Location") == f"http://new.example:{t.addr()[1]}/v2/moved/p?q"
        # HTTP/1.0 without Host: no name to redirect to.
        r, _ = raw(t.addr(), b"GET /a HTTP/1.0\r\n\r\n")
        assert r.status == 400 and r.header("Location") is None, r


def test_certificate_replaced_on_disk_under_load_loses_nothing():
    stack = ("listeners:\n  - name: https\n    address: ${listen}\n    tls:\n"
             "      certificates: [{ cert: ${dir}/live.pem, key: ${dir}/live.key }]\n"
             "    rules:\n      - forward: web\n")
    with App(name="a1") as a1:
        text = stack + f"target_groups:\n  web:\n    targets: [{a1.addr}]\nedge: {{ workers: 2 }}\n"
        t = TlsTierd(text)
        certs_into(t.dir)
        shutil.copy(f"{t.dir}/shop.ec.pem", f"{t.dir}/live.pem")
        shutil.copy(f"{t.dir}/shop.ec.key", f"{t.dir}/live.key")
        with t:
            assert subject(s_client(t, "-servername", "x")) == "shop.example"
            result = {}

            def load():
                result["wrk"] = wrk(f"https://127.0.0.1:{t.addr()[1]}/", threads=2, conns=20,
                                    duration="8s")
            th = threading.Thread(target=load, daemon=True)
            th.start()
            time.sleep(1.5)
            # Replace both files the way a renewal does: write aside, rename into place.
            for src, dst in (("other.ec.key", "live.key"), ("other.ec.pem", "live.pem")):
                shutil.copy(f"{t.dir}/{src}", f"{t.dir}/{dst}.new")
                os.replace(f"{t.dir}/{dst}.new", f"{t.dir}/{dst}")
            wait_for(lambda: subject(s_client(t, "-servername", "x")) == "other.example", 15,
                     what="the replaced certificate to be served")
            th.join(30)
            out, res = result["wrk"]
            assert res["requests"] > 100, out
            assert res["non2xx"] == 0 and res["socket_errors"] == 0, out
            assert "certificates reloaded listener=https" in t.stderr()


def test_check_reports_bad_certificates_with_positions(tmp_path):
    certs_into(str(tmp_path))
    d = str(tmp_path)
    (tmp_path / "s.yaml").write_text(
        "listeners:\n"
        "  - name: https\n"
        "    address: 127.0.0.1:8443\n"
        "    tls:\n"
        "      certificates:\n"
        f"        - {{ cert: {d}/shop.ec.pem, key: {d}/other.ec.key }}\n"
        f"        - {{ cert: {d}/expired.pem, key: {d}/expired.key }}\n"
        "      acme: { domains: [shop.example] }\n"
        "    rules:\n"
        "      - match: { host: api.example }\n"
        "        forward: web\n"
        "      - forward: web\n"
        "target_groups:\n  web: { targets: [127.0.0.1:9000] }\n")
    from harness import TIERD
    p = subprocess.run([TIERD, "check", str(tmp_path / "s.yaml")], capture_output=True,
                       text=True, timeout=30)
    out = p.stdout + p.stderr
    assert p.returncode == 2, out
    assert re.search(r"s\.yaml:6:\d+: .*key .*other\.ec\.key does not match certificate", out), out
    assert re.search(r"s\.yaml:7:\d+: .*expired\.pem expired on 20\d\d-", out), out
    assert re.search(r"s\.yaml:8:\d+: .*needs a top-level state_dir", out), out
    assert re.search(r"s\.yaml:10:\d+: .*host \"api\.example\" is not covered", out), out


def test_large_bodies_both_ways_and_static_files_over_tls():
    """Partial TLS writes and reads: a 6 MiB static file (read + SSL_write), a 6 MiB
    proxied response, chunked, and a 3 MiB upload echoed back, all byte-exact, with a
    client that reads slowly so that OpenSSL keeps records it could not send."""
    import hashlib
    rules = ("      - match: { path_prefix: /static/ }\n"
             "        static: { root: ${dir}/www }\n"
             "      - forward: web\n")
    with App(name="a1") as a1:
        t = TlsTierd(tls_stack(rules=rules, app=a1))
        os.makedirs(f"{t.dir}/www/static")
        blob = os.urandom(6 << 20)
        with open(f"{t.dir}/www/static/big.bin", "wb") as f:
            f.write(blob)
        with t:
            base = ["--cacert", f"{t.dir}/shop.ec.pem", "--resolve", t.resolve()]
            p = curl(*base, "--limit-rate", "3M", t.surl("/static/big.bin"), timeout=60)
            assert p.returncode == 0, p.stderr.decode()
            assert hashlib.sha256(p.stdout).digest() == hashlib.sha256(blob).digest()
            p = curl(*base, t.surl("/bytes?n=6291456&chunked=1"), timeout=60)
            assert p.returncode == 0 and len(p.stdout) == 6291456, p.stderr.decode()
            pattern = bytes(range(ord("a"), ord("z") + 1))
            assert p.stdout[:52] == pattern * 2 and p.stdout[-1:] in pattern
            up = os.urandom(3 << 20)
            with open(f"{t.dir}/up.bin", "wb") as f:
                f.write(up)
            p = curl(*base, "--data-binary", f"@{t.dir}/up.bin", "-H",
                     "Content-Type: application/octet-stream", t.surl("/echo"), timeout=60)
            assert p.returncode == 0, p.stderr.decode()
            assert p.stdout == up


def test_websocket_over_tls_and_graceful_close():
    """wss:// through the TLS transport (the tunnel uses it both ways, half-close
    included), with Python's websockets client over Python's ssl."""
    import asyncio
    import websockets
    with App(name="a1") as a1, TlsTierd(tls_stack(app=a1)) as t:
        ctx = ssl.create_default_context(cafile=f"{t.dir}/shop.ec.pem")

        async def run():
            async with websockets.connect(f"wss://shop.example:{t.addr()[1]}/ws", ssl=ctx,
                                          host="127.0.0.1", port=t.addr()[1],
                                          server_hostname="shop.example", max_size=None,
                                          open_timeout=10) as ws:
                await ws.send("hello over tls")
                assert await ws.recv() == "hello over tls"
                big = os.urandom(1 << 20)
                await ws.send(big)
                assert await ws.recv() == big
        asyncio.run(asyncio.wait_for(run(), 30))
        assert t.proc.poll() is None


def test_check_warns_about_a_certificate_that_expires_soon(tmp_path):
    from harness import TIERD
    subprocess.run(["openssl", "req", "-x509", "-newkey", "ec", "-pkeyopt",
                    "ec_paramgen_curve:P-256", "-nodes", "-days", "3", "-subj", "/CN=a.example",
                    "-keyout", str(tmp_path / "k.pem"), "-out", str(tmp_path / "c.pem")],
                   check=True, capture_output=True)
    (tmp_path / "s.yaml").write_text(
        "listeners:\n  - name: https\n    address: 127.0.0.1:8443\n    tls:\n"
        f"      certificates: [{{ cert: {tmp_path}/c.pem, key: {tmp_path}/k.pem }}]\n"
        "    rules: [{ redirect: { scheme: http } }]\n")
    p = subprocess.run([TIERD, "check", str(tmp_path / "s.yaml")], capture_output=True,
                       text=True, timeout=30)
    out = p.stdout + p.stderr
    assert p.returncode != 2, out                  # a warning, not an error
    assert re.search(r"s\.yaml:5:\d+: warning: .*expires on 20\d\d-\d\d-\d\d .*less than 14 "
                     r"days", out), out

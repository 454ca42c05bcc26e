"""
tests/e2e/acme/pebblekit.py: a real ACME CA for the acme scenarios, offline on loopback.

Pebble(http_port, tls_port, validity_s) runs Debian's `pebble` (the CA's own test server)
with a throwaway HTTPS certificate for its directory, and `pebble-challtestsrv` as its DNS
server only (its challenge servers off: tierd answers the challenges), which resolves every
name to 127.0.0.1 so a test can ask for shop.test. http_port / tls_port are where Pebble
connects to validate http-01 / tls-alpn-01: the tierd listeners under test.

.directory          the ACME directory URL
.ca_bundle          the PEM that makes the directory's certificate trusted (acme.ca_bundle)
.root_pem()         the root issued certificates chain to (management API /roots/0)
acme_stack(...)     a stack file with an http listener and an https listener with acme:
                    serving ${dir}/www (make_site(t) fills it)
https_get(...)      a GET over TLS trusting only Pebble's root, and the certificate served
certs(t) / cert_info(path) / wait_installed(...)   state as tierd and openssl see it

See ../../shared/reference/test-services.md for the traps (PEBBLE_VA_NOSLEEP, nonces).
"""
import json
import os
import shutil
import socket
import ssl
import subprocess
import tempfile
import time
import urllib.request

from harness import _live, _kill, current_logs, free_port, temp_paths, wait_for, \
    control_request, TIERD


def _need_binaries():
    for prog in ("pebble", "pebble-challtestsrv", "openssl"):
        if not shutil.which(prog):
            raise RuntimeError(f"{prog} not found: install the Debian package "
                               f"{'openssl' if prog == 'openssl' else 'pebble'} "
                               f"(scripts/deps.sh check)")


class Pebble:
    def __init__(self, http_port, tls_port, validity_s=3600, nonce_reject=None,
                 authz_reuse=None):
        _need_binaries()
        self.dir = tempfile.mkdtemp(prefix="tierd-pebble-")
        temp_paths.append(self.dir)
        self.http_port, self.tls_port = http_port, tls_port
        self.validity_s = validity_s
        self.nonce_reject = nonce_reject
        self.authz_reuse = authz_reuse
        self.port, self.mgmt, self.dns, self.dns_mgmt = (free_port() for _ in range(4))
        self.directory = f"https://127.0.0.1:{self.port}/dir"
        self.ca_bundle = os.path.join(self.dir, "pebble-wfe.pem")
        self.procs = []

    def _spawn(self, argv, name, env=None):
        log = os.path.join(self.dir, name + ".log")
        f = open(log, "wb")
        p = subprocess.Popen(argv, stdout=f, stderr=subprocess.STDOUT, stdin=subprocess.DEVNULL,
                             cwd=self.dir, env=env)
        f.close()
        _live.append(p)
        current_logs.append((name, log, p))
        self.procs.append(p)
        return p

    def __enter__(self):
        key = os.path.join(self.dir, "pebble-wfe.key")
        subprocess.run(["openssl", "req", "-x509", "-newkey", "ec", "-pkeyopt",
                        "ec_paramgen_curve:P-256", "-nodes", "-keyout", key, "-out",
                        self.ca_bundle, "-days", "2", "-subj", "/CN=pebble-wfe",
                        "-addext", "subjectAltName=IP:127.0.0.1,DNS:localhost"],
                       check=True, capture_output=True, timeout=30)
        cfg = os.path.join(self.dir, "pebble.json")
        with open(cfg, "w") as f:
            json.dump({"pebble": {
                "listenAddress": f"127.0.0.1:{self.port}",
                "managementListenAddress": f"127.0.0.1:{self.mgmt}",
                "certificate": self.ca_bundle, "privateKey": key,
                "httpPort": self.http_port, "tlsPort": self.tls_port,
                "ocspResponderURL": "", "externalAccountBindingRequired": False,
                "certificateValidityPeriod": self.validity_s}}, f)
        self._spawn(["pebble-challtestsrv", "-defaultIPv4", "127.0.0.1", "-defaultIPv6", "",
                     "-dns01", f"127.0.0.1:{self.dns}", "-http01", "", "-tlsalpn01", "",
                     "-https01", "", "-management", f"127.0.0.1:{self.dns_mgmt}"], "challtestsrv")
        env = dict(os.environ, PEBBLE_VA_NOSLEEP="1")
        if self.nonce_reject is not None:
            env["PEBBLE_WFE_NONCEREJECT"] = str(self.nonce_reject)
        if self.authz_reuse is not None:
            env["PEBBLE_AUTHZREUSE"] = str(self.authz_reuse)
        self._spawn(["pebble", "-config", cfg, "-dnsserver", f"127.0.0.1:{self.dns}"], "pebble",
                    env=env)
        wait_for(self._ready, 20, interval=0.1, what="Pebble's directory")
        return self

    def _ctx(self):
        return ssl.create_default_context(cafile=self.ca_bundle)

    def _ready(self):
        try:
            with urllib.request.urlopen(self.directory, context=self._ctx(), timeout=2) as r:
                return r.status == 200
        except OSError:
            return False

    def root_pem(self):
        """The root of the chains Pebble issues (a new one every start)."""
        url = f"https://127.0.0.1:{self.mgmt}/roots/0"
        with urllib.request.urlopen(url, context=self._ctx(), timeout=5) as r:
            return r.read().decode()

    def log(self):
        with open(os.path.join(self.dir, "pebble.log"), "rb") as f:
            return f.read().decode(errors="replace")

    def __exit__(self, *exc):
        for p in reversed(self.procs):
            _kill(p)
        return False


def acme_stack(pebble, challenge="http-01", domains=("shop.test", "www.shop.test"),
               extra=""):
    """http (${listen}, Pebble's httpPort) and https (${listen_tls}, tlsPort) listeners."""
    return (f"state_dir: ${{dir}}/state\n"
            f"control: {{ socket: ${{dir}}/tierd.sock }}\n"
            f"listeners:\n"
            f"  - name: http\n"
            f"    address: ${{listen}}\n"
            f"    rules:\n"
            f"      - redirect: {{ scheme: https, status: 301 }}\n"
            f"  - name: https\n"
            f"    address: ${{listen_tls}}\n"
            f"    tls:\n"
            f"      acme:\n"
            f"        email: ops@shop.test\n"
            f"        domains: [{', '.join(domains)}]\n"
            f"        directory: {pebble.directory}\n"
            f"        ca_bundle: {pebble.ca_bundle}\n"
            f"        challenge: {challenge}\n"
            f"    rules:\n"
            f"      - static: {{ root: ${{dir}}/www }}\n" + extra)


def make_site(t):
    """The static root acme_stack serves, in the Tierd's directory (before it starts)."""
    os.makedirs(os.path.join(t.dir, "www"), exist_ok=True)
    with open(os.path.join(t.dir, "www", "index.html"), "w") as f:
        f.write("hello over https\n")


def https_get(pebble, t, host, path="/"):
    """GET https://host:PORT/path on the https listener, trusting only Pebble's root:
    (status, body, DER of the certificate served)."""
    ctx = ssl.create_default_context(cadata=pebble.root_pem())
    ctx.minimum_version = ssl.TLSVersion.TLSv1_2
    addr = t.subst["listen_tls"].rpartition(":")
    sock = socket.create_connection((addr[0], int(addr[2])), timeout=10)
    with ctx.wrap_socket(sock, server_hostname=host) as s:
        der = s.getpeercert(binary_form=True)
        s.sendall(f"GET {path} HTTP/1.1\r\nHost: {host}\r\nConnection: close\r\n\r\n".encode())
        data = b""
        while True:
            chunk = s.recv(65536)
            if not chunk:
                break
            data += chunk
    head, _, body = data.partition(b"\r\n\r\n")
    return int(head.split(b" ")[1]), body, der


def leaf_der(path):
    """The DER of the first certificate of a PEM chain file."""
    pem = open(path).read()
    first = pem[:pem.index("-----END CERTIFICATE-----") + 25]
    return ssl.PEM_cert_to_DER_cert(first)


def ports():
    """(http_port, tls_port) for a Pebble and the Tierd it validates."""
    return free_port(), free_port()


def certs(t):
    """GET /v1/certs over the control socket: the list of certificates."""
    status, _, body = control_request(os.path.join(t.dir, "tierd.sock"), "GET", "/v1/certs")
    assert status == 200, body
    return json.loads(body)["certificates"]


def certs_cli(t):
    return subprocess.run([TIERD, "certs", "--socket", os.path.join(t.dir, "tierd.sock")],
                          capture_output=True, text=True, timeout=30)


def cert_info(path):
    """serial, notBefore and notAfter of the leaf of a PEM chain, as openssl reads them."""
    out = subprocess.run(["openssl", "x509", "-in", path, "-noout", "-serial", "-startdate",
                          "-enddate", "-ext", "subjectAltName"], capture_output=True, text=True,
                         check=True, timeout=30).stdout
    return out


def verify_chain(pebble, path):
    """openssl verify of the leaf against Pebble's root, with the chain's intermediates."""
    d = tempfile.mkdtemp(prefix="tierd-verify-")
    temp_paths.append(d)
    root = os.path.join(d, "root.pem")
    with open(root, "w") as f:
        f.write(pebble.root_pem())
    pems = open(path).read().split("-----END CERTIFICATE-----")
    leaf = os.path.join(d, "leaf.pem")
    chain = os.path.join(d, "chain.pem")
    with open(leaf, "w") as f:
        f.write(pems[0] + "-----END CERTIFICATE-----\n")
    with open(chain, "w") as f:
        f.write("-----END CERTIFICATE-----".join(pems[1:]))
    return subprocess.run(["openssl", "verify", "-CAfile", root, "-untrusted", chain, leaf],
                          capture_output=True, text=True, timeout=30)


def wait_state(t, pred, timeout, what):
    """Waits until pred(first certificate of /v1/certs) holds; returns that certificate."""
    got = {}

    def check():
        c = certs(t)
        if c and pred(c[0]):
            got["c"] = c[0]
            return True
        return False
    wait_for(check, timeout, interval=0.2, what=what)
    return got["c"]

#!/usr/bin/python3
"""TLS termination: tierd vs nginx vs HAProxy, side by side, one worker each, the same
ECDSA P-256 certificate, TLS 1.3.  See docs/bench.md ("TLS").

    /usr/bin/python3 bench/tls_bench.py --tierd build/tierd --app build/app [--quick]

Figures, each the proxy's own CPU (utime+stime of its worker, from /proc) divided by the
work done, median over interleaved rounds:
- full handshake: `openssl s_time -new` (TLS 1.3, no resumption), connections made;
- resumed handshake: a Python client resuming one TLS 1.3 ticket session over and over;
- HTTPS keep-alive request: wrk over https, 50 connections, GET / to build/app;
- idle TLS connection memory: RSS delta over N connections, each after one request;
- with --testssl, `testssl.sh --fast` against tierd, findings by severity (the
  certificate's own findings, self-signed and made for the bench, are listed apart).
The proxy runs on CPU 1 and the clients on CPU 0 when the machine has two or more.
"""

import argparse
import json
import os
import re
import shutil
import socket
import ssl
import statistics
import subprocess
import sys
import time

sys.dont_write_bytecode = True
sys.path.insert(0, os.path.dirname(os.path.abspath(__file__)))

from procs import Procs, cpu_seconds, descendants, free_port, rss_bytes  # noqa: E402


def parse_args(argv):
    ap = argparse.ArgumentParser(description=__doc__.split("\n")[0])
    ap.add_argument("--tierd", default="build/tierd")
    ap.add_argument("--app", default="build/app")
    ap.add_argument("--out", default="build/bench-tls")
    ap.add_argument("--rounds", type=int, default=3)
    ap.add_argument("--seconds", type=int, default=5, help="per handshake and request run")
    ap.add_argument("--idle", type=int, default=2000, help="idle TLS connections")
    ap.add_argument("--proxies", default="nginx,haproxy,tierd")
    ap.add_argument("--testssl", action="store_true", help="also run testssl.sh --fast")
    ap.add_argument("--quick", action="store_true", help="1 round, 2 s runs, 500 idle")
    a = ap.parse_args(argv)
    if a.quick:
        a.rounds, a.seconds, a.idle = 1, 2, 500
    return a


def make_cert(d):
    cert, key = os.path.join(d, "cert.pem"), os.path.join(d, "key.pem")
    subprocess.run(["openssl", "req", "-x509", "-newkey", "ec", "-pkeyopt",
                    "ec_paramgen_curve:P-256", "-nodes", "-days", "30", "-subj",
                    "/CN=localhost", "-addext", "subjectAltName=DNS:localhost,IP:127.0.0.1",
                    "-keyout", key, "-out", cert], check=True, capture_output=True)
    os.chmod(key, 0o600)
    with open(os.path.join(d, "both.pem"), "w") as f:      # HAProxy wants one file
        f.write(open(cert).read() + open(key).read())
    return cert, key


def nginx_conf(d, port, backend, cert, key):
    conf = os.path.join(d, "nginx-tls.conf")
    temp = "\n".join(f"    {k}_temp_path {d}/{k}_temp;"
                     for k in ("client_body", "proxy", "fastcgi", "uwsgi", "scgi"))
    user = "user root;\n" if os.geteuid() == 0 else ""
    with open(conf, "w") as f:
        f.write(f"""{user}daemon off;
master_process on;
worker_processes 1;
worker_rlimit_nofile 16000;
pid {d}/nginx-tls.pid;
error_log {d}/nginx-tls-error.log warn;
events {{ worker_connections 12000; }}
http {{
    access_log off;
{temp}
    keepalive_timeout 300s;
    keepalive_requests 100000000;
    upstream app {{ server 127.0.0.1:{backend}; keepalive 64; }}
    server {{
        listen 127.0.0.1:{port} ssl backlog=4096;
        ssl_certificate {cert};
        ssl_certificate_key {key};
        ssl_protocols TLSv1.2 TLSv1.3;
        ssl_session_cache shared:SSL:10m;
        ssl_session_tickets on;
        location / {{
            proxy_pass http://app;
            proxy_http_version 1.1;
            proxy_set_header Connection "";
            proxy_set_header X-Forwarded-For $proxy_add_x_forwarded_for;
        }}
    }}
}}
""")
    return ["nginx", "-p", d + "/", "-c", conf]


def haproxy_conf(d, port, backend, cert, key):
    conf = os.path.join(d, "haproxy-tls.cfg")
    with open(conf, "w") as f:
        f.write(f"""global
    nbthread 1
    maxconn 8000
    tune.ssl.default-dh-param 2048
defaults
    mode http
    option forwardfor
    http-reuse safe
    maxconn 8000
    timeout connect 5s
    timeout client 300s
    timeout server 300s
    timeout http-keep-alive 300s
    timeout http-request 300s
frontend bench
    bind 127.0.0.1:{port} ssl crt {d}/both.pem alpn http/1.1
    default_backend app
backend app
    server app1 127.0.0.1:{backend}
""")
    return ["haproxy", "-db", "-f", conf]


def tierd_conf(d, port, backend, cert, key, exe):
    conf = os.path.join(d, "tierd-tls.yaml")
    with open(conf, "w") as f:
        f.write(f"""listeners:
  - name: bench
    address: 127.0.0.1:{port}
    tls:
      certificates: [{{ cert: {cert}, key: {key} }}]
    rules:
      - forward: app
target_groups:
  app:
    targets: [127.0.0.1:{backend}]
edge:
  workers: 1
""")
    return [exe, "run", conf]


def full_handshakes(port, seconds, cpus):
    """openssl s_time -new: full TLS 1.3 handshakes, no request. Returns the count."""
    args = ["openssl", "s_time", "-connect", f"127.0.0.1:{port}", "-new", "-time", str(seconds)]
    if cpus:
        args = ["taskset", "-c", cpus] + args
    out = subprocess.run(args, capture_output=True, text=True, timeout=seconds + 30).stdout
    m = re.search(r"(\d+) connections in [\d.]+s", out)
    return int(m.group(1)) if m else 0


def resumed_handshakes(port, seconds):
    """One ticket session resumed again and again (TLS 1.3, no request). Count, reused."""
    ctx = ssl.SSLContext(ssl.PROTOCOL_TLS_CLIENT)
    ctx.check_hostname = False
    ctx.verify_mode = ssl.CERT_NONE
    ctx.minimum_version = ctx.maximum_version = ssl.TLSVersion.TLSv1_3
    with socket.create_connection(("127.0.0.1", port)) as s, ctx.wrap_socket(s) as ss:
        ss.sendall(b"GET / HTTP/1.1\r\nHost: localhost\r\n\r\n")
        ss.recv(65536)                  # the ticket comes with (or before) the response
        session = ss.session
    n = reused = 0
    end = time.monotonic() + seconds
    while time.monotonic() < end:
        with socket.create_connection(("127.0.0.1", port)) as s, \
                ctx.wrap_socket(s, session=session) as ss:
            reused += ss.session_reused
            n += 1
    return n, reused


def https_requests(port, seconds, cpus):
    args = ["wrk", "-t1", "-c50", f"-d{seconds}s", f"https://127.0.0.1:{port}/"]
    if cpus:
        args = ["taskset", "-c", cpus] + args
    out = subprocess.run(args, capture_output=True, text=True, timeout=seconds + 60).stdout
    m = re.search(r"(\d+) requests in", out)
    errors = re.search(r"Socket errors: connect (\d+), read (\d+), write (\d+), timeout (\d+)",
                       out)
    return int(m.group(1)) if m else 0, sum(map(int, errors.groups())) if errors else 0


def idle_tls(port, n, pids):
    """N TLS connections, one keep-alive request each, then idle: RSS delta / N."""
    ctx = ssl.SSLContext(ssl.PROTOCOL_TLS_CLIENT)
    ctx.check_hostname = False
    ctx.verify_mode = ssl.CERT_NONE
    time.sleep(0.5)
    rss0 = rss_bytes(pids)
    conns = []
    try:
        for _ in range(n):
            s = socket.create_connection(("127.0.0.1", port))
            ss = ctx.wrap_socket(s)
            ss.sendall(b"GET / HTTP/1.1\r\nHost: localhost\r\n\r\n")
            ss.recv(65536)
            conns.append(ss)
        time.sleep(1.0)
        rss1 = rss_bytes(pids)
    finally:
        for c in conns:
            c.close()
    return (rss1 - rss0) / n


def measure(pids, fn):
    c0 = cpu_seconds(pids)
    res = fn()
    return res, cpu_seconds(pids) - c0


def run_proxy(a, procs, name, out, cert, key, backend, cpus_proxy, cpus_load):
    port = free_port()
    if name == "nginx":
        args = nginx_conf(out, port, backend, cert, key)
    elif name == "haproxy":
        args = haproxy_conf(out, port, backend, cert, key)
    else:
        args = tierd_conf(out, port, backend, cert, key, os.path.abspath(a.tierd))
    p = procs.start(args, stdout_path=os.path.join(out, f"{name}-tls.out"), cpus=cpus_proxy,
                    cwd=out)
    procs.wait_ready(p, port)
    time.sleep(0.3)
    pids = descendants(p.pid) if name == "nginx" else [p.pid] + descendants(p.pid)
    pids = [x for x in pids if os.path.basename(os.readlink(f"/proc/{x}/exe")) != "taskset"]
    r = {}
    try:
        full_handshakes(port, 1, cpus_load)                  # warm-up
        n, cpu = measure(pids, lambda: full_handshakes(port, a.seconds, cpus_load))
        r["full_handshakes"] = n
        r["us_per_full_handshake"] = cpu * 1e6 / max(1, n)
        (n, reused), cpu = measure(pids, lambda: resumed_handshakes(port, a.seconds))
        r["resumed_handshakes"], r["resumed_reused"] = n, reused
        r["us_per_resumed_handshake"] = cpu * 1e6 / max(1, n)
        (n, errors), cpu = measure(pids, lambda: https_requests(port, a.seconds, cpus_load))
        r["https_requests"], r["https_socket_errors"] = n, errors
        r["us_per_https_request"] = cpu * 1e6 / max(1, n)
        r["idle_tls_bytes_per_conn"] = idle_tls(port, a.idle, pids)
    finally:
        procs.stop(p)
    return r


def testssl(a, procs, out, cert, key, backend):
    port = free_port()
    args = tierd_conf(out, port, backend, cert, key, os.path.abspath(a.tierd))
    with open(args[2]) as f:
        text = f.read().replace("      certificates:", "      hsts: { max_age: 365d }\n"
                                "      certificates:")
    with open(args[2], "w") as f:
        f.write(text)
    p = procs.start(args, stdout_path=os.path.join(out, "tierd-testssl.out"), cwd=out)
    procs.wait_ready(p, port)
    js = os.path.join(out, "testssl.json")
    if os.path.exists(js):
        os.unlink(js)
    t0 = time.monotonic()
    subprocess.run(["testssl", "--fast", "--quiet", "--color", "0", "--warnings", "batch",
                    "--jsonfile-pretty", js, f"127.0.0.1:{port}"], capture_output=True,
                   timeout=900)
    wall = time.monotonic() - t0
    procs.stop(p)
    found = json.load(open(js))["scanResult"][0]
    server, certificate = {}, []
    for section in found.values():
        if not isinstance(section, list):
            continue
        for f in section:
            sev = f.get("severity", "")
            if sev not in ("LOW", "MEDIUM", "HIGH", "CRITICAL"):
                continue
            # Facts about the bench's own self-signed certificate, not about tierd.
            if f["id"].startswith(("cert_", "DNS_CAArecord")):
                certificate.append(f"{f['id']} {sev}: {f['finding']}")
            else:
                server.setdefault(sev, []).append(f"{f['id']}: {f['finding']}")
    return {"wall_s": round(wall, 1), "server_findings": server,
            "certificate_findings": certificate}


def main(argv):
    a = parse_args(argv)
    out = os.path.abspath(a.out)
    os.makedirs(out, exist_ok=True)
    cert, key = make_cert(out)
    ncpu = os.cpu_count() or 1
    cpus_proxy, cpus_load = ("1", "0") if ncpu >= 2 else (None, None)
    cmds = []
    procs = Procs(cmds.append)
    names = [n for n in a.proxies.split(",") if n == "tierd" or shutil.which(n)]
    results = {n: [] for n in names}
    try:
        backend = free_port()
        b = procs.start([os.path.abspath(a.app), "--listen", f"127.0.0.1:{backend}", "--name",
                         "bench", "--threads", "1"], stdout_path=os.path.join(out, "app.out"),
                        cpus=cpus_load)
        procs.wait_ready(b, backend)
        for rnd in range(a.rounds):
            for n in names:
                r = run_proxy(a, procs, n, out, cert, key, backend, cpus_proxy, cpus_load)
                results[n].append(r)
                print(f"round {rnd + 1} {n}: " + ", ".join(
                    f"{k}={v:.1f}" if isinstance(v, float) else f"{k}={v}"
                    for k, v in r.items()), flush=True)
        ts = testssl(a, procs, out, cert, key, backend) if a.testssl else None
    finally:
        procs.stop_all()

    keys = ["us_per_full_handshake", "us_per_resumed_handshake", "us_per_https_request",
            "idle_tls_bytes_per_conn"]
    med = {n: {k: statistics.median(r[k] for r in results[n]) for k in keys} for n in names}
    print("\nTLS, one worker, ECDSA P-256, TLS 1.3 (median of %d rounds; ratio to nginx)"
          % a.rounds)
    print("%-28s" % "" + "".join("%18s" % n for n in names))
    for k in keys:
        row = "%-28s" % k
        for n in names:
            v = med[n][k]
            ratio = f" ({v / med['nginx'][k]:.2f}x)" if "nginx" in med and med["nginx"][k] else ""
            row += "%18s" % (f"{v:.0f}{ratio}")
        print(row)
    if ts:
        print(f"\ntestssl.sh --fast against tierd ({ts['wall_s']} s): server findings "
              + (json.dumps(ts["server_findings"]) if ts["server_findings"] else "none")
              + f"; {len(ts['certificate_findings'])} about the bench's self-signed "
                "certificate")
    with open(os.path.join(out, "results.json"), "w") as f:
        json.dump({"rounds": results, "median": med, "testssl": ts, "commands": cmds}, f,
                  indent=1)
    return 0


if __name__ == "__main__":
    sys.exit(main(sys.argv[1:]))

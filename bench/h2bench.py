#!/usr/bin/python3
"""HTTP/2 per-request CPU: tierd vs nginx vs HAProxy, side by side, in one run.

    /usr/bin/python3 bench/h2bench.py --tierd build/tierd --app build/app [--rounds 3]

Each proxy runs with one worker, HTTP/2 with prior knowledge (h2c) on its listener and
HTTP/1.1 keep-alive to the one backend (build/app, one thread). Load is
`h2load -c10 -m10 -D <duration>` (10 connections, 10 streams each). The proxy is pinned to
CPU 1, the backend and h2load to CPU 0 (--pin none to disable). The figure is the proxy's
CPU time (user + system, every thread or worker process) over the requests that succeeded;
rounds are interleaved and medians reported with the ratio to nginx. Over TLS (ALPN h2,
one ECDSA P-256 certificate made for the run) by default; --h2c for plain TCP. Each run's
10 full handshakes are included; at under 10 ms of CPU against seconds they do not show.
Results go to <out>/h2bench.json.
"""

import argparse
import json
import os
import re
import shutil
import statistics
import subprocess
import sys
import time

sys.dont_write_bytecode = True
sys.path.insert(0, os.path.dirname(os.path.abspath(__file__)))

from procs import Procs, cpu_seconds, descendants, free_port  # noqa: E402


def make_cert(d):
    """One ECDSA P-256 certificate for all three proxies (and its key, and both in one file
    for HAProxy's crt)."""
    cert, key, both = (os.path.join(d, n) for n in ("bench.ec.pem", "bench.ec.key", "bench.pem"))
    subprocess.run(["openssl", "req", "-x509", "-newkey", "ec", "-pkeyopt",
                    "ec_paramgen_curve:P-256", "-nodes", "-keyout", key, "-out", cert, "-days",
                    "7", "-subj", "/CN=localhost", "-addext", "subjectAltName=DNS:localhost"],
                   check=True, capture_output=True)
    os.chmod(key, 0o600)
    with open(both, "w") as f:
        f.write(open(cert).read() + open(key).read())
    os.chmod(both, 0o600)
    return cert, key, both


def nginx_conf(d, port, backend, tls):
    user = "user root;\n" if os.geteuid() == 0 else ""
    temp = "\n".join(f"    {k}_temp_path {d}/{k}_temp;"
                     for k in ("client_body", "proxy", "fastcgi", "uwsgi", "scgi"))
    path = os.path.join(d, "nginx-h2.conf")
    with open(path, "w") as f:
        f.write(f"""# written by bench/h2bench.py
{user}daemon off;
master_process on;
worker_processes 1;
pid {d}/nginx-h2.pid;
error_log {d}/nginx-h2-error.log warn;
events {{ worker_connections 4096; }}
http {{
    access_log off;
{temp}
    keepalive_timeout 300s;
    keepalive_requests 100000000;
    http2_max_concurrent_streams 100;
    upstream app {{
        server 127.0.0.1:{backend};
        keepalive 64;
        keepalive_requests 100000000;
    }}
    server {{
        listen 127.0.0.1:{port} {"ssl " if tls else ""}http2 backlog=4096;
{f"        ssl_certificate {tls[0]};" if tls else ""}
{f"        ssl_certificate_key {tls[1]};" if tls else ""}
        location / {{
            proxy_pass http://app;
            proxy_http_version 1.1;
            proxy_set_header Connection "";
            proxy_set_header X-Forwarded-For $proxy_add_x_forwarded_for;
        }}
    }}
}}
""")
    return ["nginx", "-p", d + "/", "-c", path], lambda pid: descendants(pid)


def haproxy_conf(d, port, backend, tls):
    path = os.path.join(d, "haproxy-h2.cfg")
    with open(path, "w") as f:
        f.write(f"""# written by bench/h2bench.py
global
    nbthread 1
    maxconn 4096
defaults
    mode http
    option forwardfor
    http-reuse safe
    timeout connect 5s
    timeout client 300s
    timeout server 300s
frontend bench
    bind 127.0.0.1:{port} {f"ssl crt {tls[2]} alpn h2,http/1.1" if tls else "proto h2"}
    default_backend app
backend app
    server app1 127.0.0.1:{backend}
""")
    return ["haproxy", "-db", "-f", path], lambda pid: [pid]


def tierd_conf(d, port, backend, exe, tls):
    path = os.path.join(d, "tierd-h2.yaml")
    with open(path, "w") as f:
        f.write(f"""# written by bench/h2bench.py
listeners:
  - name: bench
    address: 127.0.0.1:{port}
    http2: {{ h2c: {"false" if tls else "true"}, max_requests_per_connection: 10000000 }}
{f"    tls: {{ certificates: [{{ cert: {tls[0]}, key: {tls[1]} }}] }}" if tls else ""}
    rules:
      - forward: app
target_groups:
  app:
    targets: [127.0.0.1:{backend}]
edge:
  workers: 1
""")
    return [exe, "run", path], lambda pid: [pid]


def h2load(port, duration, pin, tls):
    scheme = "https" if tls else "http"
    cmd = (["taskset", "-c", "0"] if pin else []) + \
        ["h2load", "-c10", "-m10", "-D", str(duration), f"{scheme}://127.0.0.1:{port}/"]
    p = subprocess.run(cmd, capture_output=True, text=True, timeout=duration + 60)
    m = re.search(r"requests: (\d+) total, (\d+) started, (\d+) done, (\d+) succeeded, "
                  r"(\d+) failed, (\d+) errored, (\d+) timeout", p.stdout)
    if not m:
        raise RuntimeError("h2load said:\n" + p.stdout + p.stderr)
    ok, failed = int(m.group(4)), int(m.group(5)) + int(m.group(6)) + int(m.group(7))
    codes = re.search(r"status codes: (\d+) 2xx", p.stdout)
    return ok, failed, int(codes.group(1)) if codes else 0


def main(argv):
    ap = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    ap.add_argument("--tierd", default="build/tierd")
    ap.add_argument("--app", default="build/app")
    ap.add_argument("--out", default="build/bench")
    ap.add_argument("--duration", type=int, default=5)
    ap.add_argument("--rounds", type=int, default=3)
    ap.add_argument("--pin", choices=("split", "none"), default="split")
    ap.add_argument("--h2c", action="store_true", help="plain TCP (prior knowledge), not TLS")
    a = ap.parse_args(argv)
    d = os.path.abspath(os.path.join(a.out, "h2"))
    os.makedirs(d, exist_ok=True)
    pin = a.pin == "split" and os.cpu_count() and os.cpu_count() >= 2
    if not shutil.which("h2load"):
        print("h2bench: h2load missing (Debian nghttp2-client)", file=sys.stderr)
        return 2
    logf = open(os.path.join(d, "h2bench.log"), "a")
    procs = Procs(lambda args: print(" ".join(map(str, args)), file=logf, flush=True))
    results = {}
    tls = None if a.h2c else make_cert(d)
    try:
        bport = free_port()
        backend = procs.start([os.path.abspath(a.app), "--listen", f"127.0.0.1:{bport}",
                               "--name", "bench", "--threads", "1"],
                              stdout_path=os.path.join(d, "app.out"), cpus="0" if pin else None)
        procs.wait_ready(backend, bport, banner="app bench listening on")
        makers = [("nginx", lambda p: nginx_conf(d, p, bport, tls)),
                  ("haproxy", lambda p: haproxy_conf(d, p, bport, tls)),
                  ("tierd", lambda p: tierd_conf(d, p, bport, os.path.abspath(a.tierd), tls))]
        makers = [(n, m) for n, m in makers if n == "tierd" or shutil.which(n)]
        for rnd in range(a.rounds):
            for name, make in makers:
                port = free_port()
                cmd, workers = make(port)
                p = procs.start(cmd, stdout_path=os.path.join(d, f"{name}.out"),
                                cpus="1" if pin else None, cwd=d)
                procs.wait_ready(p, port)
                time.sleep(0.3)
                h2load(port, 1, pin, tls)               # warm up, unmeasured
                pids = workers(p.pid)
                cpu0 = cpu_seconds(pids)
                ok, failed, two = h2load(port, a.duration, pin, tls)
                cpu = cpu_seconds(pids) - cpu0
                procs.stop(p)
                r = results.setdefault(name, [])
                r.append({"requests": ok, "failed": failed, "2xx": two, "cpu_s": cpu,
                          "us_per_request": cpu / ok * 1e6 if ok else None})
                print(f"round {rnd + 1} {name:8s} {ok:8d} ok {failed:5d} failed "
                      f"{cpu:6.2f} s CPU {cpu / max(ok, 1) * 1e6:7.2f} us/request", flush=True)
    finally:
        procs.stop_all()
    med = {n: statistics.median(x["us_per_request"] for x in r if x["us_per_request"])
           for n, r in results.items()}
    base = med.get("nginx")
    print("\nHTTP/2 " + ("h2c (prior knowledge, plain TCP)" if a.h2c else
                         "over TLS 1.3 (ALPN h2, ECDSA P-256)")
          + ", h2load -c10 -m10, one worker each:")
    print(f"{'proxy':8s} {'us CPU/request':>15s} {'vs nginx':>9s} {'failed':>7s}")
    for n, v in med.items():
        ratio = f"{v / base:.2f}x" if base else "-"
        print(f"{n:8s} {v:15.2f} {ratio:>9s} {sum(x['failed'] for x in results[n]):7d}")
    with open(os.path.join(d, "h2bench.json"), "w") as f:
        json.dump({"transport": "h2c" if a.h2c else "tls", "median_us_per_request": med,
                   "runs": results}, f, indent=1)
    return 0


if __name__ == "__main__":
    sys.exit(main(sys.argv[1:]))

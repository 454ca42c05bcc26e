#!/usr/bin/env python3
"""FastCGI proxies side by side: tierd (protocol: fastcgi) vs nginx fastcgi_pass vs Caddy
php_fastcgi, each with one worker, in front of the same PHP-FPM pool (pm static), serving a
tiny PHP script. Each proxy gets the same wrk load in turn (after a warm-up); reported:
requests/s, p99 latency (wrk --latency), and the proxy's CPU per request from /proc
(utime+stime of the proxy's processes over the measured run, nginx's master and worker).

    python3 bench/fcgibench.py --tierd build/tierd [--seconds 10] [--conns 8]
"""
import argparse
import os
import re
import shutil
import subprocess
import sys
import tempfile
import time

sys.path.insert(0, os.path.dirname(os.path.abspath(__file__)))
from procs import Procs, cpu_seconds, descendants, free_port  # noqa: E402

FPM = "/usr/sbin/php-fpm8.2"


def wrk(url, seconds, conns):
    p = subprocess.run(["wrk", "-t1", f"-c{conns}", f"-d{seconds}s", "--latency", url],
                       capture_output=True, text=True, timeout=seconds + 30)
    out = p.stdout
    rps = float(re.search(r"Requests/sec:\s*([\d.]+)", out).group(1))
    n = int(re.search(r"(\d+) requests in", out).group(1))
    m = re.search(r"99%\s+([\d.]+)(us|ms|s)", out)
    p99_ms = float(m.group(1)) * {"us": 0.001, "ms": 1, "s": 1000}[m.group(2)]
    bad = re.search(r"Non-2xx or 3xx responses:\s*(\d+)", out)
    errs = re.search(r"Socket errors: (.*)", out)
    return {"rps": rps, "n": n, "p99_ms": p99_ms, "non2xx": int(bad.group(1)) if bad else 0,
            "errors": errs.group(1) if errs else ""}


def main():
    ap = argparse.ArgumentParser()
    ap.add_argument("--tierd", required=True)
    ap.add_argument("--seconds", type=int, default=10)
    ap.add_argument("--conns", type=int, default=8)
    ap.add_argument("--children", type=int, default=4)
    a = ap.parse_args()
    a.tierd = os.path.abspath(a.tierd)
    d = tempfile.mkdtemp(prefix="fcgibench-")
    os.chmod(d, 0o755)          # nginx workers (nobody) resolve $realpath_root
    root = os.path.join(d, "public")
    os.makedirs(root)
    with open(os.path.join(root, "index.php"), "w") as f:
        f.write("<?php echo 'hello from php ', $_SERVER['REQUEST_URI'];\n")
    cmds = []
    procs = Procs(cmds.append)
    fpm_port = free_port()
    user = "user = root\ngroup = root\n" if os.getuid() == 0 else ""
    with open(os.path.join(d, "fpm.conf"), "w") as f:
        f.write(f"[global]\ndaemonize = no\nerror_log = {d}/fpm.log\npid = {d}/fpm.pid\n"
                f"[www]\n{user}listen = 127.0.0.1:{fpm_port}\npm = static\n"
                f"pm.max_children = {a.children}\nclear_env = no\n")
    results = {}
    try:
        fpm = procs.start([FPM, "--nodaemonize", "--fpm-config", f"{d}/fpm.conf", "-n"] +
                          (["-R"] if os.getuid() == 0 else []), stdout_path=f"{d}/fpm.out")
        procs.wait_ready(fpm, fpm_port)

        ports = {name: free_port() for name in ("tierd", "nginx", "caddy")}
        with open(f"{d}/tierd.yaml", "w") as f:
            f.write(f"""listeners:
  - name: public
    address: 127.0.0.1:{ports['tierd']}
    rules:
      - forward: php
target_groups:
  php:
    protocol: fastcgi
    targets: [127.0.0.1:{fpm_port}]
    fastcgi: {{ root: {root} }}
edge: {{ workers: 1 }}
""")
        with open(f"{d}/nginx.conf", "w") as f:
            f.write(f"""worker_processes 1;
daemon off;
pid {d}/nginx.pid;
error_log {d}/nginx.err;
events {{ worker_connections 1024; }}
http {{
    access_log off;
    upstream php {{ server 127.0.0.1:{fpm_port}; keepalive 1; }}
    server {{
        listen 127.0.0.1:{ports['nginx']};
        root {root};
        location / {{ try_files $uri /index.php?$query_string; }}
        location ~ \\.php$ {{
            include /etc/nginx/fastcgi_params;
            fastcgi_param SCRIPT_FILENAME $realpath_root$fastcgi_script_name;
            fastcgi_param DOCUMENT_ROOT $realpath_root;
            fastcgi_keep_conn on;
            fastcgi_pass php;
        }}
    }}
}}
""")
        with open(f"{d}/Caddyfile", "w") as f:
            f.write(f"""{{
    admin off
    auto_https off
}}
http://127.0.0.1:{ports['caddy']} {{
    root * {root}
    php_fastcgi 127.0.0.1:{fpm_port}
}}
""")
        starts = {
            "tierd": [a.tierd, "run", f"{d}/tierd.yaml"],
            "nginx": ["nginx", "-c", f"{d}/nginx.conf", "-p", d],
            "caddy": ["caddy", "run", "--config", f"{d}/Caddyfile", "--adapter", "caddyfile"],
        }
        env = {"caddy": {"GOMAXPROCS": "1", "HOME": d, "XDG_DATA_HOME": d, "XDG_CONFIG_HOME": d}}
        for name in ("tierd", "nginx", "caddy"):
            if name != "tierd" and not shutil.which(starts[name][0]):
                results[name] = None
                continue
            p = procs.start(starts[name], stdout_path=f"{d}/{name}.out", cwd=d,
                            env=env.get(name))
            procs.wait_ready(p, ports[name], timeout=20)
            url = f"http://127.0.0.1:{ports[name]}/shop/items?page=2"
            probe = subprocess.run(["curl", "-sS", "-i", url], capture_output=True, text=True)
            if "hello from php /shop/items?page=2" not in probe.stdout:
                raise RuntimeError(f"{name} does not serve the script: {probe.stdout[:400]}"
                                   f"{probe.stderr}")
            wrk(url, 2, a.conns)                        # warm-up
            pids = [p.pid] + descendants(p.pid)
            c0 = cpu_seconds(pids)
            r = wrk(url, a.seconds, a.conns)
            r["cpu_us_per_req"] = (cpu_seconds(pids) - c0) / r["n"] * 1e6
            results[name] = r
            procs.stop(p)
    finally:
        procs.stop_all()
    print(f"FastCGI to one php-fpm8.2 pool (pm static, {a.children} children), one proxy "
          f"worker, wrk -t1 -c{a.conns} -d{a.seconds}s, a one-line PHP script")
    print(f"{'proxy':8} {'req/s':>9} {'p99 ms':>8} {'proxy CPU us/req':>17} {'non-2xx':>8}")
    for name, r in results.items():
        if r is None:
            print(f"{name:8} not installed")
            continue
        print(f"{name:8} {r['rps']:9.0f} {r['p99_ms']:8.2f} {r['cpu_us_per_req']:17.1f} "
              f"{r['non2xx']:8d} {r['errors']}")
    if results.get("nginx") and results.get("tierd"):
        print(f"tierd / nginx proxy CPU per request: "
              f"{results['tierd']['cpu_us_per_req'] / results['nginx']['cpu_us_per_req']:.2f}x")
    shutil.rmtree(d, ignore_errors=True)


if __name__ == "__main__":
    main()

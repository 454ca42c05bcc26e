"""The three proxies under test and the backend, each as a config writer + command line.

All three are configured alike: one worker, access log to a file under the output
directory, upstream keep-alive, X-Forwarded-For added, no client keep-alive request cap,
idle timeouts long enough for the idle-connection hold.
"""

import os
import shutil
import time

from procs import descendants

# file descriptors: 5,000 idle clients + upstream connections + margin; the bench raises its
# own RLIMIT_NOFILE (children inherit it) and the configs ask for what they need.
NGINX_WORKER_CONNECTIONS = 12000
NGINX_RLIMIT_NOFILE = 16000
HAPROXY_MAXCONN = 8000


class Proxy:
    name = "?"
    access_log = None           # file name under ctx.out, truncated before each start

    def __init__(self, ctx):
        self.ctx = ctx

    def unavailable(self):
        """None if the proxy can be run, else a reason string."""
        return None

    def command(self, port, backend_port):
        raise NotImplementedError

    def worker_pids(self, pid):
        """The processes whose CPU and RSS are measured (pid is the started process)."""
        return [pid] + descendants(pid)

    def wait_workers(self, pid, timeout=5.0):
        deadline = time.monotonic() + timeout
        while True:
            pids = self.worker_pids(pid)
            if pids or time.monotonic() > deadline:
                return pids
            time.sleep(0.05)


class Nginx(Proxy):
    name = "nginx"
    access_log = "nginx-access.log"

    def unavailable(self):
        return None if shutil.which("nginx") else "nginx not installed"

    def command(self, port, backend_port):
        d = os.path.join(self.ctx.out, "nginx")
        os.makedirs(d, exist_ok=True)
        conf = os.path.join(d, "nginx.conf")
        temp = "\n".join(f"    {k}_temp_path {d}/{k}_temp;"
                         for k in ("client_body", "proxy", "fastcgi", "uwsgi", "scgi"))
        user = "user root;\n" if os.geteuid() == 0 else ""
        static = ""
        if getattr(self.ctx, "static_root", None):
            static = f"""
        location /static/ {{
            root {self.ctx.static_root};
            sendfile on;
            expires 1h;   # tierd: cache_max_age 1h
        }}"""
        with open(conf, "w") as f:
            f.write(f"""# written by bench/run.py
{user}daemon off;
master_process on;
worker_processes 1;
worker_rlimit_nofile {NGINX_RLIMIT_NOFILE};
pid {d}/nginx.pid;
error_log {self.ctx.out}/nginx-error.log warn;
events {{
    worker_connections {NGINX_WORKER_CONNECTIONS};
}}
http {{
    access_log {self.ctx.out}/nginx-access.log combined;
{temp}
    keepalive_timeout 300s;
    keepalive_requests 100000000;
    upstream app {{
        server 127.0.0.1:{backend_port};
        keepalive 64;
        keepalive_requests 100000000;
        keepalive_timeout 300s;
    }}
    server {{
        listen 127.0.0.1:{port} backlog=4096;
        location / {{
            proxy_pass http://app;
            proxy_http_version 1.1;
            proxy_set_header Connection "";
            proxy_set_header X-Forwarded-For $proxy_add_x_forwarded_for;
        }}
        location /ws {{
            proxy_pass http://app;
            proxy_http_version 1.1;
            proxy_set_header Upgrade $http_upgrade;
            proxy_set_header Connection "upgrade";
            proxy_set_header X-Forwarded-For $proxy_add_x_forwarded_for;
            proxy_read_timeout 3600s;
        }}{static}
    }}
}}
""")
        return ["nginx", "-p", d + "/", "-c", conf]

    def worker_pids(self, pid):
        # the workers, not the master (the master does no request work)
        return descendants(pid)


class Haproxy(Proxy):
    name = "haproxy"
    access_log = "haproxy-access.log"

    def unavailable(self):
        return None if shutil.which("haproxy") else "haproxy not installed"

    def command(self, port, backend_port):
        conf = os.path.join(self.ctx.out, "haproxy.cfg")
        with open(conf, "w") as f:
            f.write(f"""# written by bench/run.py; access log lines go to stdout, which the bench
# redirects to haproxy-access.log (haproxy has no plain log-file target).
global
    nbthread 1
    maxconn {HAPROXY_MAXCONN}
    log stdout format raw local0 info

defaults
    mode http
    log global
    option httplog
    option forwardfor
    # http-reuse safe is the default: idle server connections are reused
    http-reuse safe
    maxconn {HAPROXY_MAXCONN}
    timeout connect 5s
    timeout client 300s
    timeout server 300s
    timeout http-keep-alive 300s
    timeout http-request 300s
    # upgraded (WebSocket) connections
    timeout tunnel 3600s

frontend bench
    bind 127.0.0.1:{port}
    default_backend app

backend app
    server app1 127.0.0.1:{backend_port}
""")
        # -db: foreground, no daemon, single process (the started pid is the worker)
        return ["haproxy", "-db", "-f", conf]

    def stdout_name(self):
        return self.access_log


class Tierd(Proxy):
    name = "tierd"
    access_log = "tierd-access.log"

    def unavailable(self):
        t = self.ctx.tierd
        if not t or not os.path.isfile(t):
            return f"{t or 'tierd'} not found"
        if not os.access(t, os.X_OK):
            return f"{t} not executable"
        return None

    def command(self, port, backend_port):
        conf = os.path.join(self.ctx.out, "tierd.yaml")
        log = os.path.join(self.ctx.out, self.access_log)
        static = ""
        if getattr(self.ctx, "static_root", None):
            static = f"""
      - match: {{ path_prefix: /static/ }}
        static: {{ root: {self.ctx.static_root}, index: index.html, cache_max_age: 1h }}"""
        with open(conf, "w") as f:
            f.write(f"""# written by bench/run.py
listeners:
  - name: bench
    address: 127.0.0.1:{port}
    rules:{static}
      - forward: app
target_groups:
  app:
    targets: [127.0.0.1:{backend_port}]
access_log: {{ path: {log}, format: combined }}
edge:
  workers: 1
""")
        return [self.ctx.tierd, "run", conf]


PROXIES = [Nginx, Haproxy, Tierd]


# ---- backend -------------------------------------------------------------------------

def backend_command(ctx, port):
    """(args, banner) for the single backend instance.

    build/app is the real backend; when it is missing (early in the project) a tiny nginx
    answering `200 hello` stands in, and the results say so.
    """
    if ctx.app and os.path.isfile(ctx.app) and os.access(ctx.app, os.X_OK):
        return ([ctx.app, "--listen", f"127.0.0.1:{port}", "--name", "bench", "--threads", "1"],
                "app bench listening on", "app")
    d = os.path.join(ctx.out, "standin")
    os.makedirs(d, exist_ok=True)
    conf = os.path.join(d, "nginx.conf")
    temp = "\n".join(f"    {k}_temp_path {d}/{k}_temp;"
                     for k in ("client_body", "proxy", "fastcgi", "uwsgi", "scgi"))
    user = "user root;\n" if os.geteuid() == 0 else ""
    with open(conf, "w") as f:
        f.write(f"""# stand-in backend written by bench/run.py (build/app missing)
{user}daemon off;
worker_processes 1;
worker_rlimit_nofile 16000;
pid {d}/nginx.pid;
error_log {d}/error.log warn;
events {{ worker_connections 12000; }}
http {{
    access_log off;
{temp}
    keepalive_timeout 300s;
    keepalive_requests 100000000;
    server {{
        listen 127.0.0.1:{port} backlog=4096;
        location / {{ default_type text/plain; return 200 "hello\\n"; }}
    }}
}}
""")
    return (["nginx", "-p", d + "/", "-c", conf], None, "stand-in nginx (build/app missing)")

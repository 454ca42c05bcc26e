"""The proxies under test and the backend, each as a config writer + command line.

Every proxy runs in two log modes (LOG_MODES), configured alike otherwise: one worker,
upstream keep-alive, X-Forwarded-For added, no client keep-alive request cap, idle
timeouts long enough for the idle-connection hold.

- "off": no access log at all.
- "buffered": the proxy's best buffered access log to a file under the output directory:
  nginx `access_log ... buffer=32k flush=1s` (tierd's own buffer size and flush delay),
  tierd's access log (always buffered: 32 KiB or 1 s), HAProxy's ring forwarded to
  bench/logsink (HAProxy has no log-file target; see Haproxy), Caddy's `log` to a file
  (Caddy 2.6 has no buffered log writer: one write per request is its best).
"""

import os
import shutil
import time

from procs import build_c, descendants, free_port

LOG_MODES = ("off", "buffered")

# file descriptors: 5,000 idle clients + upstream connections + margin; the bench raises its
# own RLIMIT_NOFILE (children inherit it) and the configs ask for what they need.
NGINX_WORKER_CONNECTIONS = 12000
NGINX_RLIMIT_NOFILE = 16000
HAPROXY_MAXCONN = 8000
UPSTREAM_IDLE = 64              # idle upstream connections kept (nginx `keepalive 64`)

LOGSINK_SRC = os.path.join(os.path.dirname(os.path.abspath(__file__)), "logsink.c")


class Proxy:
    name = "?"
    serves_files = True

    def __init__(self, ctx, log="buffered"):
        self.ctx = ctx
        self.log = log

    @property
    def access_log(self):
        """File name under ctx.out, truncated before each start; None when logs are off."""
        return f"{self.name}-access.log" if self.log == "buffered" else None

    def log_path(self):
        return os.path.join(self.ctx.out, self.access_log)

    def unavailable(self):
        """None if the proxy can be run, else a reason string."""
        return None

    def command(self, port, backend_port):
        raise NotImplementedError

    def env(self):
        """Environment variables added for the proxy process."""
        return None

    def sidecars(self):
        """[(args, port, banner)]: processes started before the proxy, pinned and measured
        with it (their CPU and RSS are the proxy's), stopped after it."""
        return []

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

    def unavailable(self):
        return None if shutil.which("nginx") else "nginx not installed"

    def command(self, port, backend_port):
        d = os.path.join(self.ctx.out, "nginx")
        os.makedirs(d, exist_ok=True)
        conf = os.path.join(d, f"nginx-{self.log}.conf")
        temp = "\n".join(f"    {k}_temp_path {d}/{k}_temp;"
                         for k in ("client_body", "proxy", "fastcgi", "uwsgi", "scgi"))
        user = "user root;\n" if os.geteuid() == 0 else ""
        # tierd buffers its access log 32 KiB or 1 s, whichever comes first: the same here
        alog = (f"access_log {self.log_path()} combined buffer=32k flush=1s;"
                if self.access_log else "access_log off;")
        static = ""
        if getattr(self.ctx, "static_root", None):
            static = f"""
        location /static/ {{
            root {self.ctx.static_root};
            sendfile on;
            # As Debian's nginx.conf ships it: the head leaves with the file's first bytes
            # (TCP_CORK), as tierd's does (MSG_MORE). docs/bench.md says why it matters.
            tcp_nopush on;
            expires 1h;   # tierd: cache_max_age 1h
        }}"""
        with open(conf, "w") as f:
            f.write(f"""# written by bench/run.py (log mode: {self.log})
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
    {alog}
{temp}
    keepalive_timeout 300s;
    keepalive_requests 100000000;
    upstream app {{
        server 127.0.0.1:{backend_port};
        keepalive {UPSTREAM_IDLE};
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
    """HAProxy has no log-file target. Its one buffered log target is a ring (`log
    ring@NAME`): lines go into a memory ring that HAProxy forwards to a TCP syslog server,
    many lines per send. The bench's server is bench/logsink (appends what it reads to the
    file, one write per read), pinned to the proxy's core with HAProxy and measured as part
    of it, so HAProxy pays for its file writes as the others do. ctx.haproxy_log = "stdout"
    selects the unbuffered alternative instead: `log stdout format raw`, stdout redirected
    to the file (one write per line, in HAProxy's own process)."""
    name = "haproxy"
    serves_files = False
    RING_BYTES = 8 << 20      # ~60,000 lines: > 1 s of the bench's load if the sink lags

    def unavailable(self):
        return None if shutil.which("haproxy") else "haproxy not installed"

    def _ring(self):
        return self.access_log and getattr(self.ctx, "haproxy_log", "ring") == "ring"

    def command(self, port, backend_port):
        conf = os.path.join(self.ctx.out, f"haproxy-{self.log}.cfg")
        ring, glog, dlog = "", "", ""
        if self._ring():
            self.sink_port = free_port()
            ring = f"""
# the buffered log: a memory ring forwarded over TCP to bench/logsink, which appends it to
# {self.log_path()}
ring accesslog
    format raw
    maxlen 2048
    size {self.RING_BYTES}
    timeout connect 5s
    timeout server 300s
    server logsink 127.0.0.1:{self.sink_port}
"""
            glog = "    log ring@accesslog local0 info\n"
        elif self.access_log:
            # stdout is redirected to the log file by run.py (stdout_name)
            glog = "    log stdout format raw local0 info\n"
        if glog:
            dlog = "    log global\n    option httplog\n"
        with open(conf, "w") as f:
            f.write(f"""# written by bench/run.py (log mode: {self.log})
{ring}
global
    nbthread 1
    maxconn {HAPROXY_MAXCONN}
{glog}
defaults
    mode http
{dlog}    option forwardfor
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

    def sidecars(self):
        if not self._ring():
            return []
        exe = os.path.join(self.ctx.out, "logsink")
        build_c(LOGSINK_SRC, exe, self.ctx.log_cmd)
        return [([exe, "-p", str(self.sink_port), "-o", self.log_path()], self.sink_port,
                 "logsink listening")]

    def stdout_name(self):
        if self.access_log and not self._ring():
            return self.access_log
        return f"haproxy-{self.log}.out"


class Caddy(Proxy):
    """Caddy (Go): one worker is GOMAXPROCS=1 (Go code runs on one OS thread at a time; the
    runtime's other threads are measured too). Its admin endpoint and automatic HTTPS are
    off; HOME and XDG dirs point into the output directory so it writes nothing else."""
    name = "caddy"

    def unavailable(self):
        return None if shutil.which("caddy") else "caddy not installed"

    def env(self):
        d = os.path.join(self.ctx.out, "caddy")
        os.makedirs(d, exist_ok=True)
        return {"GOMAXPROCS": "1", "HOME": d, "XDG_DATA_HOME": d, "XDG_CONFIG_HOME": d}

    def command(self, port, backend_port):
        d = os.path.join(self.ctx.out, "caddy")
        os.makedirs(d, exist_ok=True)
        conf = os.path.join(d, f"Caddyfile-{self.log}")
        # Caddy 2.6's file writer does one write(2) per entry (no buffering option); json is
        # its standard access-log format (the stock build has no combined format)
        log = ""
        if self.access_log:
            log = f"""
	log {{
		output file {self.log_path()} {{
			roll_disabled
		}}
		format json
	}}"""
        static = ""
        if getattr(self.ctx, "static_root", None):
            static = f"""
	handle /static/* {{
		root * {self.ctx.static_root}
		header Cache-Control "max-age=3600"
		file_server
	}}"""
        with open(conf, "w") as f:
            f.write(f"""# written by bench/run.py (log mode: {self.log})
{{
	admin off
	auto_https off
	servers {{
		timeouts {{
			idle 300s
		}}
	}}
}}
# every Host (the idle client sends `Host: bench`), on loopback only
http://:{port} {{
	bind 127.0.0.1{log}{static}
	handle {{
		# X-Forwarded-For is added by default; upgrades (WebSocket) are passed through
		reverse_proxy 127.0.0.1:{backend_port} {{
			transport http {{
				keepalive 300s
				keepalive_idle_conns {UPSTREAM_IDLE}
				keepalive_idle_conns_per_host {UPSTREAM_IDLE}
			}}
		}}
	}}
}}
""")
        return ["caddy", "run", "--config", conf, "--adapter", "caddyfile"]


class Tierd(Proxy):
    name = "tierd"

    def unavailable(self):
        t = self.ctx.tierd
        if not t or not os.path.isfile(t):
            return f"{t or 'tierd'} not found"
        if not os.access(t, os.X_OK):
            return f"{t} not executable"
        return None

    def command(self, port, backend_port):
        conf = os.path.join(self.ctx.out, f"tierd-{self.log}.yaml")
        static = ""
        if getattr(self.ctx, "static_root", None):
            static = f"""
      - match: {{ path_prefix: /static/ }}
        static: {{ root: {self.ctx.static_root}, index: index.html, cache_max_age: 1h }}"""
        # tierd's access log is always buffered (32 KiB or 1 s, src/edge/accesslog.c)
        alog = (f"access_log: {{ path: {self.log_path()}, format: combined }}\n"
                if self.access_log else "")
        with open(conf, "w") as f:
            f.write(f"""# written by bench/run.py (log mode: {self.log})
listeners:
  - name: bench
    address: 127.0.0.1:{port}
    rules:{static}
      - forward: app
target_groups:
  app:
    targets: [127.0.0.1:{backend_port}]
{alog}edge:
  workers: 1
""")
        return [self.ctx.tierd, "run", conf]


PROXIES = [Nginx, Haproxy, Caddy, Tierd]


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

"""tierd analyze on access logs really written by Debian's nginx and apache2, with layouts
of their own (log_format / LogFormat strings, not ours): the test starts each server on
loopback, sends requests with curl from chosen 127.x sources (a scanner probing sensitive
files, a visitor browsing pages), and analyzes the files the servers wrote:
--log-format / --apache-format with the very strings the servers were configured with,
--format auto on the layouts it should recognise (combined plus the host last, the host
first, nginx's escape=json), and a file read with the wrong layout is an error that shows
sample lines, not an empty report."""
import json
import os
import shutil
import subprocess
import tempfile
import time

import pytest

from harness import TIERD, _kill, _live, free_port, probe, need, temp_paths, wait_for, \
    can_connect

SCANNER = "127.0.0.66"
VISITOR = "127.0.0.10"
SCAN_PATHS = ["/.env", "/.git/config", "/wp-config.php.bak", "/phpmyadmin/", "/backup.sql",
              "/.aws/credentials", "/config.php~", "/.htpasswd", "/server-status", "/admin.php"]
PAGES = ["/", "/app.js", "/about.html", "/", "/style.css", "/about.html"]

# Layouts the servers write with: strings users have in their configurations.
NGINX_ODD = ('$time_iso8601 | $host | $remote_addr | $status | "$request" | '
             '$request_time | "$http_user_agent" | $upstream_addr')
NGINX_HOST_LAST = ('$remote_addr - $remote_user [$time_local] "$request" $status '
                   '$body_bytes_sent "$http_referer" "$http_user_agent" $request_time "$host"')
NGINX_JSON = ('{"time_local":"$time_local","remote_addr":"$remote_addr",'
              '"request":"$request","status":"$status","body_bytes_sent":"$body_bytes_sent",'
              '"http_referer":"$http_referer","http_user_agent":"$http_user_agent",'
              '"http_host":"$http_host","request_time":"$request_time"}')
APACHE_ODD = r'%{%Y}t %a \"%m %U%q %H\" %>s %D %{Host}i \"%{User-Agent}i\" [%t] %B'
APACHE_VHOST = r'%v:%p %h %l %u %t \"%r\" %>s %O \"%{Referer}i\" \"%{User-Agent}i\"'


@probe("nginx")
def _probe_nginx():
    return (True, shutil.which("nginx")) if shutil.which("nginx") else (
        False, "nginx not found (package nginx-light; `scripts/deps.sh check` installs it)")


@probe("apache2")
def _probe_apache2():
    if os.geteuid() != 0:
        return False, "apache2 refuses to switch to www-data unless started as root"
    return (True, shutil.which("apache2")) if shutil.which("apache2") else (
        False, "apache2 not found (package apache2; `scripts/deps.sh check` installs it)")


def docroot(d):
    root = os.path.join(d, "www")
    os.makedirs(root)
    for name, body in (("index.html", "<h1>hi</h1>"), ("app.js", "x=1"),
                       ("about.html", "about"), ("style.css", "p{}")):
        with open(os.path.join(root, name), "w") as f:
            f.write(body)
    os.chmod(d, 0o755)
    return root


def start(argv, port, what):
    p = subprocess.Popen(argv, stdout=subprocess.DEVNULL, stderr=subprocess.PIPE)
    _live.append(p)
    try:
        wait_for(lambda: can_connect("127.0.0.1", port) or p.poll() is not None, 15,
                 what=f"{what} listening")
    except Exception:
        _kill(p)
        raise
    if p.poll() is not None:
        raise AssertionError(f"{what} exited: {p.stderr.read().decode()[-2000:]}")
    return p


def traffic(port, host):
    """The scanner probes SCAN_PATHS, the visitor browses PAGES; curl binds each source."""
    base = f"http://127.0.0.1:{port}"
    for src, paths, ua in ((SCANNER, SCAN_PATHS, "python-requests/2.28.1"),
                           (VISITOR, PAGES, "Mozilla/5.0 (X11; Linux x86_64) Firefox/120.0")):
        args = ["curl", "-s", "--interface", src, "-H", f"Host: {host}", "-A", ua]
        for path in paths:
            args += ["-o", "/dev/null", base + path]
        subprocess.run(args, check=True, timeout=60)


def analyze(*args):
    p = subprocess.run([TIERD, "analyze", "--json", *args], capture_output=True, timeout=60)
    return p.returncode, p.stdout.decode(), p.stderr.decode()


def wait_lines(path, n):
    def ready():
        try:
            with open(path) as f:
                return sum(1 for _ in f) >= n
        except FileNotFoundError:
            return False
    wait_for(ready, 15, what=f"{n} lines in {path}")


def check_report(out, layout, detected, host=None):
    doc = json.loads(out)
    f = doc["files"][0]
    assert (f["layout"], f["detected"], f["skipped"]) == (layout, detected, 0), f
    assert doc["parsed"] == len(SCAN_PATHS) + len(PAGES)
    found = {o["address"]: o for o in doc["offenders"]}
    assert SCANNER in found and "sensitive_files" in found[SCANNER]["attacks"], doc["offenders"]
    assert VISITOR not in found
    if host:
        assert found[SCANNER]["sample_hosts"] == [host]
    return doc


@pytest.fixture(scope="module")
def nginx_logs():
    need("nginx")
    d = tempfile.mkdtemp(prefix="tierd-nginx-")
    temp_paths.append(d)
    root = docroot(d)
    port = free_port()
    logs = {k: os.path.join(d, f"{k}.log") for k in ("odd", "host_last", "json")}
    conf = os.path.join(d, "nginx.conf")
    with open(conf, "w") as f:
        f.write(f"""
daemon off;
worker_processes 1;
pid {d}/nginx.pid;
error_log {d}/error.log;
events {{ worker_connections 64; }}
http {{
    client_body_temp_path {d}/tmp;
    proxy_temp_path {d}/tmp;
    fastcgi_temp_path {d}/tmp;
    uwsgi_temp_path {d}/tmp;
    scgi_temp_path {d}/tmp;
    log_format odd '{NGINX_ODD}';
    log_format host_last '{NGINX_HOST_LAST}';
    log_format json escape=json '{NGINX_JSON}';
    server {{
        listen 127.0.0.1:{port};
        root {root};
        access_log {logs['odd']} odd;
        access_log {logs['host_last']} host_last;
        access_log {logs['json']} json;
    }}
}}
""")
    p = start(["nginx", "-p", d, "-c", conf], port, "nginx")
    try:
        traffic(port, "shop.example")
        for path in logs.values():
            wait_lines(path, len(SCAN_PATHS) + len(PAGES))
    finally:
        _kill(p)
    return logs


@pytest.fixture(scope="module")
def apache_logs():
    need("apache2")
    d = tempfile.mkdtemp(prefix="tierd-apache-")
    temp_paths.append(d)
    root = docroot(d)
    port = free_port()
    logs = {k: os.path.join(d, f"{k}.log") for k in ("odd", "vhost")}
    mods = "/usr/lib/apache2/modules"
    conf = os.path.join(d, "apache2.conf")
    with open(conf, "w") as f:
        f.write(f"""
ServerRoot {d}
ServerName shop.example
DefaultRuntimeDir {d}
PidFile {d}/apache2.pid
Mutex file:{d} default
User www-data
Group www-data
LoadModule mpm_event_module {mods}/mod_mpm_event.so
LoadModule authz_core_module {mods}/mod_authz_core.so
Listen 127.0.0.1:{port}
ErrorLog {d}/error.log
DocumentRoot {root}
<Directory {root}>
    Require all granted
</Directory>
LogFormat "{APACHE_ODD}" odd
LogFormat "{APACHE_VHOST}" vhost_combined
CustomLog {logs['odd']} odd
CustomLog {logs['vhost']} vhost_combined
""")
    p = start(["apache2", "-f", conf, "-DFOREGROUND"], port, "apache2")
    try:
        traffic(port, "shop.example")
        for path in logs.values():
            wait_lines(path, len(SCAN_PATHS) + len(PAGES))
    finally:
        _kill(p)
    return logs


def test_nginx_log_format_string_reads_a_layout_of_its_own(nginx_logs):
    rc, out, err = analyze(nginx_logs["odd"], "--log-format", NGINX_ODD)
    assert rc == 0, err
    check_report(out, "nginx log_format", False, host="shop.example")


def test_nginx_directive_pasted_from_the_configuration(nginx_logs):
    directive = f"log_format odd '{NGINX_ODD[:30]}'\n    '{NGINX_ODD[30:]}';"
    rc, out, err = analyze(nginx_logs["odd"], "--log-format", directive)
    assert rc == 0, err
    check_report(out, "nginx log_format", False, host="shop.example")


def test_auto_recognises_combined_with_the_host_last(nginx_logs):
    rc, out, err = analyze(nginx_logs["host_last"])
    assert rc == 0, err
    check_report(out, "combined_host_last", True, host="shop.example")


def test_auto_recognises_nginx_escape_json(nginx_logs):
    rc, out, err = analyze(nginx_logs["json"])
    assert rc == 0, err
    check_report(out, "json", True, host="shop.example")


def test_a_log_read_with_the_wrong_layout_is_an_error_with_samples(nginx_logs):
    rc, out, err = analyze(nginx_logs["odd"], "--format", "combined")
    assert rc == 2 and out == "", (rc, out)
    assert f"{nginx_logs['odd']}:1: " in err and "do not fit the layout combined" in err, err
    assert "--log-format" in err
    # auto finds nothing it knows in this layout: the same error, not an empty report.
    rc, out, err = analyze(nginx_logs["odd"])
    assert rc == 2 and f"{nginx_logs['odd']}:2: " in err, err


def test_apache_logformat_string_reads_a_layout_of_its_own(apache_logs):
    rc, out, err = analyze(apache_logs["odd"], "--apache-format", APACHE_ODD)
    assert rc == 0, err
    check_report(out, "apache LogFormat", False, host="shop.example")


def test_auto_recognises_apache_vhost_combined(apache_logs):
    rc, out, err = analyze(apache_logs["vhost"])
    assert rc == 0, err
    check_report(out, "combined_host", True, host="shop.example")
    rc, out, err = analyze(apache_logs["vhost"], "--apache-format", APACHE_VHOST)
    assert rc == 0, err
    check_report(out, "apache LogFormat", False, host="shop.example")

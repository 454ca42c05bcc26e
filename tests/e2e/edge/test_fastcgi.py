"""FastCGI target groups against a real php-fpm8.2: the CGI params PHP sees, Status and
headers from PHP, query strings and PATH_INFO, the front controller, scripts that must
never run (an image with PHP in it, a file outside root, a symlink leaving root, "..",
the /uploads/evil.jpg/x.php trick), bodies streamed both ways, pooled keep-conn
connections across php-fpm's pm.max_requests, and the access log."""
import hashlib
import http.client
import json
import os
import subprocess

from fpm import Fpm, fcgi_stack
from harness import RawConn, Tierd, get, wait_for


def jget(t, path, **kw):
    r = get(t.url(path), **kw)
    return r, (json.loads(r.body) if r.body.startswith(b"{") else None)


def test_params_status_headers_and_front_controller():
    with Fpm() as fpm, Tierd(fcgi_stack(fpm, extra="access_log: { path: ${dir}/access.log }\n")) as t:
        r, j = jget(t, "/shop/items?page=2&q=a%20b",
                    headers={"X-Test": "one", "Proxy": "http://evil:1", "Cookie": "s=1"})
        assert r.status == 200 and j["front"], r.body
        host, port = t.addr()
        assert j["SCRIPT_FILENAME"] == os.path.realpath(fpm.root) + "/index.php"
        assert j["SCRIPT_NAME"] == "/index.php" and j["PATH_INFO"] in ("", None)
        assert j["DOCUMENT_ROOT"] == os.path.realpath(fpm.root)
        assert j["REQUEST_URI"] == "/shop/items?page=2&q=a%20b"
        assert j["QUERY_STRING"] == "page=2&q=a%20b" and j["get"] == {"page": "2", "q": "a b"}
        assert j["REQUEST_METHOD"] == "GET" and j["SERVER_PROTOCOL"] == "HTTP/1.1"
        assert j["SERVER_NAME"] == host and j["SERVER_PORT"] == str(port)
        assert j["REMOTE_ADDR"] == "127.0.0.1" and int(j["REMOTE_PORT"]) > 0
        assert j["HTTPS"] is None            # a plain listener
        assert j["GATEWAY_INTERFACE"] == "CGI/1.1" and j["REDIRECT_STATUS"] == "200"
        assert j["HTTP_HOST"] == f"{host}:{port}" and j["HTTP_X_TEST"] == "one"
        assert j["HTTP_PROXY"] is None       # httpoxy: never passed on
        assert j["HTTP_COOKIE"] == "s=1" and j["APP_ENV"] == "testing"

        # Status: and headers from PHP; two Set-Cookie fields stay two.
        r = get(t.url("/status.php"))
        assert r.status == 201 and r.body == b"made"
        assert r.header("X-From-Php") == "yes" and r.header("Status") is None
        assert sorted(v for n, v in r.headers if n.lower() == "set-cookie") == ["a=1", "b=2"]
        # Location without Status: 302 (PHP says so itself).
        r = get(t.url("/redirect.php"))
        assert r.status == 302 and r.header("Location") == "/elsewhere"
        # A Content-Length from PHP is kept; otherwise the body is chunked to 1.1 clients.
        r = get(t.url("/length.php"))
        assert r.body == b"hello" and r.header("Content-Length") == "5"
        r = get(t.url("/big.php?n=10"))
        assert r.body == b"x" * 10 and r.header("Transfer-Encoding") == "chunked"
        # HEAD: the head only.
        r = get(t.url("/status.php"), method="HEAD")
        assert r.status == 201 and r.body == b""

        # A real script with PATH_INFO; a script in a subdirectory.
        r, j = jget(t, "/info.php/a/b?x=1")
        assert j["script"] == "info" and j["SCRIPT_NAME"] == "/info.php"
        assert j["PATH_INFO"] == "/a/b" and j["get"] == {"x": "1"}
        assert get(t.url("/sub/page.php")).body == b"sub page /sub/page.php"

        # POST with a form body.
        r, j = jget(t, "/form", method="POST", body=b"a=1&b=two",
                    headers={"Content-Type": "application/x-www-form-urlencoded"})
        assert j["post"] == {"a": "1", "b": "two"} and j["CONTENT_LENGTH"] == "9"
        assert j["CONTENT_TYPE"] == "application/x-www-form-urlencoded"

        wait_for(lambda: any('"GET /status.php HTTP/1.1" 201' in line
                             for line in t.access_log_lines()), 10, what="the access log line")


def test_scripts_outside_root_or_not_php_never_run():
    with Fpm() as fpm, Tierd(fcgi_stack(fpm)) as t:
        host, port = t.addr()
        for path in ["/uploads/evil.jpg/x.php", "/uploads/evil.jpg", "/link.php",
                     "/uploads/evil.jpg%2fx.php", "/info.php.jpg", "/nope.php",
                     "/sub", "/sub/", "/%2e%2e/private/outside.php"]:
            r = get(t.url(path))
            assert b"PWNED" not in r.body, (path, r.body)
            assert r.status in (200, 400), (path, r.status)
            if r.status == 200:
                j = json.loads(r.body)
                assert j["front"] and j["SCRIPT_NAME"] == "/index.php", (path, j)
                assert j["REQUEST_URI"] == path
        # A raw "..", which no HTTP client library sends.
        with RawConn(host, port) as c:
            c.send(b"GET /../private/outside.php HTTP/1.1\r\nHost: x\r\n\r\n")
            r = c.response()
            assert b"PWNED" not in r.body and r.status in (200, 400), r.body


def test_large_upload_and_download_stream():
    up = os.urandom(8 << 20)
    with Fpm() as fpm, Tierd(fcgi_stack(fpm, extra="edge:\n  limits: { body_bytes: 64m }\n")) as t:
        r, j = jget(t, "/upload.php", method="POST", body=up,
                    headers={"Content-Type": "application/octet-stream"})
        assert r.status == 200, r.body
        assert j["bytes"] == len(up) and j["sha256"] == hashlib.sha256(up).hexdigest()
        # 32 MiB down through curl, whose count of bytes is independent of ours.
        p = subprocess.run(["curl", "-sS", "-o", "/dev/null", "-w", "%{http_code} %{size_download}",
                            t.url(f"/big.php?n={32 << 20}")], capture_output=True, text=True,
                           timeout=60)
        assert p.stdout == f"200 {32 << 20}", p.stdout + p.stderr
        # A chunked body has no CONTENT_LENGTH, and PHP-FPM would read none of it: 411, the
        # client is told to send a length instead of PHP seeing an empty body.
        p = subprocess.run(["curl", "-sS", "-o", "/dev/null", "-w", "%{http_code}", "-H",
                            "Transfer-Encoding: chunked", "--data-binary", "x" * 1000,
                            t.url("/upload.php")], capture_output=True, text=True, timeout=30)
        assert p.stdout == "411", p.stdout + p.stderr


def test_keep_conn_pools_connections():
    with Fpm() as fpm, Tierd(fcgi_stack(fpm)) as t:
        host, port = t.addr()
        c = http.client.HTTPConnection(host, port, timeout=10)
        for i in range(20):
            c.request("GET", f"/front?i={i}")
            r = c.getresponse()
            assert r.status == 200, r.read()
            r.read()
        c.close()
        # One connection to php-fpm served them all (FCGI_KEEP_CONN): ss sees tierd's side,
        # open or in TIME-WAIT; without pooling there would be 20.
        out = subprocess.run(["ss", "-tanH", f"dport = :{fpm.port}"], capture_output=True,
                             text=True).stdout
        conns = [line for line in out.splitlines() if line.strip()]
        assert 1 <= len(conns) <= 2, out


def test_max_requests_restarts_never_fail_a_request():
    # One worker that php-fpm replaces after every 3 requests, closing its connection just
    # after an answer. GETs on a pooled connection that was closed are retried; POSTs (not
    # replayable) always get a new connection, so none of them fails either.
    with Fpm(children=1, max_requests=3) as fpm, Tierd(fcgi_stack(fpm)) as t:
        host, port = t.addr()
        c = http.client.HTTPConnection(host, port, timeout=10)
        pids = []
        for i in range(12):
            if i % 2:
                c.request("POST", f"/front?i={i}", body=b"a=1",
                          headers={"Content-Type": "application/x-www-form-urlencoded"})
            else:
                c.request("GET", f"/front?i={i}")
            r = c.getresponse()
            body = r.read()
            assert r.status == 200, (i, body)
            pids.append(json.loads(body)["pid"])
        c.close()
        # Worker pids change every 3 requests: the pool really restarted workers.
        assert len(set(pids)) >= 3, pids


def test_php_stderr_goes_to_the_log():
    with Fpm() as fpm, Tierd(fcgi_stack(fpm)) as t:
        r = get(t.url("/stderr.php"))
        assert r.status == 200 and r.body == b"logged"
        # Without an error_log of its own PHP sends error_log() as FastCGI STDERR records
        # (fastcgi.logging), which tierd logs with the target's address.
        wait_for(lambda: "tierd-test-stderr-line" in t.stderr(), 10, what="the stderr line")
        line = [x for x in t.stderr().splitlines() if "tierd-test-stderr-line" in x][0]
        assert "fastcgi stderr" in line and fpm.addr in line

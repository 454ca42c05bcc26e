"""Trailers through tierd, both directions: HTTP/1.1 chunked trailers from a raw client and
towards a Python http.server target, HTTP/2 trailers (the gRPC shape: a trailing HEADERS
frame with grpc-status) read by python3-h2's client over h2c and over TLS. Fields RFC 9110
§6.5.1 keeps out of trailers (framing, routing, authentication) are dropped; a client that
cannot carry trailers (HTTP/1.0, or a Content-Length response) gets the body without them."""
import http.server
import socket
import ssl
import subprocess
import threading
import time

import h2.config
import h2.connection
import h2.events
from harness import RawConn, Tierd, stack

# What the target sends after its chunked body; the last three must never reach a client.
RESP_TRAILERS = [("grpc-status", "0"), ("grpc-message", "all good"),
                 ("Server-Timing", "db;dur=53"), ("Content-Length", "999"),
                 ("Set-Cookie", "stolen=1"), ("Transfer-Encoding", "chunked")]
ALLOWED = {"grpc-status", "grpc-message", "server-timing"}


class TrailerTarget:
    """A real http.server (ThreadingHTTPServer) target. It decodes chunked request bodies
    itself (http.server does not) and records the request trailers; /grpc answers chunked
    with RESP_TRAILERS plus x-echo-<name> for each request trailer; /length answers with a
    Content-Length (no trailers possible)."""

    def __init__(self):
        self.requests = []      # (path, headers dict lowercased, body, trailers list)
        target = self

        class Handler(http.server.BaseHTTPRequestHandler):
            protocol_version = "HTTP/1.1"

            def log_message(self, *a):
                pass

            def _body(self):
                trailers = []
                if self.headers.get("Transfer-Encoding", "").lower() == "chunked":
                    body = b""
                    while True:
                        size = int(self.rfile.readline().split(b";")[0], 16)
                        if size == 0:
                            break
                        body += self.rfile.read(size)
                        assert self.rfile.read(2) == b"\r\n"
                    while True:
                        line = self.rfile.readline()
                        if line in (b"\r\n", b""):
                            break
                        name, _, value = line.decode("latin-1").partition(":")
                        trailers.append((name, value.strip()))
                    return body, trailers
                n = int(self.headers.get("Content-Length", "0"))
                return self.rfile.read(n), trailers

            def _answer(self):
                try:
                    body, trailers = self._body()
                except (ValueError, AssertionError):
                    self.close_connection = True    # a body tierd cut short: no answer
                    return
                target.requests.append((self.path, {k.lower(): v for k, v in
                                                    self.headers.items()}, body, trailers))
                if self.path.startswith("/length"):
                    self.send_response(200)
                    self.send_header("Content-Length", str(len(body) + 3))
                    self.end_headers()
                    self.wfile.write(b"ok " + body)
                    return
                self.send_response(200)
                self.send_header("Content-Type", "application/grpc")
                self.send_header("Transfer-Encoding", "chunked")
                self.send_header("Trailer", "grpc-status, grpc-message")
                self.end_headers()
                out = b"reply:" + body
                self.wfile.write(b"%x\r\n%s\r\n" % (len(out), out))
                tr = RESP_TRAILERS + [("x-echo-" + n.lower(), v) for n, v in trailers]
                if self.path.startswith("/huge"):
                    tr = [("x-big-%d" % i, "v" * 100) for i in range(100)]
                self.wfile.write(b"0\r\n" + b"".join(f"{n}: {v}\r\n".encode() for n, v in tr)
                                 + b"\r\n")

            do_GET = do_POST = _answer

        self.srv = http.server.ThreadingHTTPServer(("127.0.0.1", 0), Handler)
        self.addr = "127.0.0.1:%d" % self.srv.server_address[1]

    def __enter__(self):
        threading.Thread(target=self.srv.serve_forever, daemon=True).start()
        return self

    def __exit__(self, *exc):
        self.srv.shutdown()
        self.srv.server_close()
        return False


def read_chunked_response(c):
    """(head text, body, [(name, value)] trailers) of one chunked response on RawConn c."""
    head = c.read_until(b"\r\n\r\n").decode("latin-1")
    assert "transfer-encoding: chunked" in head.lower(), head
    body = b""
    while True:
        size = int(c.read_until(b"\r\n").split(b";")[0], 16)
        if size == 0:
            break
        body += c.read_until(b"\r\n")[:-2]
    trailers = []
    while True:
        line = c.read_until(b"\r\n")
        if line == b"\r\n":
            return head, body, trailers
        name, _, value = line.decode("latin-1").partition(":")
        trailers.append((name.lower(), value.strip()))


def ends_chunked(body):
    """Whether body holds a whole chunked body up to its last chunk."""
    while True:
        line, sep, rest = body.partition(b"\r\n")
        if not sep:
            return False
        size = int(line.split(b";")[0], 16)
        if size == 0:
            return True
        body = rest[size + 2:]


def check_response_trailers(trailers, echoed=()):
    names = {n for n, _ in trailers}
    assert ("grpc-status", "0") in trailers and ("grpc-message", "all good") in trailers, \
        trailers
    assert ("server-timing", "db;dur=53") in trailers, trailers
    assert not names & {"content-length", "set-cookie", "transfer-encoding"}, trailers
    assert names == ALLOWED | {"x-echo-" + n for n in echoed}, trailers


def test_http1_trailers_both_ways():
    with TrailerTarget() as tg, Tierd(stack(groups={"web": [tg.addr]})) as t:
        with RawConn(*t.addr()) as c:
            c.send(b"POST /grpc HTTP/1.1\r\nHost: x\r\nTransfer-Encoding: chunked\r\n"
                   b"TE: trailers\r\n\r\n"
                   b"5\r\nhello\r\n0\r\nX-Checksum: abc123\r\nContent-Length: 5\r\n"
                   b"Host: evil.example\r\nAuthorization: Basic Zm9vOmJhcg==\r\n"
                   b"X-Empty:\r\n\r\n")
            head, body, trailers = read_chunked_response(c)
            assert head.startswith("HTTP/1.1 200"), head
            assert body == b"reply:hello"
            check_response_trailers(trailers, echoed=("x-checksum", "x-empty"))
            # The target saw the allowed request trailers only, and the body intact.
            path, hdrs, rbody, rtr = tg.requests[-1]
            assert rbody == b"hello" and hdrs.get("transfer-encoding") == "chunked", hdrs
            assert rtr == [("X-Checksum", "abc123"), ("X-Empty", "")], rtr
            # The connection stays usable after a trailer section, both ways.
            c.send(b"GET /grpc HTTP/1.1\r\nHost: x\r\n\r\n")
            head, body, trailers = read_chunked_response(c)
            assert body == b"reply:" and ("grpc-status", "0") in trailers


def test_http1_trailers_dropped_where_they_cannot_go():
    with TrailerTarget() as tg, Tierd(stack(groups={"web": [tg.addr]})) as t:
        # An HTTP/1.0 client gets a close-delimited body: no trailers, nothing of them in it.
        with RawConn(*t.addr()) as c:
            c.send(b"GET /grpc HTTP/1.0\r\nHost: x\r\n\r\n")
            head = c.read_until(b"\r\n\r\n").decode("latin-1")
            assert head.startswith("HTTP/1.0 200") or head.startswith("HTTP/1.1 200"), head
            assert "chunked" not in head.lower(), head
            deadline = time.monotonic() + 10
            while c._fill(deadline):
                pass
            assert c.buf == b"reply:", c.buf
        # A chunked request towards a target response framed by Content-Length: the
        # request's trailers still reach the target; the response has none to carry.
        with RawConn(*t.addr()) as c:
            c.send(b"POST /length HTTP/1.1\r\nHost: x\r\nTransfer-Encoding: chunked\r\n\r\n"
                   b"2\r\nhi\r\n0\r\nX-Sum: 1\r\n\r\n")
            r = c.response()
            assert r.status == 200 and r.body == b"ok hi", r.body
            assert tg.requests[-1][3] == [("X-Sum", "1")], tg.requests[-1]


def test_http1_trailer_limits_and_syntax():
    with TrailerTarget() as tg, Tierd(stack(groups={"web": [tg.addr]})) as t:
        # Over 8 KiB of trailers from a client: 400, and the target never sees the end.
        big = b"".join(b"X-Pad-%d: %s\r\n" % (i, b"v" * 100) for i in range(100))
        with RawConn(*t.addr()) as c:
            c.send(b"POST /grpc HTTP/1.1\r\nHost: x\r\nTransfer-Encoding: chunked\r\n\r\n"
                   b"1\r\na\r\n0\r\n" + big + b"\r\n")
            r = c.response()
            assert r.status == 400, r.status
        # obs-fold in a trailer is malformed, as in a head.
        with RawConn(*t.addr()) as c:
            c.send(b"POST /grpc HTTP/1.1\r\nHost: x\r\nTransfer-Encoding: chunked\r\n\r\n"
                   b"1\r\na\r\n0\r\nX-A: 1\r\n folded\r\n\r\n")
            assert c.response().status == 400
        # A target whose trailer section is too large breaks the response: the client
        # connection is cut (after the head, or before it when all came in one read)
        # rather than handed a truncated section or a last chunk.
        with RawConn(*t.addr()) as c:
            c.send(b"GET /huge HTTP/1.1\r\nHost: x\r\n\r\n")
            deadline = time.monotonic() + 10
            while c._fill(deadline):
                pass
            assert c.eof
            _, _, body = c.buf.partition(b"\r\n\r\n")
            assert not ends_chunked(body), c.buf[-200:]
            assert b"x-big" not in c.buf.lower()


def h2_request(sock, path, body=b"", trailers=None, method="POST"):
    """One request on a fresh h2 connection (python3-h2): (status, headers, body,
    trailers) as the client saw them."""
    conn = h2.connection.H2Connection(h2.config.H2Configuration(client_side=True,
                                                                header_encoding="utf-8"))
    conn.initiate_connection()
    sid = conn.get_next_available_stream_id()
    conn.send_headers(sid, [(":method", method), (":scheme", "https"),
                            (":authority", "localhost"), (":path", path),
                            ("te", "trailers"), ("content-type", "application/grpc")],
                      end_stream=not body and not trailers)
    if body:
        conn.send_data(sid, body, end_stream=not trailers)
    if trailers:
        conn.send_headers(sid, trailers, end_stream=True)
    sock.sendall(conn.data_to_send())
    status, headers, data, tr, ended = None, [], b"", None, False
    while not ended:
        chunk = sock.recv(65536)
        assert chunk, "connection closed before the stream ended"
        for ev in conn.receive_data(chunk):
            if isinstance(ev, h2.events.ResponseReceived):
                headers = list(ev.headers)
                status = dict(headers)[":status"]
            elif isinstance(ev, h2.events.DataReceived):
                data += ev.data
                conn.acknowledge_received_data(ev.flow_controlled_length, ev.stream_id)
            elif isinstance(ev, h2.events.TrailersReceived):
                tr = [(k, v) for k, v in ev.headers]
            elif isinstance(ev, h2.events.StreamReset):
                ended = True
                status = "reset %d" % ev.error_code     # even after a head
            elif isinstance(ev, h2.events.StreamEnded):
                ended = True
        sock.sendall(conn.data_to_send())
    return status, headers, data, tr


H2C = "    http2: { h2c: true }\n"


def test_h2c_grpc_style_trailers():
    with TrailerTarget() as tg:
        text = stack(groups={"web": [tg.addr]})
        text = text.replace("    address: ${listen}\n", "    address: ${listen}\n" + H2C, 1)
        with Tierd(text) as t:
            with socket.create_connection(t.addr(), timeout=10) as s:
                status, headers, data, tr = h2_request(
                    s, "/grpc", body=b"\x00\x00\x00\x00\x02hi",
                    trailers=[("x-checksum", "abc"), ("authorization", "Bearer secret"),
                              ("host", "evil.example")])
            assert status == "200" and data == b"reply:\x00\x00\x00\x00\x02hi", (status, data)
            assert tr is not None, "no trailing HEADERS frame"
            check_response_trailers(tr, echoed=("x-checksum",))
            # HTTP/2 trailers became chunked trailers towards the target, filtered.
            path, hdrs, rbody, rtr = tg.requests[-1]
            assert hdrs.get("transfer-encoding") == "chunked", hdrs
            assert rtr == [("x-checksum", "abc")], rtr
            # nghttp2 holds the DATA to a content-length even from the trailers (RFC
            # 9113 §8.1.1): one that contradicts them resets the stream; one that
            # agrees is dropped like the other forbidden fields.
            n = len(tg.requests)
            with socket.create_connection(t.addr(), timeout=10) as s:
                status, _, _, _ = h2_request(s, "/grpc", body=b"xy",
                                             trailers=[("content-length", "1")])
            assert status == "reset 1", status
            with socket.create_connection(t.addr(), timeout=10) as s:
                status, _, _, _ = h2_request(s, "/grpc", body=b"x",
                                             trailers=[("content-length", "1"),
                                                       ("x-checksum", "abc")])
            assert status == "200", status
            assert all(r[3] == [("x-checksum", "abc")] for r in tg.requests[n - 1:]), \
                tg.requests
            # No request trailers, no request body: the response trailers still arrive.
            with socket.create_connection(t.addr(), timeout=10) as s:
                status, _, data, tr = h2_request(s, "/grpc", method="GET")
            assert status == "200" and data == b"reply:" and tr, (status, data, tr)
            check_response_trailers(tr)
            # curl, a client nobody here wrote, prints the trailers after the head (-D).
            for proto in ("--http2-prior-knowledge", "--http1.1"):
                p = subprocess.run(["curl", "-sS", proto, "-D", "-", "-o", "/dev/null",
                                    t.url("/grpc")], capture_output=True, timeout=30)
                out = p.stdout.decode().lower()
                assert p.returncode == 0, p.stderr
                head, _, tail = out.partition("\r\n\r\n")
                assert "grpc-status: 0" in tail and "server-timing: db;dur=53" in tail, out
                assert "set-cookie" not in out and "999" not in out, out
            # A target's trailer section over 8 KiB breaks the response: the stream is
            # reset rather than ended with part of it.
            with socket.create_connection(t.addr(), timeout=10) as s:
                status, _, data, tr = h2_request(s, "/huge", method="GET")
            assert status.startswith("reset") and tr is None, (status, tr)
            # A Content-Length response has no trailers to send: the last DATA ends it.
            with socket.create_connection(t.addr(), timeout=10) as s:
                status, _, data, tr = h2_request(s, "/length", body=b"xy")
            assert status == "200" and data == b"ok xy" and tr is None, (status, data, tr)


def test_h2_over_tls_grpc_style_trailers(tmp_path):
    key, crt = tmp_path / "k.pem", tmp_path / "c.pem"
    subprocess.run(["openssl", "req", "-x509", "-newkey", "ec", "-pkeyopt",
                    "ec_paramgen_curve:P-256", "-nodes", "-keyout", str(key), "-out", str(crt),
                    "-days", "2", "-subj", "/CN=localhost", "-addext",
                    "subjectAltName=DNS:localhost"], check=True, capture_output=True)
    key.chmod(0o600)
    with TrailerTarget() as tg:
        tls = (f"    tls:\n      certificates:\n        - {{ cert: {crt}, key: {key} }}\n"
               "      alpn: [h2, http/1.1]\n")
        text = stack(groups={"web": [tg.addr]})
        text = text.replace("    address: ${listen}\n", "    address: ${listen}\n" + tls, 1)
        with Tierd(text) as t:
            ctx = ssl.create_default_context(cafile=str(crt))
            ctx.set_alpn_protocols(["h2"])
            with socket.create_connection(t.addr(), timeout=10) as raw_sock:
                with ctx.wrap_socket(raw_sock, server_hostname="localhost") as s:
                    assert s.selected_alpn_protocol() == "h2"
                    status, _, data, tr = h2_request(s, "/grpc", body=b"ping",
                                                     trailers=[("x-sum", "7")])
            assert status == "200" and data == b"reply:ping", (status, data)
            check_response_trailers(tr, echoed=("x-sum",))
            assert tg.requests[-1][3] == [("x-sum", "7")], tg.requests[-1]

"""A TLS target for tests: Python's http.server (HTTP/1.1 keep-alive) behind Python's ssl
(OpenSSL), in its own process. It counts the TLS handshakes it completed and records the
SNI names clients sent; GET /_stats answers them as JSON (on the same TLS port).

usage: tls_target.py PORT CERT KEY
"""
import http.server
import json
import socket
import ssl
import sys
import threading

stats = {"handshakes": 0, "resumed": 0, "sni": [], "requests": 0}
lock = threading.Lock()


class Handler(http.server.BaseHTTPRequestHandler):
    protocol_version = "HTTP/1.1"

    def log_message(self, *a):
        pass

    def do_POST(self):
        n = int(self.headers.get("Content-Length", "0"))
        data = self.rfile.read(n)
        body = f"got {len(data)} {sum(data) % 65521}\n".encode()
        self.send_response(200)
        self.send_header("Content-Length", str(len(body)))
        self.end_headers()
        self.wfile.write(body)

    def tunnel(self):
        """A 101 to a WebSocket upgrade, then an echo of raw bytes until the client's end."""
        self.send_response(101)
        self.send_header("Upgrade", "websocket")
        self.send_header("Connection", "Upgrade")
        self.end_headers()
        self.wfile.flush()
        while True:
            data = self.connection.recv(65536)
            if not data:
                break
            self.connection.sendall(data)
        self.close_connection = True

    def do_GET(self):
        if self.headers.get("Upgrade", "").lower() == "websocket":
            return self.tunnel()
        if self.path.startswith("/big/"):
            n = int(self.path[5:])
            self.send_response(200)
            self.send_header("Content-Length", str(n))
            self.end_headers()
            chunk = bytes(range(256)) * 256
            while n > 0:
                self.wfile.write(chunk[:min(n, len(chunk))])
                n -= min(n, len(chunk))
            return
        with lock:
            if self.path != "/_stats":
                stats["requests"] += 1
            body = json.dumps(stats).encode() if self.path == "/_stats" else \
                f"tls target {self.path}\n".encode()
        self.send_response(200)
        self.send_header("Content-Type", "text/plain")
        self.send_header("Content-Length", str(len(body)))
        self.send_header("X-Instance", "tls")
        self.end_headers()
        self.wfile.write(body)


class Server(http.server.ThreadingHTTPServer):
    daemon_threads = True

    def process_request_thread(self, request, client_address):
        try:
            request.settimeout(30)
            s = ctx.wrap_socket(request, server_side=True)
        except (OSError, ssl.SSLError):
            self.shutdown_request(request)
            return
        with lock:
            stats["handshakes"] += 1
            stats["resumed"] += 1 if s.session_reused else 0
        super().process_request_thread(s, client_address)


def on_sni(sock, name, c):
    with lock:
        stats["sni"].append(name)


port, cert, key = int(sys.argv[1]), sys.argv[2], sys.argv[3]
ctx = ssl.SSLContext(ssl.PROTOCOL_TLS_SERVER)
ctx.load_cert_chain(cert, key)
ctx.sni_callback = on_sni
srv = Server(("127.0.0.1", port), Handler)
srv.socket.setsockopt(socket.SOL_SOCKET, socket.SO_REUSEADDR, 1)
print("ready", flush=True)
srv.serve_forever()

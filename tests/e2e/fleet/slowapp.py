"""
tests/e2e/fleet/slowapp.py: an app that is slow to start, as Python, Node or JVM apps are.
It sleeps --listen-after seconds before it even binds its port (so connections are
refused until then), then serves HTTP/1.1 with keep-alive on 127.0.0.1:$PORT:

    GET /health   200 "ok"; 500 for an instance that is not among the first
                  --healthy-first instances to start (counted with files in --slots)
    GET /         200 "hello from $INSTANCE_ID"
Every answer carries X-Instance: $INSTANCE_ID. SIGTERM stops it (the fleet drains an
instance before it signals it). Run with /usr/bin/python3 (the standard library only).
"""
import argparse
import os
import signal
import sys
import threading
import time
from http.server import BaseHTTPRequestHandler, ThreadingHTTPServer


def take_slot(slots):
    """The index of the first free slot file in `slots`, claimed atomically."""
    k = 0
    while True:
        try:
            os.close(os.open(os.path.join(slots, f"slot-{k}"), os.O_CREAT | os.O_EXCL))
            return k
        except FileExistsError:
            k += 1


def main():
    ap = argparse.ArgumentParser()
    ap.add_argument("--listen-after", type=float, default=0.0)
    ap.add_argument("--healthy-first", type=int, default=-1)
    ap.add_argument("--slots")
    a = ap.parse_args()
    name = os.environ.get("INSTANCE_ID", "slowapp")
    port = int(os.environ["PORT"])
    healthy = True
    if a.healthy_first >= 0:
        healthy = take_slot(a.slots) < a.healthy_first
    time.sleep(a.listen_after)

    class Handler(BaseHTTPRequestHandler):
        protocol_version = "HTTP/1.1"

        def do_GET(self):
            if self.path == "/health":
                code, body = (200, b"ok") if healthy else (500, b"failing")
            elif self.path == "/":
                code, body = 200, f"hello from {name}".encode()
            else:
                code, body = 404, b"not found"
            self.send_response(code)
            self.send_header("X-Instance", name)
            self.send_header("Content-Length", str(len(body)))
            self.end_headers()
            self.wfile.write(body)

        def log_message(self, *args):
            pass

    ThreadingHTTPServer.daemon_threads = True
    ThreadingHTTPServer.allow_reuse_address = True
    srv = ThreadingHTTPServer(("127.0.0.1", port), Handler)
    signal.signal(signal.SIGTERM, lambda *_: threading.Thread(target=srv.shutdown).start())
    print(f"slowapp {name} listening on 127.0.0.1:{port} healthy={healthy}", flush=True)
    srv.serve_forever()
    return 0


if __name__ == "__main__":
    sys.exit(main())

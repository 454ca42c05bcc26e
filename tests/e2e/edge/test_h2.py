"""HTTP/2 with prior knowledge (h2c) through tierd to HTTP/1.1 targets: real clients (curl,
h2load) and a raw-frame client for what they cannot show (GOAWAY on reload with a stream
in flight, the translation's strictness)."""
import json
import os
import signal
import subprocess
import time

from h2raw import DATA, END_STREAM, H2Raw, frame
from harness import App, Tierd, curl, get, stack, wait_for

H2C = "    http2: { h2c: true }\n"


def h2_stack(groups, edge="", extra="", http2=H2C):
    text = stack(groups=groups, edge=edge, extra=extra)
    return text.replace("    address: ${listen}\n", "    address: ${listen}\n" + http2, 1)


def curl_h2(*args):
    return curl("--http2-prior-knowledge", *args)


def test_h2c_requests_reach_http1_targets(tmp_path):
    with App(name="a1") as a1:
        extra = "access_log:\n  path: ${dir}/access.log\n  format: json\n"
        with Tierd(h2_stack({"web": [a1.addr]}, extra=extra)) as t:
            p = curl_h2("-D", "-", t.url("/"))
            head, _, body = p.stdout.decode(errors="replace").partition("\r\n\r\n")
            assert p.returncode == 0, p.stderr
            assert head.startswith("HTTP/2 200"), head
            assert "x-instance: a1" in head and body.startswith("hello from a1"), head
            assert f"content-length: {len(body)}" in head, head

            # The target sees HTTP/1.1 with Host from :authority and joined cookies.
            p = curl_h2("-H", "Cookie: a=1", "-H", "Cookie: b=2", t.url("/headers"))
            seen = p.stdout.decode()
            assert p.returncode == 0, p.stderr
            low = seen.lower()
            assert f"host: {t.subst['listen']}" in low, seen
            assert "cookie: a=1; b=2" in low, seen
            assert "x-forwarded-for: 127.0.0.1" in low, seen

            # Bodies both ways: a known length, an unknown one (chunked to the target),
            # and a large response streamed under flow control.
            body = os.urandom(3 * 1024 * 1024)
            src = tmp_path / "body.bin"
            src.write_bytes(body)
            p = curl_h2("-X", "POST", "--data-binary", f"@{src}", t.url("/echo"))
            assert p.returncode == 0 and p.stdout == body, p.stderr
            p = subprocess.run(["curl", "-sS", "--http2-prior-knowledge", "-X", "POST",
                                "--data-binary", "@-", t.url("/echo")], input=body,
                               capture_output=True, timeout=60)
            assert p.returncode == 0 and p.stdout == body, p.stderr
            p = curl_h2(t.url("/bytes?n=5000000"))
            assert p.returncode == 0 and len(p.stdout) == 5000000, p.stderr
            assert p.stdout[:26] == b"abcdefghijklmnopqrstuvwxyz"
            p = curl_h2("-I", t.url("/"))
            assert p.returncode == 0 and b"HTTP/2 200" in p.stdout, p.stderr

            # HTTP/1.1 keeps working on the same listener.
            r = get(t.url("/"))
            assert r.status == 200 and r.header("X-Instance") == "a1"

            # One access-log line per stream, like any request.
            wait_for(lambda: len(t.access_log_lines()) >= 7, 10, what="access log lines")
            lines = [json.loads(x) for x in t.access_log_lines()]
            assert sum(1 for x in lines if x.get("status") == 200) == 7, lines
            reqs = sorted(x["request"] for x in lines)
            assert reqs.count("GET / HTTP/2.0") == 1 and reqs.count("GET / HTTP/1.1") == 1, reqs
            assert reqs.count("POST /echo HTTP/2.0") == 2 and "HEAD / HTTP/2.0" in reqs, reqs


def test_h2c_is_off_by_default():
    with App(name="a1") as a1:
        with Tierd(stack(groups={"web": [a1.addr]})) as t:
            p = curl_h2("-o", "/dev/null", "-w", "%{http_code}", t.url("/"))
            assert p.stdout != b"200", (p.stdout, p.stderr)
            assert get(t.url("/")).status == 200


def test_h2load_no_failures():
    with App(name="a1") as a1:
        with Tierd(h2_stack({"web": [a1.addr]})) as t:
            p = subprocess.run(["h2load", "-c10", "-m10", "-n5000", t.url("/")],
                               capture_output=True, text=True, timeout=120)
            out = p.stdout
            assert p.returncode == 0, out + p.stderr
            assert "5000 succeeded, 0 failed, 0 errored, 0 timeout" in out, out
            assert "5000 2xx" in out, out


def test_strict_translation():
    with App(name="a1") as a1:
        with Tierd(h2_stack({"web": [a1.addr]})) as t:
            with H2Raw(t.addr()) as c:
                # Connection-specific fields (9113 §8.2.2) and a host that names another
                # origin than :authority (§8.3.1) are malformed: the stream is reset.
                c.send(c.headers(1, "/", extra=[("connection", "keep-alive")]),
                       c.headers(3, "/", extra=[("host", "elsewhere.example")]),
                       c.headers(5, "/", extra=[("te", "gzip")]),
                       frame(1, 0x4 | END_STREAM, 7,
                             c.enc.encode([(":method", "GET"), (":scheme", "http"),
                                           (":authority", "localhost"),
                                           (":path", "/ HTTP/1.1\r\nX: y")])),
                       c.headers(9, "/"))
                out, _ = c.responses(timeout=10, want=5)
                for sid in (1, 3, 5, 7):
                    assert out[sid].get("reset") is not None, (sid, out)
                assert out[9]["status"] == 200, out
                # Content-Length that DATA contradicts: reset too.
                c.send(c.headers(11, "/echo", method="POST", end_stream=False,
                                 extra=[("content-length", "10")]),
                       frame(DATA, END_STREAM, 11, b"short"))
                out, _ = c.responses(timeout=10, want=1)
                assert out[11].get("reset") is not None, out


def test_goaway_on_reload_lets_streams_finish():
    with App(name="a1") as a1:
        text = h2_stack({"web": [a1.addr]})
        with Tierd(text) as t:
            with H2Raw(t.addr()) as c:
                c.send(c.headers(1, "/sleep?ms=1500"))
                time.sleep(0.3)
                t.reload(text)
                out, goaways = c.responses(timeout=15, want=1)
                assert out[1]["status"] == 200, out
                assert goaways and goaways[0][1] == 0 and goaways[0][0] >= 1, goaways
            # New connections are served under the new generation.
            p = curl_h2("-o", "/dev/null", "-w", "%{http_code}", t.url("/"))
            assert p.stdout == b"200", p.stderr


def test_goaway_on_stop_lets_streams_finish():
    with App(name="a1") as a1:
        with Tierd(h2_stack({"web": [a1.addr]})) as t:
            with H2Raw(t.addr()) as c:
                c.send(c.headers(1, "/sleep?ms=1000"))
                time.sleep(0.3)
                t.signal(signal.SIGTERM)
                out, goaways = c.responses(timeout=15, want=1)
                assert out[1]["status"] == 200, out
                assert goaways and goaways[0][1] == 0, goaways
            assert t.proc.wait(timeout=20) == 0


def test_requests_per_connection_limit():
    with App(name="a1") as a1:
        http2 = "    http2: { h2c: true, max_requests_per_connection: 3 }\n"
        with Tierd(h2_stack({"web": [a1.addr]}, http2=http2)) as t:
            with H2Raw(t.addr()) as c:
                c.send(*[c.headers(sid, "/") for sid in (1, 3, 5, 7)])
                out, goaways = c.responses(timeout=10, want=3)
                assert [out[s]["status"] for s in (1, 3, 5)] == [200, 200, 200], out
                assert goaways and goaways[0] == (5, 0), goaways
                assert 7 not in out or out[7]["status"] is None, out


def test_h2_over_tls_by_alpn():
    from test_tls import TlsTierd, tls_stack
    with App(name="a1") as a1, TlsTierd(tls_stack("      hsts: { max_age: 1d }\n",
                                                  app=a1)) as t:
        ca = ["--cacert", f"{t.dir}/shop.ec.pem", "--resolve", t.resolve()]
        p = curl("--http2", "-i", *ca, t.surl("/headers"))
        out = p.stdout.decode()
        assert p.returncode == 0, p.stderr.decode()
        assert out.startswith("HTTP/2 200"), out
        assert "strict-transport-security: max-age=86400" in out, out
        assert "X-Forwarded-Proto: https" in out, out        # what the target saw
        # A client that asks for HTTP/1.1 only still gets it.
        p = curl("--http1.1", "-o", "/dev/null", "-w", "%{http_version}", *ca, t.surl("/"))
        assert p.stdout == b"1.1", p.stderr
        p = subprocess.run(["h2load", "-c10", "-m10", "-n5000", f"https://127.0.0.1:{t.addr()[1]}/"],
                           capture_output=True, text=True, timeout=120)
        assert "Application protocol: h2" in p.stdout, p.stdout
        assert "5000 succeeded, 0 failed, 0 errored, 0 timeout" in p.stdout, p.stdout


def test_stream_to_a_drained_target_is_cut_off_at_the_delay():
    from harness import instance_counts, tg_stack
    with App(name="a") as a, App(name="b") as b:
        def h2c(text):
            return text.replace("    address: ${listen}\n", "    address: ${listen}\n" + H2C, 1)
        before = h2c(tg_stack([(a.addr, 1), (b.addr, 999)], deregistration_delay="3s"))
        after = h2c(tg_stack([(a.addr, 1)], deregistration_delay="3s"))
        with Tierd(before) as t:
            assert instance_counts(t.url("/"), 3) == {"b": 3}
            with H2Raw(t.addr()) as c:
                c.send(c.headers(1, "/sleep?ms=1500"), c.headers(3, "/sleep?ms=10000"))
                time.sleep(0.4)
                t0 = time.monotonic()
                t.reload(after)
                out, goaways = c.responses(timeout=15, want=2)
                took = time.monotonic() - t0
            # The short one finishes at b; the long one gets 502 when the delay ends.
            assert out[1]["status"] == 200 and out[1]["body"] == b"slept 1500 ms\n", out
            assert out[3]["status"] == 502, out
            assert 2.5 <= took <= 6, took
            assert goaways and goaways[0][0] == 3, goaways


def test_stalled_request_body_gets_408_on_its_stream():
    with App(name="a1") as a1:
        edge = "  timeouts:\n    client_body: 1s\n"
        with Tierd(h2_stack({"web": [a1.addr]}, edge=edge)) as t:
            with H2Raw(t.addr()) as c:
                c.send(c.headers(1, "/echo", method="POST", end_stream=False,
                                 extra=[("content-length", "100")]),
                       frame(DATA, 0, 1, b"x" * 10))
                t0 = time.monotonic()
                out, _ = c.responses(timeout=10, want=1)
                assert out[1]["status"] == 408 and b"408" in out[1]["body"], out
                assert out[1].get("reset") in (None, 0), out         # NO_ERROR at most
                assert 0.8 < time.monotonic() - t0 < 5
                # The connection still serves the next stream (the first one's reset with
                # NO_ERROR, since its body never ended, may arrive in between).
                c.send(c.headers(3, "/"))
                for _ in range(3):
                    out, _ = c.responses(timeout=10, want=1)
                    if 3 in out:
                        break
                assert out[3]["status"] == 200, out

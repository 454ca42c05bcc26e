"""HTTP/2 counters per listener in GET /metrics (streams opened, streams reset by either
side, GOAWAY by reason, clients cut off), and malformed requests counted as abuse past
`max_malformed_requests`: a client sending them again and again is cut off with
ENHANCE_YOUR_CALM, while one malformed request among good ones only resets its stream."""
import re
import struct

from h2raw import ENHANCE_YOUR_CALM, NO_ERROR, RST_STREAM, H2Raw, frame
from harness import App, Tierd, control_request, stack, wait_for

SAMPLE = re.compile(r'^([a-z_0-9]+)\{([^}]*)\} (\S+)$')


def scrape(t):
    status, _, body = control_request(f"{t.dir}/tierd.sock", "GET", "/metrics")
    assert status == 200, body[:300]
    text = body.decode()
    out = {}
    for line in text.splitlines():
        m = SAMPLE.match(line)
        if m:
            labels = tuple(sorted(re.findall(r'([a-z_]+)="([^"]*)"', m.group(2))))
            out[(m.group(1), labels)] = float(m.group(3))
    return out, text


def value(samples, name, **labels):
    return samples.get((name, tuple(sorted(labels.items()))))


def h2_stack(app, http2="h2c: true, max_requests_per_connection: 3, max_malformed_requests: 2"):
    text = stack(groups={"web": [app.addr]})
    text = text.replace("    address: ${listen}\n",
                        "    address: ${listen}\n    http2: { " + http2 + " }\n", 1)
    return text + "control: { socket: ${dir}/tierd.sock }\n"


def bad(c, sid):
    """A request HTTP/2 calls malformed (a connection-specific field, RFC 9113 §8.2.2)."""
    return c.headers(sid, "/", extra=[("connection", "keep-alive")])


def test_h2_counters_and_malformed_abuse():
    with App(name="a1") as a1, Tierd(h2_stack(a1)) as t:
        # Three good streams: the third reaches max_requests_per_connection (GOAWAY).
        with H2Raw(t.addr()) as c:
            c.send(c.headers(1, "/"), c.headers(3, "/"), c.headers(5, "/"))
            out, goaways = c.responses(timeout=10, want=3)
            assert all(out[s]["status"] == 200 for s in (1, 3, 5)), out
            code, _, _ = c.until_goaway(timeout=5)
            assert goaways or code == NO_ERROR, (goaways, code)
        # One malformed request among good ones: its stream is reset, nothing more; the
        # client resets a slow stream itself.
        with H2Raw(t.addr()) as c:
            c.send(bad(c, 1), c.headers(3, "/sleep?ms=3000"),
                   frame(RST_STREAM, 0, 3, struct.pack(">I", 8)), c.headers(5, "/"))
            out, goaways = c.responses(timeout=10, want=2)
            assert out[1].get("reset") is not None and out[5]["status"] == 200, out
            assert not goaways, goaways
        # Malformed again and again on one connection: past the limit, cut off.
        with H2Raw(t.addr()) as c:
            c.send(*[bad(c, 1 + 2 * i) for i in range(6)])
            code, _, closed = c.until_goaway(timeout=10)
            assert code == ENHANCE_YOUR_CALM and closed, (code, closed)
        assert "too many malformed requests" in t.stderr()

        def counted():
            s, text = scrape(t)
            return (s, text) if value(s, "tierd_http2_clients_cut_off_total",
                                      listener="public") else None
        # watch samples the edge's counters every few seconds
        s, text = wait_for(counted, 30, interval=0.5, what="the cut-off client counted")
        assert value(s, "tierd_http2_clients_cut_off_total", listener="public") == 1, text
        assert "# HELP tierd_http2_streams_total " in text
        assert "# HELP tierd_http2_goaways_total " in text
        # 3 + 3 + at least 3 (the connection is cut at the third malformed stream; later
        # HEADERS in the same read may not be taken).
        assert value(s, "tierd_http2_streams_total", listener="public") >= 9, text
        assert value(s, "tierd_http2_goaways_total", listener="public",
                     reason="max_requests") == 1, text
        assert value(s, "tierd_http2_goaways_total", listener="public", reason="abuse") == 1
        assert value(s, "tierd_http2_goaways_total", listener="public", reason="idle") == 0
        assert value(s, "tierd_http2_stream_resets_total", listener="public",
                     by="client") == 1, text
        # tierd reset the lone malformed stream (those of the cut-off connection may be
        # dropped for its GOAWAY); nghttp2's NO_ERROR resets after a response are not counted.
        assert value(s, "tierd_http2_stream_resets_total", listener="public",
                     by="tierd") >= 1, text


def test_max_malformed_requests_zero_cuts_at_the_first():
    with App(name="a1") as a1, Tierd(h2_stack(a1, "h2c: true, max_malformed_requests: 0")) as t:
        with H2Raw(t.addr()) as c:
            c.send(bad(c, 1))
            code, _, closed = c.until_goaway(timeout=10)
            assert code == ENHANCE_YOUR_CALM and closed, (code, closed)
        # A well-behaved client on another connection is still served.
        with H2Raw(t.addr()) as c:
            c.send(c.headers(1, "/"))
            out, _ = c.responses(timeout=10, want=1)
            assert out[1]["status"] == 200

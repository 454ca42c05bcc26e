"""Retries beyond test_retry.py (connect refused, POSTs): an idempotent bodiless request
whose target resets or closes the connection before any response byte is answered by another
target; one that already got response bytes is never sent twice."""
import http.client

from harness import App, RstUpstream, Tierd, Upstream, get, tg_stack


def test_get_and_head_reset_before_response_are_retried():
    with RstUpstream() as rst, App(name="a") as a, Tierd(tg_stack([rst.addr, a.addr])) as t:
        for i in range(10):
            for method in ("GET", "HEAD"):
                r = get(t.url(f"/?i={i}"), method=method)
                assert r.status == 200 and r.header("X-Instance") == "a", (method, i, r)
        assert rst.requests, "the resetting target was never tried: nothing was retried"


def test_get_closed_before_response_is_retried():
    with Upstream(mode="drop") as drop, App(name="a") as a, \
         Tierd(tg_stack([drop.addr, a.addr])) as t:
        for i in range(10):
            r = get(t.url(f"/?i={i}"))
            assert r.status == 200 and r.header("X-Instance") == "a", (i, r)
        assert drop.requests, "the closing target was never tried: nothing was retried"


def test_get_reset_after_response_bytes_is_not_retried():
    partial = b"HTTP/1.1 200 OK\r\nContent-Length: 100\r\n\r\npartial"
    with RstUpstream(partial=partial) as r1, RstUpstream(partial=partial) as r2, \
         Tierd(tg_stack([r1.addr, r2.addr])) as t:
        try:
            r = get(t.url("/once"))
        except (OSError, http.client.HTTPException):
            r = None                        # cut off mid-body: what it should be
        if r is not None:
            assert r.status in (200, 502), r
            assert r.status != 200 or len(r.body) < 100, r
        got = r1.requests + r2.requests
        assert len(got) == 1, f"a GET that got response bytes was sent {len(got)} times: {got}"

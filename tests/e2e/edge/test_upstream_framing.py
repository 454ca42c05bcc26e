"""Response-side framing from a misbehaving target: ambiguous heads become 502, truncated
bodies are never presented as complete, and a bad upstream connection is not reused."""
import pytest

from harness import Closed, RawConn, Tierd, Upstream, stack

OK = b"HTTP/1.1 200 OK\r\n"

BAD = [
    ("te_and_cl", OK + b"Content-Length: 5\r\nTransfer-Encoding: chunked\r\n\r\n"
                  b"5\r\nhello\r\n0\r\n\r\n"),
    ("two_cls", OK + b"Content-Length: 5\r\nContent-Length: 6\r\n\r\nhello!"),
    ("cl_not_a_number", OK + b"Content-Length: 5x\r\n\r\nhello"),
    ("bad_status_line", b"HTTP/1.1 2000 OK\r\nContent-Length: 2\r\n\r\nok"),
    ("http09_reply", b"hello, no head at all\r\n"),
    ("space_in_field_name", OK + b"X Y: z\r\nContent-Length: 2\r\n\r\nok"),
    ("nul_in_value", OK + b"X: a\x00b\r\nContent-Length: 2\r\n\r\nok"),
]


@pytest.mark.parametrize("script", [b[1] for b in BAD], ids=[b[0] for b in BAD])
def test_ambiguous_response_is_502(script):
    with Upstream(mode="script", script=script) as up, \
         Tierd(stack(groups={"web": [up.addr]})) as t:
        with RawConn(*t.addr()) as c:
            c.send(b"GET / HTTP/1.1\r\nHost: x\r\n\r\n")
            r = c.response()
            assert r.status == 502, r


def test_truncated_length_body_is_not_completed():
    script = OK + b"Content-Length: 1000\r\n\r\n" + b"x" * 500
    with Upstream(mode="script", script=script) as up, \
         Tierd(stack(groups={"web": [up.addr]})) as t:
        with RawConn(*t.addr()) as c:
            c.send(b"GET / HTTP/1.1\r\nHost: x\r\n\r\n")
            try:
                r = c.response()
            except Closed:
                return                       # closed mid-body: the client knows it is cut
            # A 502 before any byte of the body is also honest; a 200 with 1000 bytes is not.
            assert r.status == 502, r


def test_truncated_chunked_body_is_not_completed():
    script = OK + b"Transfer-Encoding: chunked\r\n\r\n5\r\nhello\r\n"
    with Upstream(mode="script", script=script) as up, \
         Tierd(stack(groups={"web": [up.addr]})) as t:
        with RawConn(*t.addr()) as c:
            c.send(b"GET / HTTP/1.1\r\nHost: x\r\n\r\n")
            try:
                r = c.response()
            except Closed:
                return
            assert r.status == 502, r


def test_interim_100_then_final_is_relayed():
    script = b"HTTP/1.1 100 Continue\r\n\r\n" + OK + b"Content-Length: 2\r\n\r\nok"
    with Upstream(mode="script", script=script) as up, \
         Tierd(stack(groups={"web": [up.addr]})) as t:
        with RawConn(*t.addr()) as c:
            c.send(b"POST / HTTP/1.1\r\nHost: x\r\nContent-Length: 2\r\n\r\nhi")
            r = c.response()
            assert (r.status, r.body) == (200, b"ok")

"""Basic proxying: round robin over two apps, and the request head the target receives
(added X-Forwarded-*, Via, X-Request-Id; hop-by-hop fields removed; Host forwarded)."""
from harness import App, RawConn, Tierd, get, hget, parse_headers_echo, stack


def test_round_robin_and_forwarded_head():
    with App(name="a1") as a1, App(name="a2") as a2, \
         Tierd(stack(groups={"web": [a1.addr, a2.addr]}, edge="  workers: 1\n")) as t:
        seen = []
        for _ in range(10):
            r = get(t.url("/"))
            assert r.status == 200
            assert r.body.startswith(b"hello from ")
            seen.append(r.header("X-Instance"))
        # One worker, round robin: strict alternation between the two targets.
        assert set(seen) == {"a1", "a2"}
        assert all(seen[i] != seen[i + 1] for i in range(len(seen) - 1)), seen

        host, port = t.addr()
        req = (b"GET /headers?x=1 HTTP/1.1\r\n"
               b"Host: shop.example:8080\r\n"
               b"Connection: keep-alive, X-Hop\r\n"
               b"X-Hop: secret\r\n"
               b"Keep-Alive: timeout=5\r\n"
               b"TE: trailers\r\n"
               b"Proxy-Connection: keep-alive\r\n"
               b"X-Forwarded-For: 203.0.113.9\r\n"
               b"X-Forwarded-Proto: https\r\n"
               b"X-End: kept\r\n"
               b"\r\n")
        ids = []
        with RawConn(host, port) as c:
            for _ in range(2):
                c.send(req)
                r = c.response()
                assert r.status == 200, r
                line, hdrs = parse_headers_echo(r.body)
                assert line == "GET /headers?x=1 HTTP/1.1"
                assert hget(hdrs, "Host") == ["shop.example:8080"]
                assert hget(hdrs, "X-Forwarded-For") == ["203.0.113.9, 127.0.0.1"]
                assert hget(hdrs, "X-Forwarded-Proto") == ["http"]     # overwritten, not kept
                assert hget(hdrs, "X-Forwarded-Port") == [str(port)]
                via = hget(hdrs, "Via")
                assert len(via) == 1 and via[0].startswith("1.1 "), via
                rid = hget(hdrs, "X-Request-Id")
                assert len(rid) == 1 and len(rid[0]) >= 8, rid
                ids.append(rid[0])
                for hop in ("X-Hop", "Keep-Alive", "TE", "Proxy-Connection"):
                    assert hget(hdrs, hop) == [], f"hop-by-hop {hop} was forwarded: {hdrs}"
                for v in hget(hdrs, "Connection"):
                    assert "x-hop" not in v.lower()
                assert hget(hdrs, "X-End") == ["kept"]
                # End-to-end response fields from the app come back; hop-by-hop ones do not.
                assert r.header("X-Instance") in ("a1", "a2")
        assert ids[0] != ids[1], "X-Request-Id must be unique per request"


def test_client_request_id_and_via_are_extended():
    with App(name="a1") as a1, Tierd(stack(groups={"web": [a1.addr]})) as t:
        r = get(t.url("/headers"), headers={"X-Request-Id": "abc-123", "Via": "1.0 edge-cdn"})
        assert r.status == 200
        _, hdrs = parse_headers_echo(r.body)
        assert hget(hdrs, "X-Request-Id") == ["abc-123"]
        via = hget(hdrs, "Via")
        assert len(via) == 1 and via[0].startswith("1.0 edge-cdn, 1.1 "), via

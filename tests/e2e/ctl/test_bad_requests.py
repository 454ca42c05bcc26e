"""Bad input to the control API gets a 4xx JSON error that names the problem, and the
daemon keeps serving: malformed JSON (line:col), oversized and unframed bodies, wrong
media type (required on every state change, body or not), unknown routes and methods, invalid fields."""
from harness import Tierd
from ctlkit import api, ctl_stack

TARGETS = "/v1/target-groups/web/targets"


def test_bad_requests_get_json_errors():
    with Tierd(ctl_stack()) as t:
        r = api(t, "POST", TARGETS, '{"address": "127.0.0.1:9"\n  "weight": 2}')
        assert r.status == 400, r
        assert r.error["code"] == "malformed_json"
        assert "line 2, column" in r.error["message"], r

        r = api(t, "POST", TARGETS, "x" * (1024 * 1024 + 1))
        assert r.status == 413 and r.error["code"] == "payload_too_large", r
        assert "1048576" in r.error["message"]

        r = api(t, None, None, raw=b"POST " + TARGETS.encode() + b" HTTP/1.1\r\nHost: x\r\n"
                b"Content-Type: application/json\r\n\r\n")
        assert r.status == 411 and r.error["code"] == "length_required", r

        # State changes need the JSON type, body or not (a web page cannot send it).
        r = api(t, None, None, raw=b"POST " + TARGETS.encode() + b" HTTP/1.1\r\nHost: x\r\n"
                b"Content-Length: 26\r\n\r\n{\"address\": \"127.0.0.1:9\"}")
        assert r.status == 415 and r.error["code"] == "unsupported_media_type", r
        r = api(t, "DELETE", TARGETS + "/127.0.0.1:1", content_type=None)
        assert r.status == 415 and r.error["code"] == "unsupported_media_type", r

        r = api(t, "POST", TARGETS, "address=1", content_type="application/x-www-form-urlencoded")
        assert r.status == 415 and r.error["code"] == "unsupported_media_type", r

        r = api(t, "GET", "/v1/nothing")
        assert r.status == 404 and r.error["code"] == "not_found", r

        r = api(t, "PUT", "/v1/targets", {})
        assert r.status == 405 and r.header("Allow") == "GET", r

        r = api(t, "POST", TARGETS, {"address": "not-an-address"})
        assert r.status == 422 and r.error["field"] == "address", r
        r = api(t, "POST", TARGETS, {"address": "127.0.0.1:9", "weight": 0})
        assert r.status == 422 and r.error["field"] == "weight", r
        r = api(t, "POST", TARGETS, {"address": "127.0.0.1:9", "wieght": 2})
        assert r.status == 422 and r.error["field"] == "wieght", r
        r = api(t, "POST", TARGETS, [1, 2])
        assert r.status == 400, r

        r = api(t, None, None, raw=b"GET /v1/status HTTP/1.1\r\nHost: a\r\nHost: b\r\n\r\n")
        assert r.status == 400 and r.error["code"] == "bad_request", r

        # Still serving, and nothing was registered.
        r = api(t, "GET", "/v1/targets")
        assert r.status == 200
        assert [x["address"] for x in r.json["targets"]] == ["127.0.0.1:1"]

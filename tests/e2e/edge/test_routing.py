"""Rules route by path_prefix, host, method and header, first match wins, to the right group."""
from harness import App, RawConn, Tierd, get, stack

RULES = """\
      - match: { path_prefix: /api }
        forward: api
      - match: { host: admin.example }
        forward: admin
      - match: { method: DELETE }
        forward: deleter
      - match: { header: { name: X-Env, value: beta } }
        forward: beta
      - forward: web
"""


def instance(t, method="GET", path="/", host="www.example", headers=b""):
    with RawConn(*t.addr()) as c:
        c.send(b"%s %s HTTP/1.1\r\nHost: %s\r\n%s\r\n" % (method.encode(), path.encode(),
                                                           host.encode(), headers))
        r = c.response(method=method)
        return r.header("X-Instance")


def test_rules_pick_the_group():
    with App(name="api") as api, App(name="admin") as admin, App(name="deleter") as deleter, \
         App(name="beta") as beta, App(name="web") as web:
        groups = {"api": [api.addr], "admin": [admin.addr], "deleter": [deleter.addr],
                  "beta": [beta.addr], "web": [web.addr]}
        with Tierd(stack(rules=RULES, groups=groups)) as t:
            assert instance(t, path="/api") == "api"
            assert instance(t, path="/api/v1/users?x=1") == "api"
            assert instance(t, path="/") == "web"
            assert instance(t, path="/ap") == "web"
            assert instance(t, host="admin.example") == "admin"
            assert instance(t, host="admin.example:8080") == "admin"
            assert instance(t, host="ADMIN.example") == "admin"       # host names fold case
            assert instance(t, host="admin.example", path="/api/x") == "api"   # first match
            assert instance(t, method="DELETE", path="/status?code=204") == "deleter"
            assert instance(t, headers=b"X-Env: beta\r\n") == "beta"
            assert instance(t, headers=b"x-env: beta\r\n") == "beta"  # names fold case
            assert instance(t, headers=b"X-Env: prod\r\n") == "web"
            assert get(t.url("/")).header("X-Instance") == "web"

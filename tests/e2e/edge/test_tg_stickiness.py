"""Stickiness (lb_cookie): the tierd_tg cookie keeps a client on one target; clients without
it are spread; when the sticky target dies, the next request goes to another target and the
cookie is rewritten to name it."""
from http.cookies import SimpleCookie

from harness import App, Tierd, get, instance_counts, tg_stack

COOKIE = "tierd_tg"


class Jar:
    """Just enough of a cookie jar: keeps what Set-Cookie says, sends it back."""

    def __init__(self):
        self.cookies = {}

    def get(self, url):
        hdrs = {"Cookie": "; ".join(f"{k}={v}" for k, v in self.cookies.items())} \
            if self.cookies else {}
        r = get(url, headers=hdrs)
        for line in r.header_all("Set-Cookie"):
            c = SimpleCookie()
            c.load(line)
            for k, morsel in c.items():
                self.cookies[k] = morsel.value
        return r


def test_cookie_keeps_a_client_on_one_target_until_it_dies():
    with App(name="a") as a, App(name="b") as b, App(name="c") as c, \
         Tierd(tg_stack([a.addr, b.addr, c.addr],
                        stickiness="{ enabled: true, duration: 1h }")) as t:
        jar = Jar()
        first = jar.get(t.url("/"))
        assert first.status == 200, first
        assert COOKIE in jar.cookies, f"no {COOKIE} cookie set: {first.headers}"
        sticky = first.header("X-Instance")
        cookie = jar.cookies[COOKIE]
        seen = [jar.get(t.url(f"/?i={i}")).header("X-Instance") for i in range(20)]
        assert seen == [sticky] * 20, f"a client with the cookie moved: {sticky} then {seen}"

        # Without the cookie the algorithm spreads requests.
        spread = instance_counts(t.url("/"), 30)
        assert set(spread) == {"a", "b", "c"}, f"cookieless requests did not spread: {spread}"

        apps = {"a": a, "b": b, "c": c}
        apps[sticky].proc.kill()
        apps[sticky].proc.wait(timeout=10)
        r = jar.get(t.url("/"))
        assert r.status == 200, f"the first request after the sticky target died: {r}"
        moved = r.header("X-Instance")
        assert moved != sticky and moved in apps, r
        assert jar.cookies[COOKIE] != cookie, \
            f"the cookie still names the dead target: {r.header_all('Set-Cookie')}"
        # And the client sticks to its new target.
        seen = [jar.get(t.url(f"/?j={i}")).header("X-Instance") for i in range(20)]
        assert seen == [moved] * 20, f"after the move to {moved}: {seen}"

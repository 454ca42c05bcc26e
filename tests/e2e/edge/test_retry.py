"""Retries: idempotent requests survive a dead target; a POST that reached a target is never
sent to another one."""
from harness import App, Tierd, Upstream, free_port, get, stack


def test_gets_succeed_with_one_dead_target():
    with App(name="a1") as a1:
        # Picked once the app listens: a port picked before could be the one it then takes.
        dead = f"127.0.0.1:{free_port()}"
        with Tierd(stack(groups={"web": [dead, a1.addr]})) as t:
            for i in range(20):
                r = get(t.url(f"/?i={i}"))
                assert r.status == 200, (i, r)
                assert r.header("X-Instance") == "a1"


def test_post_to_only_dead_target_is_502():
    dead = f"127.0.0.1:{free_port()}"
    with Tierd(stack(groups={"web": [dead]})) as t:
        assert get(t.url("/echo"), method="POST", body=b"hello").status == 502


def test_post_is_not_retried_after_the_target_got_it():
    with Upstream(mode="drop") as u1, Upstream(mode="drop") as u2, \
         Tierd(stack(groups={"web": [u1.addr, u2.addr]})) as t:
        r = get(t.url("/once"), method="POST", body=b"pay=1")
        assert r.status == 502
        got = u1.requests + u2.requests
        assert len(got) == 1, f"the POST was sent {len(got)} times: {got}"

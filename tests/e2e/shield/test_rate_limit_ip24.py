"""rate_limit with key ip_24: a flood spread over 50 loopback addresses of one /24
(127.0.5.1-127.0.5.50), each far below the limit on its own, is limited as one client once
the /24 passes the limit (429 here); another /24 is not affected."""
from harness import App, Tierd
from shieldkit import counters, request, shield_stack

LIMIT = 100


def test_a_slash24_spreading_its_flood_is_limited():
    shield = (f"  rate_limit: {{ window: 60s, limit: {LIMIT}, key: ip_24, status: 429 }}\n")
    with App(name="a") as app, Tierd(shield_stack(app.addr, shield)) as t:
        outcomes = []
        for rnd in range(4):                    # 200 requests, 4 per address
            for host in range(1, 51):
                outcomes.append(request(t, f"127.0.5.{host}", "/"))
        assert set(outcomes) <= {200, 429}, [o for o in outcomes if o not in (200, 429)][:10]
        assert outcomes[:LIMIT] == [200] * LIMIT
        # Refused requests do not count, so the /24 stays over: everything after is 429.
        assert outcomes[LIMIT:] == [429] * (len(outcomes) - LIMIT)
        assert request(t, "127.0.6.1", "/") == 200         # another /24
        assert counters(t)["rate_limit"] == len(outcomes) - LIMIT

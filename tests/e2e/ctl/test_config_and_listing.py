"""GET /v1/config serves the stack file text in use (the new one after a reload);
GET /v1/listeners and /v1/target-groups describe what runs."""
from harness import Tierd, wait_for
from ctlkit import api, ctl_stack


def test_config_follows_reload_and_listings():
    text = ctl_stack(groups={"web": ["127.0.0.1:1", "127.0.0.1:2"]})
    with Tierd(text) as t:
        r = api(t, "GET", "/v1/config")
        assert r.status == 200 and r.json["text"] == t.text, r
        gen = r.json["generation"]

        r = api(t, "GET", "/v1/listeners")
        assert r.json["listeners"] == [{"name": "public", "address": t.subst["listen"],
                                        "rules": 1}]
        r = api(t, "GET", "/v1/target-groups")
        assert r.json["target_groups"] == [{"name": "web", "algorithm": "round_robin",
                                            "targets": 2, "healthy": 2}]

        new = text.replace("target_groups:\n  web:\n",
                           "target_groups:\n  web:\n    algorithm: least_outstanding_requests\n")
        t.reload(new)
        wait_for(lambda: api(t, "GET", "/v1/config").json["generation"] > gen, 10,
                 what="the reload")
        assert api(t, "GET", "/v1/config").json["text"] == t.render(new)
        r = api(t, "GET", "/v1/target-groups")
        assert r.json["target_groups"][0]["algorithm"] == "least_outstanding_requests"

/* tests/unit/edge/route_test.c: listener rules, first match wins; glob patterns. */
#include <string.h>

#include "check.h"
#include "edge/internal.h"

static const struct h1_request *
parse(const char *head)
{
    static struct h1_request r;
    struct h1_limits lim;
    const char *why;

    h1_limits_default(&lim);
    assert_true(h1_parse_request(head, strlen(head), &lim, &r, &why) > 0);
    return &r;
}

TEST(route_glob_matches_like_alb_host_conditions)
{
    EXPECT_TRUE(route_glob_match("*.example.com", "api.example.com", 15));
    EXPECT_TRUE(route_glob_match("*.EXAMPLE.com", "a.b.example.COM", 15));
    EXPECT_FALSE(route_glob_match("*.example.com", "example.com", 11));
    EXPECT_TRUE(route_glob_match("ap?", "api", 3));
    EXPECT_FALSE(route_glob_match("ap?", "apis", 4));
    EXPECT_TRUE(route_glob_match("*", "", 0));
    EXPECT_TRUE(route_glob_match("a*b*c", "axxbyyc", 7));
    EXPECT_FALSE(route_glob_match("a*b*c", "axxbyy", 6));
    /* Hostile input stays linear: no exponential backtracking. */
    char s[4000];
    memset(s, 'a', sizeof(s));
    EXPECT_FALSE(route_glob_match("*a*a*a*a*a*a*a*a*b", s, sizeof(s)));
}

TEST(route_first_matching_rule_wins)
{
    struct edge_rule rules[4] = {
        { .has_match = true, .match = { .path_prefix = "/api/" }, .forward = "api" },
        { .has_match = true, .match = { .host = "*.admin.test" }, .forward = "admin" },
        { .has_match = true, .match = { .method = "POST", .header_name = "X-Canary",
                                        .header_value = "1" }, .forward = "canary" },
        { .has_match = false, .forward = "web" },
    };
    struct edge_listener_conf lc = { .name = "public", .nrules = 4, .rules = rules };

    EXPECT_STREQ(route_match(&lc, parse("GET /api/x HTTP/1.1\r\nHost: a\r\n\r\n"))->forward,
                 "api");
    EXPECT_STREQ(route_match(&lc, parse("GET /apix HTTP/1.1\r\nHost: a\r\n\r\n"))->forward,
                 "web");
    EXPECT_STREQ(route_match(&lc, parse("GET / HTTP/1.1\r\nHost: x.admin.test:8080\r\n\r\n"))
                     ->forward, "admin");
    EXPECT_STREQ(route_match(&lc, parse("POST / HTTP/1.1\r\nHost: a\r\nx-canary: 1\r\n"
                                        "Content-Length: 0\r\n\r\n"))->forward, "canary");
    EXPECT_STREQ(route_match(&lc, parse("GET / HTTP/1.1\r\nHost: a\r\nX-Canary: 1\r\n\r\n"))
                     ->forward, "web");
    lc.nrules = 3;      /* no default action: nothing matches */
    EXPECT_TRUE(route_match(&lc, parse("GET / HTTP/1.1\r\nHost: a\r\n\r\n")) == NULL);
}

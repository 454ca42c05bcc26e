/* tests/unit/ctl/ctl_router_test.c: the route table (path parameters, 404/405, decoding). */
#include "ctl/internal.h"
#include "check.h"

#include <errno.h>
#include <string.h>

static void
h_a(struct ctl_req *req, void *ctx)
{
    (void)req;
    (void)ctx;
}

static void
h_b(struct ctl_req *req, void *ctx)
{
    (void)req;
    (void)ctx;
}

static enum ctl_match
match(const struct ctl_router *rt, const char *method, const char *path, struct ctl_kv *kv,
      const struct ctl_route_ent **out, char *allow)
{
    return ctl_router_match(rt, method, path, strlen(path), kv, out, allow, 128);
}

TEST(ctl_router_matches_path_params)
{
    struct ctl_router rt;
    const struct ctl_route_ent *r = NULL;
    struct ctl_kv kv;
    char allow[128];

    ctl_router_init(&rt);
    EXPECT_EQ(ctl_router_add(&rt, "GET", "/v1/target-groups/{name}/targets", h_a, NULL), 0);
    EXPECT_EQ(ctl_router_add(&rt, "DELETE", "/v1/target-groups/{name}/targets/{address}", h_b,
                             NULL), 0);
    EXPECT_EQ(match(&rt, "GET", "/v1/target-groups/web/targets", &kv, &r, allow),
              CTL_MATCH_OK);
    EXPECT_TRUE(r->fn == h_a);
    EXPECT_EQ(kv.n, 1);
    EXPECT_STREQ(kv.name[0], "name");
    EXPECT_STREQ(kv.value[0], "web");
    EXPECT_EQ(match(&rt, "DELETE", "/v1/target-groups/web/targets/%5B::1%5D:80", &kv, &r,
                    allow), CTL_MATCH_OK);
    EXPECT_TRUE(r->fn == h_b);
    EXPECT_EQ(kv.n, 2);
    EXPECT_STREQ(kv.value[1], "[::1]:80");
    /* An empty segment or an extra one does not match a parameter. */
    EXPECT_EQ(match(&rt, "GET", "/v1/target-groups//targets", &kv, &r, allow),
              CTL_MATCH_NO_PATH);
    EXPECT_EQ(match(&rt, "GET", "/v1/target-groups/web/targets/x/y", &kv, &r, allow),
              CTL_MATCH_NO_PATH);
    EXPECT_EQ(match(&rt, "GET", "/v1/target-groups/web/targets/", &kv, &r, allow),
              CTL_MATCH_NO_PATH);
    ctl_router_fini(&rt);
}

TEST(ctl_router_reports_allowed_methods)
{
    struct ctl_router rt;
    const struct ctl_route_ent *r = NULL;
    struct ctl_kv kv;
    char allow[128];

    ctl_router_init(&rt);
    ctl_router_add(&rt, "GET", "/v1/target-groups/{name}/targets", h_a, NULL);
    ctl_router_add(&rt, "POST", "/v1/target-groups/{name}/targets", h_b, NULL);
    EXPECT_EQ(match(&rt, "PUT", "/v1/target-groups/web/targets", &kv, &r, allow),
              CTL_MATCH_NO_METHOD);
    EXPECT_STREQ(allow, "GET, POST");
    EXPECT_EQ(match(&rt, "GET", "/v2/nothing", &kv, &r, allow), CTL_MATCH_NO_PATH);
    EXPECT_EQ(match(&rt, "GET", "/v1/target-groups/%zz/targets", &kv, &r, allow),
              CTL_MATCH_BAD_PARAM);
    ctl_router_fini(&rt);
}

TEST(ctl_router_refuses_bad_patterns_and_duplicates)
{
    struct ctl_router rt;

    ctl_router_init(&rt);
    EXPECT_EQ(ctl_router_add(&rt, "GET", "/v1/status", h_a, NULL), 0);
    EXPECT_EQ(ctl_router_add(&rt, "GET", "/v1/status", h_b, NULL), -EEXIST);
    EXPECT_EQ(ctl_router_add(&rt, "GET", "v1/status", h_a, NULL), -EINVAL);
    EXPECT_EQ(ctl_router_add(&rt, "GET", "/v1//status", h_a, NULL), -EINVAL);
    EXPECT_EQ(ctl_router_add(&rt, "GET", "/v1/status/", h_a, NULL), -EINVAL);
    ctl_router_fini(&rt);
}

TEST(ctl_router_decode_refuses_bad_escapes)
{
    char out[16];

    EXPECT_EQ(ctl_router_decode("a%20b", 5, false, out, sizeof(out)), 3);
    EXPECT_STREQ(out, "a b");
    EXPECT_EQ(ctl_router_decode("a+b", 3, true, out, sizeof(out)), 3);
    EXPECT_STREQ(out, "a b");
    EXPECT_EQ(ctl_router_decode("a%2", 3, false, out, sizeof(out)), -EINVAL);
    EXPECT_EQ(ctl_router_decode("%00", 3, false, out, sizeof(out)), -EINVAL);
    EXPECT_EQ(ctl_router_decode("%g0", 3, false, out, sizeof(out)), -EINVAL);
    EXPECT_EQ(ctl_router_decode("0123456789abcdef", 16, false, out, sizeof(out)), -EINVAL);
}

/* tests/unit/ctl/ctl_console_test.c: the console's sessions under an injected clock (idle
 * and absolute expiry, the least recently used one signed out when all slots are taken),
 * and the rules for a session cookie on /v1: X-CSRF-Token and the console's own Origin
 * (or Sec-Fetch-Site: same-origin), through ctl_req_handle() as a TCP listener runs it. */
#include "ctl/internal.h"
#include "check.h"

#include <stdio.h>
#include <string.h>

static uint64_t fake_ms;

static uint64_t
fake_now(void)
{
    return fake_ms;
}

static const struct ctl_cred creds[] = {
    { "alice", "alice-token-1" },
    { "bob", "bob-token-22" },
};

TEST(ctl_console_sessions_expire_when_idle_and_after_their_lifetime)
{
    fake_ms = 1000000;
    struct ctl_console *k = ctl_console_new(creds, 2, fake_now);
    struct ctl_session *s = ctl_console_sign_in(k, "alice");
    char cookie[128];
    struct ctl_session *probe;

    assert_non_null(s);
    EXPECT_STREQ(ctl_console_who(s), "alice");
    const char *sid = ctl_console_session_id(s);
    EXPECT_EQ(strlen(sid), 64);
    /* The cookie as a browser sends it, among others. */
    snprintf(cookie, sizeof(cookie), "a=1; tierd_session=%s; b=2", sid);

    /* Idle: each hit pushes the idle deadline on. */
    fake_ms += CTL_CONSOLE_IDLE_MS - 1;
    probe = ctl_console_session(k, cookie, strlen(cookie));
    EXPECT_TRUE(probe == s);
    fake_ms += CTL_CONSOLE_IDLE_MS - 1;
    EXPECT_TRUE(ctl_console_session(k, cookie, strlen(cookie)) == s);
    EXPECT_TRUE(ctl_console_session_alive(k, sid));
    fake_ms += CTL_CONSOLE_IDLE_MS;
    EXPECT_FALSE(ctl_console_session_alive(k, sid));
    EXPECT_TRUE(ctl_console_session(k, cookie, strlen(cookie)) == NULL);
    /* Gone for good: the slot was wiped, an earlier clock does not bring it back. */
    fake_ms -= CTL_CONSOLE_IDLE_MS;
    EXPECT_TRUE(ctl_console_session(k, cookie, strlen(cookie)) == NULL);

    /* Absolute lifetime: active every 30 minutes, still out after CTL_CONSOLE_SESSION_MS. */
    s = ctl_console_sign_in(k, "bob");
    assert_non_null(s);
    sid = ctl_console_session_id(s);
    snprintf(cookie, sizeof(cookie), "tierd_session=%s", sid);
    uint64_t start = fake_ms;
    while (fake_ms + 1800000 < start + CTL_CONSOLE_SESSION_MS) {
        fake_ms += 1800000;
        EXPECT_TRUE(ctl_console_session(k, cookie, strlen(cookie)) == s);
    }
    fake_ms = start + CTL_CONSOLE_SESSION_MS;
    EXPECT_TRUE(ctl_console_session(k, cookie, strlen(cookie)) == NULL);

    /* Not a session: a prefix, a longer value, another cookie's name. */
    s = ctl_console_sign_in(k, "alice");
    sid = ctl_console_session_id(s);
    char bad[160];
    snprintf(bad, sizeof(bad), "tierd_session=%.63s", sid);
    EXPECT_TRUE(ctl_console_session(k, bad, strlen(bad)) == NULL);
    snprintf(bad, sizeof(bad), "tierd_session=%s0", sid);
    EXPECT_TRUE(ctl_console_session(k, bad, strlen(bad)) == NULL);
    snprintf(bad, sizeof(bad), "xtierd_session=%s", sid);
    EXPECT_TRUE(ctl_console_session(k, bad, strlen(bad)) == NULL);
    ctl_console_free(k);
}

TEST(ctl_console_full_store_signs_out_the_least_recently_used)
{
    fake_ms = 5000;
    struct ctl_console *k = ctl_console_new(creds, 2, fake_now);
    struct ctl_session *first = NULL, *s;
    char cookie[128];

    for (unsigned i = 0; i < CTL_CONSOLE_SESSIONS_MAX; i++) {
        fake_ms += 10;
        s = ctl_console_sign_in(k, "alice");
        assert_non_null(s);
        if (i == 0)
            first = s;
    }
    /* The first is used again, so the second is now the least recently seen. */
    snprintf(cookie, sizeof(cookie), "tierd_session=%s", ctl_console_session_id(first));
    fake_ms += 10;
    EXPECT_TRUE(ctl_console_session(k, cookie, strlen(cookie)) == first);
    fake_ms += 10;
    s = ctl_console_sign_in(k, "bob");
    assert_non_null(s);
    EXPECT_TRUE(s != first);
    EXPECT_TRUE(ctl_console_session(k, cookie, strlen(cookie)) == first);
    EXPECT_STREQ(ctl_console_who(s), "bob");
    ctl_console_free(k);
}

/* ------------------------------------------------------------------ CSRF and Origin */

static char seen_who[80];

static void
act(struct ctl_req *req, void *ctx)
{
    const char *w = ctl_req_who(req);

    (void)ctx;
    snprintf(seen_who, sizeof(seen_who), "%s", w ? w : "(none)");
    ctl_req_reply(req, 200, NULL);
}

struct resp {
    int status;
    char code[40];
    char cookie[80];
    char csrf[80];
};

static struct resp
send_tcp(struct ctl_router *rt, struct ctl_console *k, const char *fmt, ...)
    __attribute__((format(printf, 3, 4)));

static struct resp
send_tcp(struct ctl_router *rt, struct ctl_console *k, const char *fmt, ...)
{
    static struct ctl_peer peer = { .addr = "127.0.0.1:40000" };
    struct ctl_guard g = { NULL, "127.0.0.1:9000", true, NULL, 0, k, creds, 2 };
    struct buf out = { 0 };
    struct resp r = { 0 };
    char in[2048];
    va_list ap;

    va_start(ap, fmt);
    vsnprintf(in, sizeof(in), fmt, ap);
    va_end(ap);
    seen_who[0] = '\0';
    assert_true(ctl_req_handle(rt, in, strlen(in), &peer, &g, &out, &r.status) > 0);
    char *sep = memmem(buf_head(&out), buf_len(&out), "\r\n\r\n", 4);
    assert_non_null(sep);
    const char *c = memmem(buf_head(&out), (size_t)(sep - buf_head(&out)),
                           "Set-Cookie: tierd_session=", 26);
    if (c) {
        sscanf(c + 12, "%79[^;]", r.cookie);
        /* Its lifetime is the session's, and no script or other site gets it. */
        const char *eol = strstr(c, "\r\n");
        assert_non_null(eol);
        assert_non_null(memmem(c, (size_t)(eol - c), "; Max-Age=43200; HttpOnly; SameSite=Strict",
                               42));
    }
    json_t *j = json_loads(sep + 4, JSON_DISABLE_EOF_CHECK, NULL);
    const char *v = json_string_value(json_object_get(j, "csrf"));
    snprintf(r.csrf, sizeof(r.csrf), "%s", v ? v : "");
    v = json_string_value(json_object_get(json_object_get(j, "error"), "code"));
    snprintf(r.code, sizeof(r.code), "%s", v ? v : "");
    json_decref(j);
    buf_fini(&out);
    return r;
}

#define HOST "Host: 127.0.0.1:9000\r\n"
#define JSON "Content-Type: application/json\r\n"
#define OWN "Origin: http://127.0.0.1:9000\r\n"
#define POSTX "POST /v1/x HTTP/1.1\r\n" HOST JSON "Content-Length: 0\r\n"

TEST(ctl_console_cookie_needs_csrf_and_own_origin_on_v1)
{
    struct ctl_router rt;
    struct resp r, in;

    fake_ms = 7000000;
    struct ctl_console *k = ctl_console_new(creds, 2, fake_now);
    ctl_router_init(&rt);
    assert_int_equal(ctl_console_routes(&rt, k), 0);
    assert_int_equal(ctl_router_add(&rt, "POST", "/v1/x", act, NULL), 0);
    assert_int_equal(ctl_router_add(&rt, "GET", "/v1/x", act, NULL), 0);

    /* Sign-in: a wrong token, then bob's. */
    r = send_tcp(&rt, k, "POST /console/sign-in HTTP/1.1\r\n" HOST JSON OWN
                 "Content-Length: 21\r\n\r\n{\"token\": \"alice-to\"}");
    EXPECT_EQ(r.status, 401);
    EXPECT_EQ(r.cookie[0], '\0');
    in = send_tcp(&rt, k, "POST /console/sign-in HTTP/1.1\r\n" HOST JSON OWN
                  "Content-Length: 25\r\n\r\n{\"token\": \"bob-token-22\"}");
    EXPECT_EQ(in.status, 200);
    EXPECT_EQ(strlen(in.cookie), 14 + 64);
    EXPECT_EQ(strlen(in.csrf), 64);

    /* Cookie, CSRF token and own Origin: acts as console:bob. */
    r = send_tcp(&rt, k, POSTX OWN "Cookie: %s\r\n"
                 "X-CSRF-Token: %s\r\n\r\n", in.cookie, in.csrf);
    EXPECT_EQ(r.status, 200);
    EXPECT_STREQ(seen_who, "console:bob");
    /* A same-origin GET carries no Origin; Sec-Fetch-Site says where it came from. */
    r = send_tcp(&rt, k, "GET /v1/x HTTP/1.1\r\n" HOST "Sec-Fetch-Site: same-origin\r\n"
                 "Cookie: %s\r\nX-CSRF-Token: %s\r\n\r\n", in.cookie, in.csrf);
    EXPECT_EQ(r.status, 200);

    /* Each missing or wrong part refuses, and the handler never runs. */
    r = send_tcp(&rt, k, POSTX OWN "Cookie: %s\r\n\r\n",
                 in.cookie);
    EXPECT_EQ(r.status, 403);
    EXPECT_STREQ(r.code, "csrf");
    EXPECT_STREQ(seen_who, "");
    char wrong[80];
    snprintf(wrong, sizeof(wrong), "%s", in.csrf);
    wrong[0] = wrong[0] == 'a' ? 'b' : 'a';
    r = send_tcp(&rt, k, POSTX OWN "Cookie: %s\r\n"
                 "X-CSRF-Token: %s\r\n\r\n", in.cookie, wrong);
    EXPECT_EQ(r.status, 403);
    r = send_tcp(&rt, k, POSTX "Cookie: %s\r\n"
                 "X-CSRF-Token: %s\r\n\r\n", in.cookie, in.csrf);
    EXPECT_EQ(r.status, 403);       /* no Origin and no Sec-Fetch-Site */
    r = send_tcp(&rt, k, "GET /v1/x HTTP/1.1\r\n" HOST "Sec-Fetch-Site: cross-site\r\n"
                 "Cookie: %s\r\nX-CSRF-Token: %s\r\n\r\n", in.cookie, in.csrf);
    EXPECT_EQ(r.status, 403);
    r = send_tcp(&rt, k, POSTX "Origin: http://evil.example\r\n"
                 "Cookie: %s\r\nX-CSRF-Token: %s\r\n\r\n", in.cookie, in.csrf);
    EXPECT_EQ(r.status, 403);
    EXPECT_STREQ(r.code, "origin_not_allowed");
    /* Another port of the same host is another origin. */
    r = send_tcp(&rt, k, POSTX "Origin: http://127.0.0.1:9001\r\n"
                 "Cookie: %s\r\nX-CSRF-Token: %s\r\n\r\n", in.cookie, in.csrf);
    EXPECT_EQ(r.status, 403);
    /* The CSRF token alone opens nothing either. */
    r = send_tcp(&rt, k, POSTX OWN "X-CSRF-Token: %s\r\n\r\n",
                 in.csrf);
    EXPECT_EQ(r.status, 401);
    EXPECT_STREQ(seen_who, "");

    /* A bearer token acts as its operator, cookie or not. */
    r = send_tcp(&rt, k, POSTX
                 "Authorization: Bearer alice-token-1\r\n\r\n");
    EXPECT_EQ(r.status, 200);
    EXPECT_STREQ(seen_who, "alice");
    r = send_tcp(&rt, k, POSTX
                 "Authorization: bearer bob-token-22\r\n\r\n");
    EXPECT_EQ(r.status, 200);
    EXPECT_STREQ(seen_who, "bob");
    r = send_tcp(&rt, k, POSTX
                 "Authorization: Bearer bob-token-2\r\n\r\n");
    EXPECT_EQ(r.status, 401);

    /* Expiry: an hour idle and the same cookie is refused, the stream's check agrees. */
    fake_ms += CTL_CONSOLE_IDLE_MS;
    r = send_tcp(&rt, k, POSTX OWN "Cookie: %s\r\n"
                 "X-CSRF-Token: %s\r\n\r\n", in.cookie, in.csrf);
    EXPECT_EQ(r.status, 401);
    r = send_tcp(&rt, k, "GET /console/session HTTP/1.1\r\n" HOST "Cookie: %s\r\n\r\n",
                 in.cookie);
    EXPECT_EQ(r.status, 401);
    ctl_router_fini(&rt);
    ctl_console_free(k);
}

TEST(ctl_console_new_tokens_sign_out_who_is_gone_or_changed)
{
    static const struct ctl_cred three[] = {
        { "alice", "alice-token-1" }, { "bob", "bob-token-22" }, { "carol", "carol-3" },
    };
    static const struct ctl_cred after[] = {
        { "alice", "alice-token-1" },   /* kept */
        { "carol", "carol-new-4" },     /* changed; bob is gone */
        { "dave", "dave-5" },           /* new */
    };
    unsigned gone = 99;

    fake_ms = 1000;
    struct ctl_console *k = ctl_console_new(three, 3, fake_now);
    struct ctl_session *a = ctl_console_sign_in(k, "alice");
    char ca[96], cb[96], cc[96];
    snprintf(ca, sizeof(ca), "tierd_session=%s", ctl_console_session_id(a));
    snprintf(cb, sizeof(cb), "tierd_session=%s", ctl_console_session_id(ctl_console_sign_in(k, "bob")));
    snprintf(cc, sizeof(cc), "tierd_session=%s",
             ctl_console_session_id(ctl_console_sign_in(k, "carol")));
    EXPECT_EQ(ctl_console_set_creds(k, after, 3, &gone), 0);
    EXPECT_EQ(gone, 2);
    EXPECT_TRUE(ctl_console_session(k, ca, strlen(ca)) == a);
    EXPECT_TRUE(ctl_console_session(k, cb, strlen(cb)) == NULL);
    EXPECT_TRUE(ctl_console_session(k, cc, strlen(cc)) == NULL);
    ctl_console_free(k);
}

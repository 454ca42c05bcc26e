/* tests/unit/ctl/ctl_req_test.c: one request's bytes to one response: error JSON, body
 * limits, JSON decoding, authentication, parameters reaching the handler. */
#include "ctl/internal.h"
#include "check.h"

#include <errno.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

struct seen {
    int calls;
    char name[64];
    char limit[64];
    long long weight;
    long uid;
};

static void
echo(struct ctl_req *req, void *ctx)
{
    struct seen *s = ctx;
    const char *n = ctl_req_param(req, "name"), *l = ctl_req_query(req, "limit");
    json_t *b = ctl_req_body(req);

    s->calls++;
    snprintf(s->name, sizeof(s->name), "%s", n ? n : "");
    snprintf(s->limit, sizeof(s->limit), "%s", l ? l : "");
    s->weight = b ? json_integer_value(json_object_get(b, "weight")) : -1;
    s->uid = ctl_req_peer(req)->uid;
    ctl_req_reply(req, 201, json_pack("{s:s}", "ok", "yes"));
}

static void
silent(struct ctl_req *req, void *ctx)
{
    (void)req;
    (void)ctx;
}

#define CT_JSON "Content-Type: application/json\r\n"

struct reply {
    ssize_t used;
    int status;
    json_t *json;
    char head[1024];
};

static struct reply
run(struct ctl_router *rt, const char *in, size_t len, const char *token)
{
    static struct ctl_peer peer = { .is_unix = true, .uid = 1000, .pid = 42 };
    struct buf out = { 0 };
    struct reply r = { 0 };

    struct ctl_guard g = { .token = token };

    r.used = ctl_req_handle(rt, in, len, &peer, token ? &g : NULL, &out, NULL);
    if (r.used >= 0) {
        char *sep = memmem(buf_head(&out), buf_len(&out), "\r\n\r\n", 4);
        assert_non_null(sep);
        size_t hl = (size_t)(sep - buf_head(&out)) + 4;
        snprintf(r.head, sizeof(r.head), "%.*s", (int)hl, buf_head(&out));
        sscanf(buf_head(&out), "HTTP/1.1 %d", &r.status);
        r.json = json_loadb(buf_head(&out) + hl, buf_len(&out) - hl, 0, NULL);
    }
    buf_fini(&out);
    return r;
}

static struct reply
runs(struct ctl_router *rt, const char *in, const char *token)
{
    return run(rt, in, strlen(in), token);
}

static const char *
err_code(const struct reply *r)
{
    return json_string_value(json_object_get(json_object_get(r->json, "error"), "code"));
}

static const char *
err_msg(const struct reply *r)
{
    return json_string_value(json_object_get(json_object_get(r->json, "error"), "message"));
}

static void
setup(struct ctl_router *rt, struct seen *s)
{
    memset(s, 0, sizeof(*s));
    ctl_router_init(rt);
    ctl_router_add(rt, "GET", "/v1/groups/{name}", echo, s);
    ctl_router_add(rt, "POST", "/v1/groups/{name}", echo, s);
    ctl_router_add(rt, "GET", "/v1/silent", silent, s);
}

TEST(ctl_req_routes_params_query_and_body_to_the_handler)
{
    struct ctl_router rt;
    struct seen s;
    const char *post = "POST /v1/groups/web%2D1 HTTP/1.1\r\nHost: x\r\nContent-Type: "
                       "application/json\r\nContent-Length: 13\r\n\r\n{\"weight\": 7}";
    struct reply r;

    setup(&rt, &s);
    r = runs(&rt, "GET /v1/groups/web?limit=5&x=y HTTP/1.1\r\nHost: x\r\n\r\n", NULL);
    EXPECT_EQ(r.status, 201);
    EXPECT_EQ(s.calls, 1);
    EXPECT_STREQ(s.name, "web");
    EXPECT_STREQ(s.limit, "5");
    EXPECT_EQ(s.uid, 1000);
    json_decref(r.json);
    /* Incomplete until the whole body is there, then handled once. */
    EXPECT_EQ(run(&rt, post, strlen(post) - 1, NULL).used, -EAGAIN);
    r = runs(&rt, post, NULL);
    EXPECT_EQ(r.used, (ssize_t)strlen(post));
    EXPECT_EQ(s.calls, 2);
    EXPECT_STREQ(s.name, "web-1");
    EXPECT_EQ(s.weight, 7);
    EXPECT_TRUE(strstr(r.head, "Content-Type: application/json\r\n") != NULL);
    json_decref(r.json);
    ctl_router_fini(&rt);
}

TEST(ctl_req_errors_are_json_with_a_code)
{
    struct ctl_router rt;
    struct seen s;
    struct reply r;

    setup(&rt, &s);
    r = runs(&rt, "GET /v1/nothing HTTP/1.1\r\nHost: x\r\n\r\n", NULL);
    EXPECT_EQ(r.status, 404);
    EXPECT_STREQ(err_code(&r), "not_found");
    json_decref(r.json);
    r = runs(&rt, "DELETE /v1/groups/web HTTP/1.1\r\nHost: x\r\n\r\n", NULL);
    EXPECT_EQ(r.status, 405);
    EXPECT_STREQ(err_code(&r), "method_not_allowed");
    EXPECT_TRUE(strstr(r.head, "\r\nAllow: GET, POST\r\n") != NULL);
    json_decref(r.json);
    r = runs(&rt, "GET /v1/groups/web HTTP/1.1\r\nHost: x\r\nHost: y\r\n\r\n", NULL);
    EXPECT_EQ(r.status, 400);
    EXPECT_STREQ(err_code(&r), "bad_request");
    json_decref(r.json);
    r = runs(&rt, "GET /v1/groups/web?limit=%zz HTTP/1.1\r\nHost: x\r\n\r\n", NULL);
    EXPECT_EQ(r.status, 400);
    json_decref(r.json);
    /* A handler that forgets to answer is a 500, not a hang. */
    r = runs(&rt, "GET /v1/silent HTTP/1.1\r\nHost: x\r\n\r\n", NULL);
    EXPECT_EQ(r.status, 500);
    EXPECT_STREQ(err_code(&r), "internal");
    json_decref(r.json);
    EXPECT_EQ(s.calls, 0);
    ctl_router_fini(&rt);
}

TEST(ctl_req_body_limits_and_framing)
{
    struct ctl_router rt;
    struct seen s;
    struct reply r;
    char big[256];

    setup(&rt, &s);
    snprintf(big, sizeof(big), "POST /v1/groups/web HTTP/1.1\r\nHost: x\r\n"
                               "Content-Type: application/json\r\nContent-Length: %u\r\n\r\n",
             CTL_BODY_MAX_BYTES + 1);
    r = runs(&rt, big, NULL);              /* refused from the head alone */
    EXPECT_EQ(r.status, 413);
    EXPECT_STREQ(err_code(&r), "payload_too_large");
    json_decref(r.json);
    r = runs(&rt, "POST /v1/groups/web HTTP/1.1\r\nHost: x\r\n" CT_JSON "\r\n", NULL);
    EXPECT_EQ(r.status, 411);
    EXPECT_STREQ(err_code(&r), "length_required");
    json_decref(r.json);
    r = runs(&rt, "POST /v1/groups/web HTTP/1.1\r\nHost: x\r\nTransfer-Encoding: chunked\r\n"
                  CT_JSON "\r\n2\r\n{}\r\n0\r\n\r\n", NULL);
    EXPECT_EQ(r.status, 411);
    json_decref(r.json);
    r = runs(&rt, "POST /v1/groups/web HTTP/1.1\r\nHost: x\r\nContent-Type: text/plain\r\n"
                  "Content-Length: 2\r\n\r\n{}", NULL);
    EXPECT_EQ(r.status, 415);
    json_decref(r.json);
    EXPECT_EQ(s.calls, 0);
    ctl_router_fini(&rt);
}

TEST(ctl_req_malformed_json_names_line_and_column)
{
    struct ctl_router rt;
    struct seen s;
    struct reply r;

    setup(&rt, &s);
    r = runs(&rt, "POST /v1/groups/web HTTP/1.1\r\nHost: x\r\n" CT_JSON "Content-Length: 16\r\n\r\n"
                  "{\"weight\":\n  7,}", NULL);
    EXPECT_EQ(r.status, 400);
    EXPECT_STREQ(err_code(&r), "malformed_json");
    EXPECT_TRUE(strstr(err_msg(&r), "line 2, column") != NULL);
    json_decref(r.json);
    EXPECT_EQ(s.calls, 0);
    ctl_router_fini(&rt);
}

TEST(ctl_req_token_is_required_when_set)
{
    struct ctl_router rt;
    struct seen s;
    struct reply r;

    setup(&rt, &s);
    r = runs(&rt, "GET /v1/groups/web HTTP/1.1\r\nHost: x\r\n\r\n", "tok");
    EXPECT_EQ(r.status, 401);
    EXPECT_STREQ(err_code(&r), "unauthorized");
    EXPECT_TRUE(strstr(r.head, "WWW-Authenticate: Bearer") != NULL);
    json_decref(r.json);
    r = runs(&rt, "GET /v1/groups/web HTTP/1.1\r\nHost: x\r\nAuthorization: Bearer nope\r\n\r\n",
             "tok");
    EXPECT_EQ(r.status, 401);
    json_decref(r.json);
    /* Unauthenticated clients learn nothing about routes either. */
    r = runs(&rt, "GET /v1/nothing HTTP/1.1\r\nHost: x\r\n\r\n", "tok");
    EXPECT_EQ(r.status, 401);
    json_decref(r.json);
    EXPECT_EQ(s.calls, 0);
    r = runs(&rt, "GET /v1/groups/web HTTP/1.1\r\nHost: x\r\nAuthorization: Bearer tok\r\n\r\n",
             "tok");
    EXPECT_EQ(r.status, 201);
    EXPECT_EQ(s.calls, 1);
    json_decref(r.json);
    ctl_router_fini(&rt);
}

TEST(ctl_req_error_messages_stay_valid_json)
{
    struct ctl_router rt;
    struct seen s;
    struct reply r;

    /* Found by fuzz/ctl_request: a message quoting non-UTF-8 bytes lost its error object. */
    setup(&rt, &s);
    r = runs(&rt, "POST /v1/groups/web HTTP/1.1\r\nHost: x\r\nContent-Type: appli\x9d\x9eon/json\r\n"
                  "Content-Length: 2\r\n\r\n{}", NULL);
    EXPECT_EQ(r.status, 415);
    EXPECT_STREQ(err_code(&r), "unsupported_media_type");
    json_decref(r.json);
    ctl_router_fini(&rt);
}

TEST(ctl_req_state_changing_methods_need_a_json_type)
{
    struct ctl_router rt;
    struct seen s;
    struct reply r;

    setup(&rt, &s);
    /* A form post and a no-cors fetch can send text/plain or form types, never JSON. */
    r = runs(&rt, "POST /v1/groups/web HTTP/1.1\r\nHost: x\r\nContent-Length: 2\r\n\r\n{}",
             NULL);
    EXPECT_EQ(r.status, 415);
    EXPECT_STREQ(err_code(&r), "unsupported_media_type");
    json_decref(r.json);
    r = runs(&rt, "POST /v1/groups/web HTTP/1.1\r\nHost: x\r\nContent-Length: 0\r\n\r\n",
             NULL);
    EXPECT_EQ(r.status, 415);
    json_decref(r.json);
    r = runs(&rt, "POST /v1/groups/web HTTP/1.1\r\nHost: x\r\nContent-Type: "
                  "application/x-www-form-urlencoded\r\nContent-Length: 2\r\n\r\na=",
             NULL);
    EXPECT_EQ(r.status, 415);
    json_decref(r.json);
    EXPECT_EQ(s.calls, 0);
    /* DELETE with no body needs the type as well; GET does not. */
    ctl_router_add(&rt, "DELETE", "/v1/groups/{name}", echo, &s);
    r = runs(&rt, "DELETE /v1/groups/web HTTP/1.1\r\nHost: x\r\n\r\n", NULL);
    EXPECT_EQ(r.status, 415);
    json_decref(r.json);
    EXPECT_EQ(s.calls, 0);
    r = runs(&rt, "DELETE /v1/groups/web HTTP/1.1\r\nHost: x\r\n" CT_JSON "\r\n", NULL);
    EXPECT_EQ(r.status, 201);
    json_decref(r.json);
    r = runs(&rt, "POST /v1/groups/web HTTP/1.1\r\nHost: x\r\nContent-Type: application/json; "
                  "charset=utf-8\r\nContent-Length: 2\r\n\r\n{}", NULL);
    EXPECT_EQ(r.status, 201);
    json_decref(r.json);
    r = runs(&rt, "GET /v1/groups/web HTTP/1.1\r\nHost: x\r\n\r\n", NULL);
    EXPECT_EQ(r.status, 201);
    json_decref(r.json);
    EXPECT_EQ(s.calls, 3);
    ctl_router_fini(&rt);
}

static struct reply
run_tcp(struct ctl_router *rt, const char *in)
{
    static const char *const origins[] = { "http://127.0.0.1:9000" };
    static struct ctl_peer peer = { .addr = "127.0.0.1:40000" };
    struct ctl_guard g = { "tok", "127.0.0.1:7070", true, origins, 1, NULL, NULL, 0 };
    struct buf out = { 0 };
    struct reply r = { 0 };

    r.used = ctl_req_handle(rt, in, strlen(in), &peer, &g, &out, &r.status);
    assert_true(r.used > 0);
    sscanf(buf_head(&out), "HTTP/1.1 %d", &r.status);
    char *sep = memmem(buf_head(&out), buf_len(&out), "\r\n\r\n", 4);
    assert_non_null(sep);
    r.json = json_loads(sep + 4, JSON_DISABLE_EOF_CHECK, NULL);
    buf_fini(&out);
    return r;
}

TEST(ctl_req_tcp_refuses_foreign_host_and_origin)
{
    struct ctl_router rt;
    struct seen s;
    struct reply r;
    static const char *const refused[] = {
        /* DNS rebinding: a name of the attacker's that resolves to 127.0.0.1. */
        "GET /v1/groups/web HTTP/1.1\r\nHost: evil.example:7070\r\n"
        "Authorization: Bearer tok\r\n\r\n",
        "GET /v1/groups/web HTTP/1.1\r\nHost: 127.0.0.1:7071\r\n"
        "Authorization: Bearer tok\r\n\r\n",
        "GET /v1/groups/web HTTP/1.1\r\nHost: localhost:7070\r\n"
        "Authorization: Bearer tok\r\n\r\n",
        "GET /v1/groups/web HTTP/1.0\r\nAuthorization: Bearer tok\r\n\r\n",
        /* A page, even with the token (it may have leaked into one). */
        "POST /v1/groups/web HTTP/1.1\r\nHost: 127.0.0.1:7070\r\nOrigin: http://evil.example\r\n"
        "Authorization: Bearer tok\r\n" CT_JSON "Content-Length: 2\r\n\r\n{}",
        "POST /v1/groups/web HTTP/1.1\r\nHost: 127.0.0.1:7070\r\nOrigin: null\r\n"
        "Authorization: Bearer tok\r\n" CT_JSON "Content-Length: 2\r\n\r\n{}",
        "GET /v1/groups/web HTTP/1.1\r\nHost: 127.0.0.1:7070\r\nSec-Fetch-Site: cross-site\r\n"
        "Authorization: Bearer tok\r\n\r\n",
    };
    static const int want[] = { 421, 421, 421, 421, 403, 403, 403 };

    setup(&rt, &s);
    for (size_t i = 0; i < sizeof(refused) / sizeof(refused[0]); i++) {
        r = run_tcp(&rt, refused[i]);
        EXPECT_EQ(r.status, want[i]);
        json_decref(r.json);
    }
    EXPECT_EQ(s.calls, 0);
    r = run_tcp(&rt, "POST /v1/groups/web HTTP/1.1\r\nHost: 127.0.0.1:7070\r\n"
                     "Origin: HTTP://127.0.0.1:9000\r\nAuthorization: Bearer tok\r\n" CT_JSON
                     "Content-Length: 2\r\n\r\n{}");
    EXPECT_EQ(r.status, 201);
    json_decref(r.json);
    r = run_tcp(&rt, "GET /v1/groups/web HTTP/1.1\r\nHost: 127.0.0.1:7070\r\n"
                     "Sec-Fetch-Site: none\r\nAuthorization: Bearer tok\r\n\r\n");
    EXPECT_EQ(r.status, 201);
    json_decref(r.json);
    EXPECT_EQ(s.calls, 2);
    ctl_router_fini(&rt);
}

TEST(ctl_auth_host_and_origin_match_exactly)
{
    static const char *const o[] = { "https://console.example", "http://127.0.0.1:9000" };

    EXPECT_TRUE(ctl_auth_host_ok("127.0.0.1:7070", 14, "127.0.0.1:7070"));
    EXPECT_TRUE(ctl_auth_host_ok("[::1]:7070", 10, "[::1]:7070"));
    EXPECT_TRUE(ctl_auth_host_ok("127.0.0.1", 9, "127.0.0.1:80"));
    EXPECT_FALSE(ctl_auth_host_ok("127.0.0.1", 9, "127.0.0.1:7070"));
    EXPECT_FALSE(ctl_auth_host_ok("127.0.0.1:70700", 15, "127.0.0.1:7070"));
    EXPECT_FALSE(ctl_auth_host_ok("", 0, "127.0.0.1:7070"));
    EXPECT_TRUE(ctl_auth_origin_ok("https://CONSOLE.example", 23, o, 2));
    EXPECT_FALSE(ctl_auth_origin_ok("https://console.example.evil", 28, o, 2));
    EXPECT_FALSE(ctl_auth_origin_ok("https://console.exampl", 22, o, 2));
    EXPECT_FALSE(ctl_auth_origin_ok("null", 4, o, 2));
    EXPECT_FALSE(ctl_auth_origin_ok("http://127.0.0.1:9000", 21, o, 0));
}

/* tests/unit/edge/h2xlate_test.c: HTTP/2 header blocks to HTTP/1.1 heads. */
#include <stdio.h>
#include <string.h>

#include "check.h"
#include "edge/h2xlate.h"

static const struct h2xlate_limits lim = { 65536, 100 };

/* Adds "name", "value" pairs until NULL; returns the first result that is not OK. */
static enum h2xlate_result
add_all(struct h2xlate *x, const char *const *nv)
{
    for (; nv[0]; nv += 2) {
        enum h2xlate_result r = h2xlate_add(x, &lim, (const uint8_t *)nv[0], strlen(nv[0]),
                                            (const uint8_t *)nv[1], strlen(nv[1]));
        if (r != H2XLATE_OK)
            return r;
    }
    return H2XLATE_OK;
}

/* The translated head as a string (static), or NULL when the block is refused. */
static const char *
translate(const char *const *nv, bool end_stream, bool *chunked)
{
    static char out[1024];
    struct h2xlate x;
    struct buf b = { 0 };
    const char *ret = NULL;

    h2xlate_init(&x);
    if (add_all(&x, nv) == H2XLATE_OK && h2xlate_head(&x, end_stream, &b, chunked) == H2XLATE_OK) {
        snprintf(out, sizeof(out), "%.*s", (int)buf_len(&b), buf_head(&b));
        ret = out;
    }
    buf_fini(&b);
    h2xlate_fini(&x);
    return ret;
}

TEST(h2xlate_builds_an_http11_head)
{
    bool chunked;
    const char *get[] = { ":method", "GET", ":scheme", "https", ":authority", "shop.example",
                          ":path", "/a?b=1", "accept", "*/*", "cookie", "a=1", "cookie", "b=2",
                          NULL };
    EXPECT_STREQ(translate(get, true, &chunked),
                 "GET /a?b=1 HTTP/1.1\r\nhost: shop.example\r\naccept: */*\r\n"
                 "cookie: a=1; b=2\r\n\r\n");
    EXPECT_FALSE(chunked);
    /* A body of unknown length is chunked towards the target; a known one keeps it. */
    const char *post[] = { ":method", "POST", ":scheme", "https", ":path", "/p", "host", "h",
                           NULL };
    EXPECT_STREQ(translate(post, false, &chunked),
                 "POST /p HTTP/1.1\r\nhost: h\r\ntransfer-encoding: chunked\r\n\r\n");
    EXPECT_TRUE(chunked);
    const char *len[] = { ":method", "POST", ":scheme", "https", ":authority", "h", ":path", "/",
                          "content-length", "5", NULL };
    EXPECT_STREQ(translate(len, false, &chunked),
                 "POST / HTTP/1.1\r\nhost: h\r\ncontent-length: 5\r\n\r\n");
    EXPECT_FALSE(chunked);
    /* TE: trailers is allowed and dropped (hop-by-hop). */
    const char *te[] = { ":method", "GET", ":scheme", "http", ":authority", "h", ":path", "/",
                         "te", "trailers", NULL };
    EXPECT_STREQ(translate(te, true, &chunked), "GET / HTTP/1.1\r\nhost: h\r\n\r\n");
}

TEST(h2xlate_refuses_what_would_change_meaning_in_http11)
{
    bool chunked;
    const char *const bad[][12] = {
        { ":method", "GET", ":scheme", "http", ":path", "/ HTTP/1.1\r\nX: y", NULL },
        { ":method", "GET", ":scheme", "http", ":path", "/", "x", "a\r\nb", NULL },
        { ":method", "GET", ":scheme", "http", ":path", "/", "connection", "close", NULL },
        { ":method", "GET", ":scheme", "http", ":path", "/", "transfer-encoding", "chunked",
          NULL },
        { ":method", "GET", ":scheme", "http", ":path", "/", "te", "gzip", NULL },
        { ":method", "GET", ":scheme", "http", ":path", "/", "X-Upper", "v", NULL },
        { ":method", "GET", ":scheme", "http", ":authority", "a", ":path", "/", "host", "b",
          NULL },
        { ":method", "GET", ":scheme", "http", "accept", "*/*", ":path", "/", NULL },
        { ":method", "GET", ":method", "GET", ":scheme", "http", ":path", "/", NULL },
        { ":method", "GET", ":scheme", "http", NULL },
        { ":method", "GET", ":scheme", "http", ":path", "x", NULL },
        { ":method", "GET", ":protocol", "websocket", ":scheme", "http", ":path", "/", NULL },
    };
    for (unsigned i = 0; i < sizeof(bad) / sizeof(bad[0]); i++)
        EXPECT_TRUE(translate(bad[i], true, &chunked) == NULL);
}

TEST(h2xlate_limits_count_32_bytes_per_field)
{
    struct h2xlate x;
    struct h2xlate_limits small = { 32 * 10 + 100, 1000 };
    enum h2xlate_result r = H2XLATE_OK;
    unsigned n = 0;

    h2xlate_init(&x);
    /* One-byte names and values: each costs 34, so the 13th breaks a 420-byte list. */
    while (r == H2XLATE_OK && n < 100) {
        r = h2xlate_add(&x, &small, (const uint8_t *)"a", 1, (const uint8_t *)"b", 1);
        n++;
    }
    EXPECT_EQ(r, H2XLATE_LIMIT);
    EXPECT_EQ(n, 13);
    h2xlate_fini(&x);
}

static enum h2xlate_result
trailer(struct h2xlate *x, const struct h2xlate_limits *l, const char *name, const char *value)
{
    return h2xlate_trailer(x, l, (const uint8_t *)name, strlen(name), (const uint8_t *)value,
                           strlen(value));
}

TEST(h2xlate_trailers_become_field_lines_and_forbidden_ones_go)
{
    struct h2xlate x;
    static char big[9000];

    h2xlate_init(&x);
    EXPECT_EQ(trailer(&x, &lim, "grpc-status", "0"), H2XLATE_OK);
    EXPECT_EQ(trailer(&x, &lim, "content-length", "5"), H2XLATE_OK);     /* dropped */
    EXPECT_EQ(trailer(&x, &lim, "authorization", "Bearer x"), H2XLATE_OK);
    EXPECT_EQ(trailer(&x, &lim, "x-sum", "a b\tc"), H2XLATE_OK);
    EXPECT_EQ(buf_len(&x.fields), strlen("grpc-status: 0\r\nx-sum: a b\tc\r\n"));
    EXPECT_EQ(memcmp(buf_head(&x.fields), "grpc-status: 0\r\nx-sum: a b\tc\r\n",
                     buf_len(&x.fields)), 0);
    /* Malformed as in a head, plus any control a chunked trailer cannot carry. */
    EXPECT_EQ(trailer(&x, &lim, ":status", "200"), H2XLATE_MALFORMED);
    EXPECT_EQ(trailer(&x, &lim, "X-Caps", "1"), H2XLATE_MALFORMED);
    EXPECT_EQ(trailer(&x, &lim, "x-a", "1\r\nx-b: 2"), H2XLATE_MALFORMED);
    EXPECT_EQ(trailer(&x, &lim, "x-a", "a\x0f"), H2XLATE_MALFORMED);
    EXPECT_EQ(trailer(&x, &lim, "x-a", "a\x7f"), H2XLATE_MALFORMED);
    /* Past the 8 KiB a chunked trailer section holds: dropped, not cut in the middle. */
    memset(big, 'v', 7990);
    size_t before = buf_len(&x.fields);
    struct h2xlate_limits roomy = { 1 << 20, 100 };
    EXPECT_EQ(trailer(&x, &roomy, "x-big", big), H2XLATE_OK);
    EXPECT_EQ(buf_len(&x.fields), before);
    h2xlate_fini(&x);
    /* The block counts against the limits like a head. */
    struct h2xlate_limits two = { 65536, 2 };
    h2xlate_init(&x);
    EXPECT_EQ(trailer(&x, &two, "a", "1"), H2XLATE_OK);
    EXPECT_EQ(trailer(&x, &two, "b", "1"), H2XLATE_OK);
    EXPECT_EQ(trailer(&x, &two, "c", "1"), H2XLATE_LIMIT);
    h2xlate_fini(&x);
}

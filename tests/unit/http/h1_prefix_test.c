/* tests/unit/http/h1_prefix_test.c: the incremental check of a request head that is still
 * arriving never refuses a prefix of a valid head, refuses an invalid one at its first bad
 * byte, and agrees with h1_parse_request() on both. */
#include "http/h1.h"

#include <errno.h>
#include <string.h>

#include "check.h"

static struct h1_request req;

/* Valid heads: each is accepted whole by h1_parse_request(). */
static const char *const valid[] = {
    "GET / HTTP/1.1\r\nHost: a\r\n\r\n",
    "\r\n\r\nGET /x?y=1&z HTTP/1.0\r\n\r\n",
    "OPTIONS * HTTP/1.1\r\nHost: a\r\nMax-Forwards: 3\r\n\r\n",
    "POST http://a.example:8080/p/q?r HTTP/1.1\r\nHost: a\r\nContent-Length: 2\r\n\r\n",
    "PROPFIND /dav/ HTTP/1.1\r\nHost: a\r\nX-Empty:\r\nX-Tab:\tv\t\r\n\r\n",
    "get /%7e!$&'()*+,;=:@-._~\"<>[]^`{|}\\ HTTP/1.1\r\nHost: [::1]:80\r\n\r\n",
    ("GET /a HTTP/1.1\r\nHost: a\r\nUser-Agent: Mozilla/5.0 (X11; Linux x86_64) caf\xc3\xa9\r\n"
     "Cookie: a=0123456789abcdef0123456789abcdef; b=0123456789abcdef\r\n\r\n"),
    "M / HTTP/1.1\r\nHost: a\r\n!#$%&'*+-.^_`|~09azAZ: v\r\n\r\n",
};

/* Feeds s[0..n) to a fresh check in one call. */
static ssize_t
check_whole(const char *s, size_t n, const struct h1_limits *lim, int *status)
{
    struct h1_request_prefix pfx;
    const char *why = NULL;

    h1_request_prefix_init(&pfx);
    ssize_t rc = h1_request_prefix_check(&pfx, s, n, lim, status, &why);
    if (rc == -EBADMSG)
        EXPECT_TRUE(why != NULL);
    return rc;
}

TEST(h1_prefix_never_refuses_a_prefix_of_a_valid_head)
{
    for (size_t v = 0; v < sizeof(valid) / sizeof(valid[0]); v++) {
        const char *s = valid[v];
        size_t n = strlen(s);
        const char *why = NULL;
        int st = 0;

        EXPECT_EQ(h1_parse_request(s, n, NULL, &req, &why), (ssize_t)n);
        /* every prefix, checked from scratch */
        for (size_t k = 0; k < n; k++)
            EXPECT_EQ(check_whole(s, k, NULL, &st), -EAGAIN);
        EXPECT_EQ(check_whole(s, n, NULL, &st), (ssize_t)n);
        /* and fed one byte at a time, resuming: the same answers */
        struct h1_request_prefix pfx;
        h1_request_prefix_init(&pfx);
        for (size_t k = 0; k < n; k++)
            EXPECT_EQ(h1_request_prefix_check(&pfx, s, k, NULL, &st, &why), -EAGAIN);
        EXPECT_EQ(h1_request_prefix_check(&pfx, s, n, NULL, &st, &why), (ssize_t)n);
        /* bytes after the head (a body, a pipelined request) are not looked at */
        EXPECT_EQ(h1_request_prefix_check(&pfx, "\x16\x03\x01", 3, NULL, &st, &why),
                  (ssize_t)n);
    }
}

/* Invalid input, the offset of its first bad byte and the status. */
static const struct {
    const char *s;
    size_t len;                 /* 0: strlen */
    size_t bad;
    int status;
} invalid[] = {
    { "\x16\x03\x01\x02\x00\x01\x00\x01\xfc\x03\x03", 11, 0, 400 },  /* TLS ClientHello */
    { "SSH-2.0-OpenSSH_9.2\r\n", 0, 19, 400 },                      /* CR in the "method" */
    { "\x00GET / HTTP/1.1\r\n", 17, 0, 400 },
    { " GET / HTTP/1.1\r\n", 0, 0, 400 },
    { "\nGET / HTTP/1.1\r\n", 0, 0, 400 },
    { "\r\n\nGET / HTTP/1.1\r\n", 0, 2, 400 },
    { "\r\rGET / HTTP/1.1\r\n", 0, 1, 400 },
    { "GET\x01 / HTTP/1.1\r\n", 0, 3, 400 },
    { "G(T / HTTP/1.1\r\n", 0, 1, 400 },
    { "GET\t/ HTTP/1.1\r\n", 0, 3, 400 },
    { "GET  / HTTP/1.1\r\n", 0, 4, 400 },
    { "GET /  HTTP/1.1\r\n", 0, 6, 400 },
    { "GET /a#f HTTP/1.1\r\n", 0, 6, 400 },
    { "GET /\xc3\xa9 HTTP/1.1\r\n", 0, 5, 400 },
    { "GET /\x7f HTTP/1.1\r\n", 0, 5, 400 },
    { "GET /\r\n", 0, 5, 400 },                                     /* HTTP/0.9 */
    { "GET /\n", 0, 5, 400 },
    { "GET / http/1.1\r\n", 0, 6, 400 },
    { "GET / HTTP/x.1\r\n", 0, 11, 400 },
    { "GET / HTTP/1,1\r\n", 0, 12, 400 },
    { "GET / HTTP/1.10\r\n", 0, 14, 400 },
    { "GET / HTTP/1.1 \r\n", 0, 14, 400 },
    { "GET / HTTP/1.1\n", 0, 14, 400 },
    { "GET / HTTP/1.1\rX", 0, 15, 400 },
    /* a whole request-line gets the full parser's verdict at its LF */
    { "GET / HTTP/2.0\r\n", 0, 15, 505 },
    { "GET / HTTP/1.2\r\n", 0, 15, 505 },
    { "CONNECT a.example:443 HTTP/1.1\r\n", 0, 31, 405 },
    { "GET * HTTP/1.1\r\n", 0, 15, 400 },
    { "GET a.example:443 HTTP/1.1\r\n", 0, 27, 400 },
    { "GET ftp://a/ HTTP/1.1\r\n", 0, 22, 400 },
    { "GET http://a@b/ HTTP/1.1\r\n", 0, 25, 400 },
    /* field lines */
    { "GET / HTTP/1.1\r\n Host: a\r\n", 0, 16, 400 },
    { "GET / HTTP/1.1\r\nHost : a\r\n", 0, 20, 400 },
    { "GET / HTTP/1.1\r\nHost x\r\n", 0, 20, 400 },
    { "GET / HTTP/1.1\r\nHost\r\n", 0, 20, 400 },
    { "GET / HTTP/1.1\r\n: a\r\n", 0, 16, 400 },
    { "GET / HTTP/1.1\r\nH@st: a\r\n", 0, 17, 400 },
    { "GET / HTTP/1.1\r\nHost: a\x00\r\n", 25, 23, 400 },
    { "GET / HTTP/1.1\r\nHost: a\x7f\r\n", 0, 23, 400 },
    { "GET / HTTP/1.1\r\nHost: a\nX: b\r\n", 0, 23, 400 },
    { "GET / HTTP/1.1\r\nHost: a\rX: b\r\n", 0, 24, 400 },
    { "GET / HTTP/1.1\r\nHost: a\r\n\rX", 0, 26, 400 },
    { "GET / HTTP/1.1\r\nHost: a\r\n\n", 0, 25, 400 },
};

TEST(h1_prefix_refuses_at_the_first_bad_byte)
{
    for (size_t v = 0; v < sizeof(invalid) / sizeof(invalid[0]); v++) {
        const char *s = invalid[v].s;
        size_t n = invalid[v].len ? invalid[v].len : strlen(s);
        size_t bad = invalid[v].bad;
        const char *why = NULL;
        int st = 0;

        for (size_t k = 0; k <= bad; k++)
            EXPECT_EQ(check_whole(s, k, NULL, &st), -EAGAIN);
        for (size_t k = bad + 1; k <= n; k++) {
            st = 0;
            EXPECT_EQ(check_whole(s, k, NULL, &st), -EBADMSG);
            EXPECT_EQ(st, invalid[v].status);
        }
        /* Resumed byte by byte: refused when the bad byte arrives, and it stays refused. */
        struct h1_request_prefix pfx;
        h1_request_prefix_init(&pfx);
        for (size_t k = 0; k <= bad; k++)
            EXPECT_EQ(h1_request_prefix_check(&pfx, s, k, NULL, &st, &why), -EAGAIN);
        EXPECT_EQ(h1_request_prefix_check(&pfx, s, bad + 1, NULL, &st, &why), -EBADMSG);
        EXPECT_EQ(h1_request_prefix_check(&pfx, s, n, NULL, &st, &why), -EBADMSG);
        EXPECT_EQ(st, invalid[v].status);
        /* The full parser refuses it too, complete or not. */
        char head[128];
        EXPECT_TRUE(n + 4 <= sizeof(head));
        memcpy(head, s, n);
        memcpy(head + n, "\r\n\r\n", 4);
        EXPECT_EQ(h1_parse_request(head, n + 4, NULL, &req, &why), -EBADMSG);
        EXPECT_EQ(h1_parse_request(s, n, NULL, &req, &why), -EBADMSG);
    }
}

TEST(h1_prefix_limits)
{
    struct h1_limits lim = { .line_max_bytes = 32, .head_max_bytes = 64, .headers_max = 2 };
    const char *line32 = "GET /123456789012345678 HTTP/1.1\r\nHost: a\r\n\r\n";
    const char *line33 = "GET /1234567890123456789 HTTP/1.1\r\n";
    int st = 0;

    EXPECT_EQ(check_whole(line32, strlen(line32), &lim, &st), (ssize_t)strlen(line32));
    EXPECT_EQ(check_whole(line33, 32, &lim, &st), -EAGAIN);
    EXPECT_EQ(check_whole(line33, 33, &lim, &st), -EBADMSG);
    EXPECT_EQ(st, 414);

    const char *fields = "GET / HTTP/1.1\r\nHost: a\r\nX: 1\r\nY: 2\r\n\r\n";
    EXPECT_EQ(check_whole(fields, 31, &lim, &st), -EAGAIN);        /* "...X: 1\r\n" */
    EXPECT_EQ(check_whole(fields, 32, &lim, &st), -EBADMSG);       /* a third field */
    EXPECT_EQ(st, 431);
    const char *two = "GET / HTTP/1.1\r\nHost: a\r\nX: 1\r\n\r\n";
    EXPECT_EQ(check_whole(two, strlen(two), &lim, &st), (ssize_t)strlen(two));

    char big[80];
    memcpy(big, "GET / HTTP/1.1\r\nX: ", 19);
    memset(big + 19, 'v', sizeof(big) - 19);
    EXPECT_EQ(check_whole(big, 64, &lim, &st), -EAGAIN);
    EXPECT_EQ(check_whole(big, 65, &lim, &st), -EBADMSG);
    EXPECT_EQ(st, 431);
    EXPECT_EQ(h1_parse_request(big, 65, &lim, &req, &(const char *){ NULL }), -EBADMSG);
    EXPECT_EQ(req.error_status, 431);
}

TEST(h1_request_max_forwards_for_options_and_trace)
{
    const char *why = NULL;
    const char *s = "OPTIONS / HTTP/1.1\r\nHost: a\r\nmax-forwards: 007\r\n\r\n";

    EXPECT_EQ(h1_parse_request(s, strlen(s), NULL, &req, &why), (ssize_t)strlen(s));
    EXPECT_EQ(req.max_forwards, 7);
    EXPECT_TRUE(req.headers[1].flags & H1_HDR_HOP);
    s = "TRACE / HTTP/1.1\r\nHost: a\r\nMax-Forwards: 99999999999999999999999\r\n\r\n";
    EXPECT_EQ(h1_parse_request(s, strlen(s), NULL, &req, &why), (ssize_t)strlen(s));
    EXPECT_EQ(req.max_forwards, (int64_t)UINT32_MAX);
    s = "OPTIONS / HTTP/1.1\r\nHost: a\r\n\r\n";
    EXPECT_EQ(h1_parse_request(s, strlen(s), NULL, &req, &why), (ssize_t)strlen(s));
    EXPECT_EQ(req.max_forwards, -1);
    /* other methods: not ours to read or touch */
    s = "GET / HTTP/1.1\r\nHost: a\r\nMax-Forwards: x\r\n\r\n";
    EXPECT_EQ(h1_parse_request(s, strlen(s), NULL, &req, &why), (ssize_t)strlen(s));
    EXPECT_EQ(req.max_forwards, -1);
    EXPECT_FALSE(req.headers[1].flags & H1_HDR_HOP);
    /* a value that cannot be decremented */
    const char *bad[] = {
        "OPTIONS / HTTP/1.1\r\nHost: a\r\nMax-Forwards: \r\n\r\n",
        "OPTIONS / HTTP/1.1\r\nHost: a\r\nMax-Forwards: -1\r\n\r\n",
        "OPTIONS / HTTP/1.1\r\nHost: a\r\nMax-Forwards: 1, 1\r\n\r\n",
        "TRACE / HTTP/1.1\r\nHost: a\r\nMax-Forwards: 1\r\nMax-Forwards: 1\r\n\r\n",
    };
    for (size_t i = 0; i < sizeof(bad) / sizeof(bad[0]); i++) {
        EXPECT_EQ(h1_parse_request(bad[i], strlen(bad[i]), NULL, &req, &why), -EBADMSG);
        EXPECT_EQ(req.error_status, 400);
    }
}

TEST(h1_request_options_absolute_form_without_path_is_asterisk)
{
    const char *why = NULL;
    const char *s = "OPTIONS http://a.example:8001 HTTP/1.1\r\nHost: a\r\n\r\n";

    EXPECT_EQ(h1_parse_request(s, strlen(s), NULL, &req, &why), (ssize_t)strlen(s));
    EXPECT_TRUE(req.absolute_form && req.path.len == 1 && req.path.p[0] == '*');
    EXPECT_TRUE(req.host.len == 14 && memcmp(req.host.p, "a.example:8001", 14) == 0);
    s = "OPTIONS http://a.example/ HTTP/1.1\r\nHost: a\r\n\r\n";
    EXPECT_EQ(h1_parse_request(s, strlen(s), NULL, &req, &why), (ssize_t)strlen(s));
    EXPECT_TRUE(req.path.len == 1 && req.path.p[0] == '/');
    s = "GET http://a.example HTTP/1.1\r\nHost: a\r\n\r\n";
    EXPECT_EQ(h1_parse_request(s, strlen(s), NULL, &req, &why), (ssize_t)strlen(s));
    EXPECT_TRUE(req.path.len == 1 && req.path.p[0] == '/');
}

/* tests/unit/http/h1_request_test.c: the request-head parser accepts valid heads and
 * refuses every smuggling vector of the reference's section 6 with the right status. */
#include "http/h1.h"

#include <errno.h>
#include <stdio.h>
#include <string.h>

#include "check.h"

static struct h1_request req;

/* Parses s with default limits; returns the parser's return value. */
static ssize_t
parse(const char *s)
{
    const char *why = NULL;

    return h1_parse_request(s, strlen(s), NULL, &req, &why);
}

static ssize_t
parse_n(const char *s, size_t n, const struct h1_limits *lim)
{
    const char *why = NULL;
    ssize_t rc = h1_parse_request(s, n, lim, &req, &why);

    if (rc == -EBADMSG)
        EXPECT_TRUE(why != NULL);
    return rc;
}

/* 0 when accepted, -1 when incomplete, else the error status. */
static int
status_of(const char *s)
{
    ssize_t rc = parse_n(s, strlen(s), NULL);

    if (rc == -EAGAIN)
        return -1;
    if (rc == -EBADMSG)
        return req.error_status;
    EXPECT_EQ(rc, (ssize_t)strlen(s));
    EXPECT_EQ(req.head_len, (size_t)rc);
    return 0;
}

static bool
eq(struct slice s, const char *lit)
{
    return s.len == strlen(lit) && memcmp(s.p, lit, s.len) == 0;
}

static const struct h1_header *
find(const char *name)
{
    for (unsigned i = 0; i < req.nheaders; i++)
        if (slice_eq_lit_nocase(req.headers[i].name, name))
            return &req.headers[i];
    return NULL;
}

TEST(h1_request_parses_simple_get)
{
    const char *s = "GET /a/b?x=1&y HTTP/1.1\r\nHost: example.com:8080\r\n"
                    "User-Agent: t\r\nAccept:   */*  \r\n\r\n";

    EXPECT_EQ(parse(s), (ssize_t)strlen(s));
    EXPECT_TRUE(eq(req.method, "GET"));
    EXPECT_TRUE(eq(req.target, "/a/b?x=1&y"));
    EXPECT_TRUE(eq(req.path, "/a/b"));
    EXPECT_TRUE(eq(req.query, "x=1&y"));
    EXPECT_TRUE(eq(req.host, "example.com:8080"));
    EXPECT_EQ(req.version_minor, 1);
    EXPECT_EQ(req.framing, H1_FRAMING_NONE);
    EXPECT_TRUE(req.keep_alive);
    EXPECT_FALSE(req.absolute_form);
    EXPECT_EQ(req.nheaders, 3);
    EXPECT_TRUE(eq(find("accept")->value, "*/*"));
    EXPECT_EQ(find("host")->flags, H1_HDR_HOST | H1_HDR_HOP);
    EXPECT_EQ(find("user-agent")->flags, H1_HDR_USER_AGENT);
    EXPECT_EQ(find("accept")->flags, 0);
}

TEST(h1_request_keep_alive_follows_version_and_connection)
{
    EXPECT_EQ(status_of("GET / HTTP/1.1\r\nHost: a\r\n\r\n"), 0);
    EXPECT_TRUE(req.keep_alive);
    EXPECT_EQ(status_of("GET / HTTP/1.1\r\nHost: a\r\nConnection: Close\r\n\r\n"), 0);
    EXPECT_FALSE(req.keep_alive);
    EXPECT_EQ(status_of("GET / HTTP/1.1\r\nHost: a\r\nConnection: foo, close\r\n\r\n"), 0);
    EXPECT_FALSE(req.keep_alive);
    EXPECT_EQ(status_of("GET / HTTP/1.0\r\n\r\n"), 0);
    EXPECT_FALSE(req.keep_alive);
    EXPECT_EQ(req.version_minor, 0);
    EXPECT_EQ(req.host.len, 0);
    EXPECT_EQ(status_of("GET / HTTP/1.0\r\nConnection: Keep-Alive\r\n\r\n"), 0);
    EXPECT_TRUE(req.keep_alive);
    EXPECT_EQ(status_of("GET / HTTP/1.0\r\nHost: h\r\nConnection: keep-alive, close\r\n\r\n"),
              0);
    EXPECT_FALSE(req.keep_alive);
    EXPECT_TRUE(eq(req.host, "h"));
}

TEST(h1_request_pipelined_second_request_starts_at_head_len)
{
    const char *s = "POST /one HTTP/1.1\r\nHost: a\r\nContent-Length: 3\r\n\r\nabc"
                    "GET /two HTTP/1.1\r\nHost: b\r\n\r\n";
    size_t n = strlen(s);
    ssize_t rc = parse_n(s, n, NULL);

    EXPECT_TRUE(rc > 0);
    EXPECT_EQ(req.framing, H1_FRAMING_LENGTH);
    EXPECT_EQ(req.content_length, 3);
    size_t next = (size_t)rc + 3;
    EXPECT_EQ(parse_n(s + next, n - next, NULL), (ssize_t)(n - next));
    EXPECT_TRUE(eq(req.path, "/two"));
    EXPECT_TRUE(eq(req.host, "b"));
}

TEST(h1_request_absolute_form_routes_on_target_authority)
{
    EXPECT_EQ(status_of("GET http://Target.example:81/p?q HTTP/1.1\r\nHost: other\r\n\r\n"), 0);
    EXPECT_TRUE(req.absolute_form);
    EXPECT_TRUE(eq(req.host, "Target.example:81"));
    EXPECT_TRUE(eq(req.path, "/p"));
    EXPECT_TRUE(eq(req.query, "q"));
    EXPECT_EQ(status_of("GET https://t.example HTTP/1.1\r\nHost: t.example\r\n\r\n"), 0);
    EXPECT_TRUE(eq(req.path, "/"));
    EXPECT_EQ(req.query.len, 0);
    EXPECT_EQ(status_of("GET HTTP://t?x=1 HTTP/1.1\r\nHost:\r\n\r\n"), 0);
    EXPECT_TRUE(eq(req.path, "/"));
    EXPECT_TRUE(eq(req.query, "x=1"));
    /* Host is still required, and the authority must be valid. */
    EXPECT_EQ(status_of("GET http://t/ HTTP/1.1\r\n\r\n"), 400);
    EXPECT_EQ(status_of("GET http://u@t/ HTTP/1.1\r\nHost: t\r\n\r\n"), 400);
    EXPECT_EQ(status_of("GET http:///x HTTP/1.1\r\nHost: t\r\n\r\n"), 400);
    EXPECT_EQ(status_of("GET ftp://t/ HTTP/1.1\r\nHost: t\r\n\r\n"), 400);
    EXPECT_EQ(status_of("GET http://t/ HTTP/1.1\r\nHost: a b\r\n\r\n"), 400);
}

TEST(h1_request_skips_leading_empty_lines)
{
    const char *s = "\r\n\r\nGET / HTTP/1.1\r\nHost: a\r\n\r\n";

    EXPECT_EQ(parse(s), (ssize_t)strlen(s));
    EXPECT_TRUE(eq(req.method, "GET"));
    EXPECT_EQ(status_of("\r\n"), -1);
    EXPECT_EQ(status_of("\nGET / HTTP/1.1\r\nHost: a\r\n\r\n"), 400);
}

TEST(h1_request_every_prefix_is_incomplete)
{
    const char *s = "POST /x HTTP/1.1\r\nHost: a\r\nTransfer-Encoding: chunked\r\n"
                    "X-Long: some value here\r\n\r\n";
    size_t n = strlen(s);

    for (size_t k = 0; k < n; k++)
        EXPECT_EQ(parse_n(s, k, NULL), -EAGAIN);
    EXPECT_EQ(parse_n(s, n, NULL), (ssize_t)n);
    EXPECT_EQ(req.framing, H1_FRAMING_CHUNKED);
}

TEST(h1_request_any_method_token_is_forwarded)
{
    EXPECT_EQ(status_of("PROPFIND / HTTP/1.1\r\nHost: a\r\n\r\n"), 0);
    EXPECT_EQ(status_of("get / HTTP/1.1\r\nHost: a\r\n\r\n"), 0);
    EXPECT_TRUE(eq(req.method, "get"));
    EXPECT_EQ(status_of("OPTIONS * HTTP/1.1\r\nHost: a\r\n\r\n"), 0);
    EXPECT_TRUE(eq(req.path, "*"));
    EXPECT_EQ(status_of("GET * HTTP/1.1\r\nHost: a\r\n\r\n"), 400);
    EXPECT_EQ(status_of("OPTIONS *x HTTP/1.1\r\nHost: a\r\n\r\n"), 400);
    EXPECT_EQ(status_of("CONNECT a.example:443 HTTP/1.1\r\nHost: a.example:443\r\n\r\n"), 405);
    EXPECT_EQ(status_of("GET a.example:443 HTTP/1.1\r\nHost: a\r\n\r\n"), 400);
    EXPECT_EQ(status_of("G(T / HTTP/1.1\r\nHost: a\r\n\r\n"), 400);
}

/* Row 23: request-line lenience. */
TEST(h1_request_rejects_lenient_request_lines)
{
    EXPECT_EQ(status_of("GET  / HTTP/1.1\r\nHost: a\r\n\r\n"), 400);
    EXPECT_EQ(status_of("GET /  HTTP/1.1\r\nHost: a\r\n\r\n"), 400);
    EXPECT_EQ(status_of(" GET / HTTP/1.1\r\nHost: a\r\n\r\n"), 400);
    EXPECT_EQ(status_of("GET\t/ HTTP/1.1\r\nHost: a\r\n\r\n"), 400);
    EXPECT_EQ(status_of("GET /\tHTTP/1.1\r\nHost: a\r\n\r\n"), 400);
    EXPECT_EQ(status_of("GET\x0b/ HTTP/1.1\r\nHost: a\r\n\r\n"), 400);
    EXPECT_EQ(status_of("GET\x0c/ HTTP/1.1\r\nHost: a\r\n\r\n"), 400);
    EXPECT_EQ(status_of("GET /a b HTTP/1.1\r\nHost: a\r\n\r\n"), 400);
    EXPECT_EQ(status_of("GET /a#frag HTTP/1.1\r\nHost: a\r\n\r\n"), 400);
    EXPECT_EQ(status_of("GET /\xc3\xa9 HTTP/1.1\r\nHost: a\r\n\r\n"), 400);
    EXPECT_EQ(status_of("GET / HTTP/1.10\r\nHost: a\r\n\r\n"), 400);
    EXPECT_EQ(status_of("GET / http/1.1\r\nHost: a\r\n\r\n"), 400);
    EXPECT_EQ(status_of("GET / HTTP/1.1 \r\nHost: a\r\n\r\n"), 400);
    EXPECT_EQ(status_of("GET / HTTP/1\r\nHost: a\r\n\r\n"), 400);
    EXPECT_EQ(status_of("GET /\r\n\r\n"), 400);                 /* HTTP/0.9 */
    EXPECT_EQ(status_of("GET /\r\n"), 400);
    EXPECT_EQ(status_of("GET / HTTP/1.1\nHost: a\r\n\r\n"), 400); /* bare LF */
    EXPECT_EQ(status_of("GET / HTTP/1.1\rHost: a\r\n\r\n"), 400);  /* bare CR */
    EXPECT_EQ(status_of("GET /\r HTTP/1.1\r\nHost: a\r\n\r\n"), 400);
}

TEST(h1_request_rejects_other_major_versions_with_505)
{
    EXPECT_EQ(status_of("GET / HTTP/2.0\r\nHost: a\r\n\r\n"), 505);
    EXPECT_EQ(status_of("GET / HTTP/3.0\r\nHost: a\r\n\r\n"), 505);
    EXPECT_EQ(status_of("GET / HTTP/0.9\r\nHost: a\r\n\r\n"), 505);
    EXPECT_EQ(status_of("GET / HTTP/1.2\r\nHost: a\r\n\r\n"), 505);
}

/* Rows 1, 2: CL.TE and TE.CL. */
TEST(h1_request_rejects_te_with_cl)
{
    EXPECT_EQ(status_of("POST / HTTP/1.1\r\nHost: a\r\nContent-Length: 6\r\n"
                        "Transfer-Encoding: chunked\r\n\r\n"), 400);
    EXPECT_EQ(status_of("POST / HTTP/1.1\r\nHost: a\r\nTransfer-Encoding: chunked\r\n"
                        "Content-Length: 4\r\n\r\n"), 400);
    /* Row 5: OWS is trimmed, so these are still TE + CL. */
    EXPECT_EQ(status_of("POST / HTTP/1.1\r\nHost: a\r\nTransfer-Encoding:\tchunked\r\n"
                        "Content-Length: 4\r\n\r\n"), 400);
    EXPECT_EQ(status_of("POST / HTTP/1.1\r\nHost: a\r\nTransfer-Encoding:  chunked  \r\n"
                        "Content-Length: 4\r\n\r\n"), 400);
    EXPECT_EQ(status_of("POST / HTTP/1.1\r\nHost: a\r\nTransfer-Encoding:\tchunked\r\n\r\n"), 0);
    EXPECT_EQ(req.framing, H1_FRAMING_CHUNKED);
}

/* Rows 3, 6, 9, 10: TE.TE obfuscations. */
TEST(h1_request_transfer_encoding_variants)
{
#define TE(v) "POST / HTTP/1.1\r\nHost: a\r\nTransfer-Encoding: " v "\r\n\r\n"
    EXPECT_EQ(status_of(TE("xchunked")), 501);
    EXPECT_EQ(status_of(TE("identity")), 501);
    EXPECT_EQ(status_of(TE("gzip")), 400);
    EXPECT_EQ(status_of(TE("\"chunked\"")), 400);
    EXPECT_EQ(status_of(TE("chunked, identity")), 400);
    EXPECT_EQ(status_of(TE("chunked, chunked")), 400);
    EXPECT_EQ(status_of(TE("chunked\r\nTransfer-Encoding: chunked")), 400);
    EXPECT_EQ(status_of(TE("chunked\r\nTransfer-Encoding: cow")), 400);
    EXPECT_EQ(status_of(TE("\x0b" "chunked")), 400);
    EXPECT_EQ(status_of(TE("chunked\x0c")), 400);
    EXPECT_EQ(status_of(TE("\xa0" "chunked")), 400);
    EXPECT_EQ(status_of(TE("")), 400);
    EXPECT_EQ(status_of(TE("chunked;")), 400);
    EXPECT_EQ(status_of(TE("chunked;x")), 400);
    EXPECT_EQ(status_of(TE("ChUnKeD")), 0);
    EXPECT_EQ(req.framing, H1_FRAMING_CHUNKED);
    EXPECT_EQ(status_of(TE("gzip, chunked")), 0);
    EXPECT_EQ(req.framing, H1_FRAMING_CHUNKED);
    EXPECT_EQ(status_of(TE("gzip\r\nTransfer-Encoding: chunked")), 0);
    EXPECT_EQ(req.framing, H1_FRAMING_CHUNKED);
    EXPECT_EQ(status_of(TE("br, chunked")), 0);
    EXPECT_EQ(req.framing, H1_FRAMING_CHUNKED);
    EXPECT_EQ(status_of(TE("chunked;x=y")), 400);   /* chunked has no parameters (9112 §7.1) */
    EXPECT_EQ(status_of(TE("chunked ; x = \"y z\"")), 400);
    EXPECT_EQ(status_of(TE("gzip;level=1, chunked")), 0);   /* other codings may have them */
    EXPECT_EQ(status_of(TE("chunked, ")), 0);
#undef TE
}

/* Row 4: whitespace before the colon; row 7: obs-fold; row 22: whitespace-prefixed line. */
TEST(h1_request_rejects_whitespace_tricks_in_field_lines)
{
    EXPECT_EQ(status_of("POST / HTTP/1.1\r\nHost: a\r\nTransfer-Encoding : chunked\r\n\r\n"),
              400);
    EXPECT_EQ(status_of("POST / HTTP/1.1\r\nHost: a\r\nTransfer-Encoding\t: chunked\r\n\r\n"),
              400);
    EXPECT_EQ(status_of("POST / HTTP/1.1\r\nHost: a\r\nX: y\r\n Transfer-Encoding: chunked\r\n"
                        "\r\n"), 400);
    EXPECT_EQ(status_of("POST / HTTP/1.1\r\nHost: a\r\nTransfer-Encoding:\r\n chunked\r\n\r\n"),
              400);
    EXPECT_EQ(status_of("POST / HTTP/1.1\r\nHost: a\r\nX: y\r\n\tz\r\n\r\n"), 400);
    EXPECT_EQ(status_of("GET / HTTP/1.1\r\n Host: a\r\n\r\n"), 400);
    EXPECT_EQ(status_of("GET / HTTP/1.1\r\n\tHost: a\r\n\r\n"), 400);
}

/* Rows 8, 21: bare LF, bare CR, NUL and CTLs. */
TEST(h1_request_rejects_bad_bytes_in_fields)
{
    EXPECT_EQ(status_of("POST / HTTP/1.1\r\nHost: a\r\nX: a\nTransfer-Encoding: chunked\r\n"
                        "\r\n"), 400);
    EXPECT_EQ(status_of("POST / HTTP/1.1\r\nHost: a\r\nX: a\rTransfer-Encoding: chunked\r\n"
                        "\r\n"), 400);
    EXPECT_EQ(status_of("GET / HTTP/1.1\nHost: a\n\n"), 400);
    EXPECT_EQ(status_of("GET / HTTP/1.1\r\nHost: a\n\n"), 400);
    EXPECT_EQ(status_of("GET / HTTP/1.1\r\nHost: a\r\n\n"), 400);
    EXPECT_EQ(status_of("GET / HTTP/1.1\r\nHost: a\r\n\r\r\n"), 400);
    EXPECT_EQ(parse_n("GET / HTTP/1.1\r\nHost: a\r\nX: a\0b\r\n\r\n", 36, NULL), -EBADMSG);
    EXPECT_EQ(req.error_status, 400);
    EXPECT_EQ(parse_n("GET / HTTP/1.1\r\nHost: a\r\nX\0: ab\r\n\r\n", 36, NULL), -EBADMSG);
    EXPECT_EQ(parse_n("GET /\0 HTTP/1.1\r\nHost: a\r\n\r\n", 29, NULL), -EBADMSG);
    EXPECT_EQ(req.error_status, 400);
    EXPECT_EQ(status_of("GET / HTTP/1.1\r\nHost: a\r\nX: a\x7f\r\n\r\n"), 400);
    EXPECT_EQ(status_of("GET / HTTP/1.1\r\nHost: a\r\nX: a\x01\r\n\r\n"), 400);
    EXPECT_EQ(status_of("GET / HTTP/1.1\r\nHost: a\r\nX-Y@: a\r\n\r\n"), 400);
    EXPECT_EQ(status_of("GET / HTTP/1.1\r\nHost: a\r\n: a\r\n\r\n"), 400);
    EXPECT_EQ(status_of("GET / HTTP/1.1\r\nHost: a\r\nno colon here\r\n\r\n"), 400);
    EXPECT_EQ(status_of("GET / HTTP/1.1\r\nHost: a\r\nNoColon\r\n\r\n"), 400);
    /* obs-text is opaque but allowed in values */
    EXPECT_EQ(status_of("GET / HTTP/1.1\r\nHost: a\r\nX: caf\xc3\xa9\r\n\r\n"), 0);
    /* a bad byte is refused as soon as it arrives, not when the head completes */
    EXPECT_EQ(status_of("GET / HTTP/1.1\r\nHost: a\r\nX: a\n"), 400);
}

/* Row 11: underscore names are unrelated fields. */
TEST(h1_request_underscore_names_are_ordinary_fields)
{
    EXPECT_EQ(status_of("POST / HTTP/1.1\r\nHost: a\r\nTransfer_Encoding: chunked\r\n"
                        "Content_Length: 5\r\n\r\n"), 0);
    EXPECT_EQ(req.framing, H1_FRAMING_NONE);
    EXPECT_EQ(find("transfer_encoding")->flags, 0);
    EXPECT_EQ(find("content_length")->flags, 0);
}

/* Rows 12, 13: Content-Length. */
TEST(h1_request_content_length_strictness)
{
#define CL(v) "POST / HTTP/1.1\r\nHost: a\r\nContent-Length: " v "\r\n\r\n"
    EXPECT_EQ(status_of(CL("5, 6")), 400);
    EXPECT_EQ(status_of(CL("5\r\nContent-Length: 6")), 400);
    EXPECT_EQ(status_of(CL("+5")), 400);
    EXPECT_EQ(status_of(CL("-5")), 400);
    EXPECT_EQ(status_of(CL("0x5")), 400);
    EXPECT_EQ(status_of(CL("5a")), 400);
    EXPECT_EQ(status_of(CL(" 5 5")), 400);
    EXPECT_EQ(status_of(CL("")), 400);
    EXPECT_EQ(status_of(CL("5,")), 400);
    EXPECT_EQ(status_of(CL(",5")), 400);
    EXPECT_EQ(status_of(CL("5,,5")), 400);
    EXPECT_EQ(status_of(CL("99999999999999999999")), 400);
    EXPECT_EQ(status_of(CL("18446744073709551621")), 400);   /* 2^64 + 5 */
    EXPECT_EQ(status_of(CL("9223372036854775808")), 400);    /* 2^63 */
    EXPECT_EQ(status_of(CL("9223372036854775807")), 0);
    EXPECT_EQ(req.content_length, UINT64_C(9223372036854775807));
    EXPECT_EQ(status_of(CL("42, 42")), 0);
    EXPECT_EQ(req.content_length, 42);
    EXPECT_EQ(status_of(CL("42\r\nContent-Length: 42")), 0);
    EXPECT_EQ(req.content_length, 42);
    EXPECT_EQ(status_of(CL("005")), 0);
    EXPECT_EQ(req.content_length, 5);
    EXPECT_EQ(req.framing, H1_FRAMING_LENGTH);
    EXPECT_EQ(status_of(CL("0")), 0);
    EXPECT_EQ(req.framing, H1_FRAMING_LENGTH);
    EXPECT_EQ(req.content_length, 0);
#undef CL
}

/* Row 14: every method honours the body framing; row 15: TE in HTTP/1.0. */
TEST(h1_request_framing_does_not_depend_on_method)
{
    EXPECT_EQ(status_of("GET / HTTP/1.1\r\nHost: a\r\nContent-Length: 10\r\n\r\n"), 0);
    EXPECT_EQ(req.framing, H1_FRAMING_LENGTH);
    EXPECT_EQ(req.content_length, 10);
    EXPECT_EQ(status_of("HEAD / HTTP/1.1\r\nHost: a\r\nTransfer-Encoding: chunked\r\n\r\n"), 0);
    EXPECT_EQ(req.framing, H1_FRAMING_CHUNKED);
    EXPECT_EQ(status_of("POST / HTTP/1.0\r\nTransfer-Encoding: chunked\r\n\r\n"), 400);
    EXPECT_EQ(status_of("POST / HTTP/1.0\r\nTransfer-Encoding: chunked\r\nContent-Length: 3\r\n"
                        "\r\n"), 400);
    EXPECT_EQ(status_of("POST / HTTP/1.0\r\nContent-Length: 3\r\n\r\n"), 0);
    EXPECT_EQ(req.framing, H1_FRAMING_LENGTH);
}

/* Row 24: Host confusion. */
TEST(h1_request_host_rules)
{
#define H(v) "GET / HTTP/1.1\r\nHost: " v "\r\n\r\n"
    EXPECT_EQ(status_of("GET / HTTP/1.1\r\n\r\n"), 400);
    EXPECT_EQ(status_of(H("a\r\nHost: a")), 400);
    EXPECT_EQ(status_of(H("a\r\nHost: b")), 400);
    EXPECT_EQ(status_of(H("")), 400);
    EXPECT_EQ(status_of(H("a@b")), 400);
    EXPECT_EQ(status_of(H("a/b")), 400);
    EXPECT_EQ(status_of(H("a b")), 400);
    EXPECT_EQ(status_of(H("a:")), 400);
    EXPECT_EQ(status_of(H("a:x")), 400);
    EXPECT_EQ(status_of(H("a:65536")), 400);
    EXPECT_EQ(status_of(H("a:1:2")), 400);
    EXPECT_EQ(status_of(H(":80")), 400);
    EXPECT_EQ(status_of(H("a?b")), 400);
    EXPECT_EQ(status_of(H("a%zz")), 400);
    EXPECT_EQ(status_of(H("[::1")), 400);
    EXPECT_EQ(status_of(H("a\tb")), 400);
    EXPECT_EQ(status_of(H("a:65535")), 0);
    EXPECT_EQ(status_of(H("[::1]:8080")), 0);
    EXPECT_TRUE(eq(req.host, "[::1]:8080"));
    EXPECT_EQ(status_of(H("xn--caf-dma.example")), 0);
    EXPECT_EQ(status_of("GET / HTTP/1.0\r\nHost: a\r\nHost: a\r\n\r\n"), 400);
    EXPECT_EQ(status_of("GET / HTTP/1.0\r\nHost: a@b\r\n\r\n"), 400);
    EXPECT_EQ(status_of("GET / HTTP/1.1\r\nhOsT: a\r\n\r\n"), 0);
#undef H
}

/* Row 25 and the hop-by-hop flags. */
TEST(h1_request_flags_and_connection_options)
{
    const char *s = "POST / HTTP/1.1\r\nHost: a\r\nContent-Length: 3\r\n"
                    "Connection: Content-Length, Host, Transfer-Encoding, X-Secret, keep-alive\r\n"
                    "X-Secret: 1\r\nKeep-Alive: timeout=5\r\nX-Forwarded-For: 1.2.3.4\r\n"
                    "X-Forwarded-Proto: https\r\nX-Forwarded-Port: 443\r\n"
                    "X-Forwarded-Host: h\r\nVia: 1.1 p\r\nX-Request-Id: r\r\nReferer: /x\r\n"
                    "TE: trailers\r\nTrailer: X\r\nProxy-Connection: x\r\n"
                    "HTTP2-Settings: AAA\r\nUpgrade: h2c\r\nProxy-Authenticate: x\r\n\r\n";

    EXPECT_EQ(status_of(s), 0);
    EXPECT_EQ(req.framing, H1_FRAMING_LENGTH);      /* the option changed nothing */
    EXPECT_EQ(req.content_length, 3);
    EXPECT_TRUE(eq(req.host, "a"));
    EXPECT_EQ(find("content-length")->flags, H1_HDR_CONTENT_LENGTH | H1_HDR_HOP);
    EXPECT_EQ(find("connection")->flags, H1_HDR_CONNECTION | H1_HDR_HOP);
    EXPECT_EQ(find("x-secret")->flags, H1_HDR_HOP);
    EXPECT_EQ(find("keep-alive")->flags, H1_HDR_KEEP_ALIVE | H1_HDR_HOP);
    EXPECT_EQ(find("x-forwarded-for")->flags, H1_HDR_X_FORWARDED_FOR);
    EXPECT_EQ(find("x-forwarded-proto")->flags, H1_HDR_X_FORWARDED_PROTO);
    EXPECT_EQ(find("x-forwarded-port")->flags, H1_HDR_X_FORWARDED_PROTO);
    EXPECT_EQ(find("x-forwarded-host")->flags, H1_HDR_X_FORWARDED_PROTO);
    EXPECT_EQ(find("via")->flags, H1_HDR_VIA);
    EXPECT_EQ(find("x-request-id")->flags, H1_HDR_X_REQUEST_ID);
    EXPECT_EQ(find("referer")->flags, H1_HDR_REFERER);
    EXPECT_EQ(find("te")->flags, H1_HDR_HOP);
    EXPECT_EQ(find("trailer")->flags, H1_HDR_HOP);
    EXPECT_EQ(find("proxy-connection")->flags, H1_HDR_HOP);
    EXPECT_EQ(find("http2-settings")->flags, H1_HDR_HOP);
    EXPECT_EQ(find("upgrade")->flags, H1_HDR_UPGRADE | H1_HDR_HOP);
    EXPECT_EQ(find("proxy-authenticate")->flags, 0);
    EXPECT_FALSE(req.upgrade_websocket);
}

TEST(h1_request_expect_rules)
{
    EXPECT_EQ(status_of("PUT / HTTP/1.1\r\nHost: a\r\nExpect: 100-Continue\r\n"
                        "Content-Length: 5\r\n\r\n"), 0);
    EXPECT_TRUE(req.expect_continue);
    EXPECT_EQ(find("expect")->flags, H1_HDR_EXPECT | H1_HDR_HOP);
    EXPECT_EQ(status_of("PUT / HTTP/1.0\r\nExpect: 100-continue\r\nContent-Length: 5\r\n\r\n"),
              0);
    EXPECT_FALSE(req.expect_continue);
    EXPECT_EQ(status_of("PUT / HTTP/1.1\r\nHost: a\r\nExpect: 200-ok\r\n\r\n"), 417);
    EXPECT_EQ(status_of("PUT / HTTP/1.1\r\nHost: a\r\nExpect:\r\n\r\n"), 417);
    EXPECT_EQ(status_of("GET / HTTP/1.1\r\nHost: a\r\n\r\n"), 0);
    EXPECT_FALSE(req.expect_continue);
}

TEST(h1_request_websocket_upgrade)
{
    EXPECT_EQ(status_of("GET /ws HTTP/1.1\r\nHost: a\r\nConnection: keep-alive, Upgrade\r\n"
                        "Upgrade: WebSocket\r\n\r\n"), 0);
    EXPECT_TRUE(req.upgrade_websocket);
    EXPECT_EQ(status_of("POST /ws HTTP/1.1\r\nHost: a\r\nConnection: upgrade\r\n"
                        "Upgrade: websocket\r\n\r\n"), 0);
    EXPECT_FALSE(req.upgrade_websocket);
    EXPECT_EQ(status_of("GET /ws HTTP/1.1\r\nHost: a\r\nUpgrade: websocket\r\n\r\n"), 0);
    EXPECT_FALSE(req.upgrade_websocket);
    EXPECT_EQ(status_of("GET /ws HTTP/1.0\r\nConnection: upgrade\r\nUpgrade: websocket\r\n\r\n"),
              0);
    EXPECT_FALSE(req.upgrade_websocket);
    EXPECT_EQ(status_of("GET /ws HTTP/1.1\r\nHost: a\r\nConnection: upgrade\r\n"
                        "Upgrade: h2c\r\n\r\n"), 0);
    EXPECT_FALSE(req.upgrade_websocket);
}

/* Limits, and row 30: oversize is refused, never truncated. */
TEST(h1_request_line_limit_gives_414)
{
    struct h1_limits lim = { .line_max_bytes = 32, .head_max_bytes = 1024, .headers_max = 4 };
    const char *ok = "GET /123456789012345678 HTTP/1.1\r\nHost: a\r\n\r\n";   /* line = 32 */
    const char *big = "GET /1234567890123456789 HTTP/1.1\r\nHost: a\r\n\r\n";

    EXPECT_EQ(parse_n(ok, strlen(ok), &lim), (ssize_t)strlen(ok));
    EXPECT_EQ(parse_n(big, strlen(big), &lim), -EBADMSG);
    EXPECT_EQ(req.error_status, 414);
    /* incomplete but already longer */
    EXPECT_EQ(parse_n(big, 33, &lim), -EBADMSG);
    EXPECT_EQ(req.error_status, 414);
    EXPECT_EQ(parse_n(ok, 33, &lim), -EAGAIN);      /* 32 bytes and the CR: may still fit */
    EXPECT_EQ(parse_n(ok, 32, &lim), -EAGAIN);

    char line[9000];
    memset(line, 'a', sizeof(line));
    memcpy(line, "GET /", 5);
    EXPECT_EQ(parse_n(line, sizeof(line), NULL), -EBADMSG);
    EXPECT_EQ(req.error_status, 414);
}

TEST(h1_request_head_limits_give_431)
{
    struct h1_limits lim = { .line_max_bytes = 64, .head_max_bytes = 64, .headers_max = 2 };
    const char *ok = "GET / HTTP/1.1\r\nHost: a\r\nX: 1\r\n\r\n";
    const char *three = "GET / HTTP/1.1\r\nHost: a\r\nX: 1\r\nY: 2\r\n\r\n";
    const char *big = "GET / HTTP/1.1\r\nHost: a\r\nX: 012345678901234567890123456789012\r\n\r\n";

    EXPECT_EQ(parse_n(ok, strlen(ok), &lim), (ssize_t)strlen(ok));
    EXPECT_EQ(parse_n(three, strlen(three), &lim), -EBADMSG);
    EXPECT_EQ(req.error_status, 431);
    EXPECT_EQ(parse_n(three, strlen(three) - 6, &lim), -EBADMSG);   /* incomplete, over */
    EXPECT_EQ(req.error_status, 431);
    EXPECT_EQ(strlen(big), 65);
    EXPECT_EQ(parse_n(big, strlen(big), &lim), -EBADMSG);
    EXPECT_EQ(req.error_status, 431);
    EXPECT_EQ(parse_n(big, 64, &lim), -EAGAIN);
    EXPECT_EQ(parse_n(big, 65, &lim), -EBADMSG);
    EXPECT_EQ(req.error_status, 431);
    lim.head_max_bytes = 65;
    EXPECT_EQ(parse_n(big, strlen(big), &lim), 65);

    /* default limits: 16 KiB head, 100 fields */
    static char head[20000];
    size_t n = (size_t)snprintf(head, sizeof(head), "GET / HTTP/1.1\r\nHost: a\r\n");
    for (int i = 0; i < 101; i++)
        n += (size_t)snprintf(head + n, sizeof(head) - n, "X-%d: v\r\n", i);
    EXPECT_EQ(parse_n(head, n, NULL), -EBADMSG);
    EXPECT_EQ(req.error_status, 431);
    memset(head + n, 'x', sizeof(head) - n);
    EXPECT_EQ(parse_n(head, sizeof(head), NULL), -EBADMSG);
    EXPECT_EQ(req.error_status, 431);
}

TEST(h1_request_head_end_finds_blank_line)
{
    const char *s = "GET / HTTP/1.1\r\nHost: a\r\n\r\nBODY";

    EXPECT_EQ(h1_head_end(s, strlen(s), 0), 27);
    EXPECT_EQ(h1_head_end(s, 26, 0), -1);
    EXPECT_EQ(h1_head_end(s, 27, 23), 27);
    EXPECT_EQ(h1_head_end("\r\n\r\nGET / HTTP/1.1\r\n\r\n", 22, 0), 22);
    EXPECT_EQ(h1_head_end("GET / HTTP/1.1\n\nx", 17, 0), 16);
    EXPECT_EQ(h1_head_end("GET / HTTP/1.1\r\nA: b\n\r\n", 23, 0), 23);
}

TEST(h1_request_reasons_and_idempotent_methods)
{
    EXPECT_STREQ(h1_reason(200), "OK");
    EXPECT_STREQ(h1_reason(502), "Bad Gateway");
    EXPECT_STREQ(h1_reason(431), "Request Header Fields Too Large");
    EXPECT_STREQ(h1_reason(799), "Unknown");
    EXPECT_TRUE(h1_method_is_idempotent(SLICE_LIT("GET")));
    EXPECT_TRUE(h1_method_is_idempotent(SLICE_LIT("DELETE")));
    EXPECT_TRUE(h1_method_is_idempotent(SLICE_LIT("OPTIONS")));
    EXPECT_FALSE(h1_method_is_idempotent(SLICE_LIT("POST")));
    EXPECT_FALSE(h1_method_is_idempotent(SLICE_LIT("PATCH")));
    EXPECT_FALSE(h1_method_is_idempotent(SLICE_LIT("get")));

    struct h1_limits lim;
    h1_limits_default(&lim);
    EXPECT_EQ(lim.line_max_bytes, 8192);
    EXPECT_EQ(lim.head_max_bytes, 16384);
    EXPECT_EQ(lim.headers_max, 100);
}

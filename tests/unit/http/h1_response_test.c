/* tests/unit/http/h1_response_test.c: the response-head parser frames bodies per 9112
 * §6.3 and refuses every upstream framing anomaly (the proxy answers 502). */
#include "http/h1.h"

#include <errno.h>
#include <string.h>

#include "check.h"

static struct h1_response resp;

static ssize_t
parse_for(const char *s, bool head_request)
{
    const char *why = NULL;
    ssize_t rc = h1_parse_response(s, strlen(s), NULL, head_request, &resp, &why);

    if (rc == -EBADMSG)
        EXPECT_TRUE(why != NULL);
    else if (rc > 0)
        EXPECT_EQ(resp.head_len, (size_t)rc);
    return rc;
}

static ssize_t
parse(const char *s)
{
    return parse_for(s, false);
}

static bool
eq(struct slice s, const char *lit)
{
    return s.len == strlen(lit) && memcmp(s.p, lit, s.len) == 0;
}

TEST(h1_response_parses_content_length)
{
    const char *s = "HTTP/1.1 200 OK\r\nContent-Length: 5\r\nX-A:  b \r\n\r\nhello";

    EXPECT_EQ(parse(s), (ssize_t)strlen(s) - 5);
    EXPECT_EQ(resp.status, 200);
    EXPECT_EQ(resp.version_minor, 1);
    EXPECT_TRUE(eq(resp.reason, "OK"));
    EXPECT_EQ(resp.framing, H1_FRAMING_LENGTH);
    EXPECT_EQ(resp.content_length, 5);
    EXPECT_TRUE(resp.keep_alive);
    EXPECT_EQ(resp.nheaders, 2);
    EXPECT_TRUE(eq(resp.headers[1].value, "b"));
    EXPECT_EQ(resp.headers[0].flags, H1_HDR_CONTENT_LENGTH | H1_HDR_HOP);
}

TEST(h1_response_status_line_forms)
{
    EXPECT_EQ(parse("HTTP/1.1 200\r\nContent-Length: 0\r\n\r\n"), 35);
    EXPECT_EQ(resp.reason.len, 0);
    EXPECT_TRUE(parse("HTTP/1.1 200 \r\nContent-Length: 0\r\n\r\n") > 0);
    EXPECT_TRUE(parse("HTTP/1.1 404 Not  Found \xff\r\nContent-Length: 0\r\n\r\n") > 0);
    EXPECT_TRUE(eq(resp.reason, "Not  Found \xff"));
    EXPECT_EQ(parse("HTTP/1.1 20 OK\r\n\r\n"), -EBADMSG);
    EXPECT_EQ(parse("HTTP/1.1 2000 OK\r\n\r\n"), -EBADMSG);
    EXPECT_EQ(parse("HTTP/1.1 099 OK\r\n\r\n"), -EBADMSG);
    EXPECT_EQ(parse("HTTP/1.1 600 OK\r\n\r\n"), -EBADMSG);
    EXPECT_EQ(parse("HTTP/1.1  200 OK\r\n\r\n"), -EBADMSG);
    EXPECT_EQ(parse("HTTP/2.0 200 OK\r\n\r\n"), -EBADMSG);
    EXPECT_EQ(parse("HTTP/1.2 200 OK\r\n\r\n"), -EBADMSG);
    EXPECT_EQ(parse("http/1.1 200 OK\r\n\r\n"), -EBADMSG);
    EXPECT_EQ(parse("HTTP/1.1 200 OK\n\r\n"), -EBADMSG);
    EXPECT_EQ(parse("HTTP/1.1 200 O\x01K\r\n\r\n"), -EBADMSG);
    EXPECT_EQ(parse("\r\nHTTP/1.1 200 OK\r\n\r\n"), -EBADMSG);
    /* an HTTP/0.9-style reply is refused at once, not waited for */
    EXPECT_EQ(parse("<html>"), -EBADMSG);
    EXPECT_EQ(parse("HTT"), -EAGAIN);
    EXPECT_EQ(parse("HTTP/1.1 200 OK\r\nContent-Length: 1\r\n"), -EAGAIN);
}

TEST(h1_response_bodiless_statuses_and_head)
{
    EXPECT_TRUE(parse_for("HTTP/1.1 200 OK\r\nContent-Length: 100\r\n\r\n", true) > 0);
    EXPECT_EQ(resp.framing, H1_FRAMING_NONE);
    EXPECT_EQ(resp.content_length, 100);
    EXPECT_TRUE(resp.keep_alive);
    EXPECT_TRUE(parse_for("HTTP/1.1 200 OK\r\nTransfer-Encoding: chunked\r\n\r\n", true) > 0);
    EXPECT_EQ(resp.framing, H1_FRAMING_NONE);
    EXPECT_TRUE(parse_for("HTTP/1.1 200 OK\r\n\r\n", true) > 0);
    EXPECT_EQ(resp.framing, H1_FRAMING_NONE);
    EXPECT_TRUE(resp.keep_alive);
    EXPECT_TRUE(parse("HTTP/1.1 204 No Content\r\n\r\n") > 0);
    EXPECT_EQ(resp.framing, H1_FRAMING_NONE);
    EXPECT_TRUE(resp.keep_alive);
    EXPECT_TRUE(parse("HTTP/1.1 304 Not Modified\r\nContent-Length: 42\r\n\r\n") > 0);
    EXPECT_EQ(resp.framing, H1_FRAMING_NONE);
}

TEST(h1_response_interim_heads_parse_separately)
{
    const char *s = "HTTP/1.1 100 Continue\r\n\r\n"
                    "HTTP/1.1 103 Early Hints\r\nLink: </a.css>; rel=preload\r\n\r\n"
                    "HTTP/1.1 201 Created\r\nContent-Length: 0\r\n\r\n";
    ssize_t a = parse(s);

    EXPECT_EQ(a, 25);
    EXPECT_EQ(resp.status, 100);
    EXPECT_EQ(resp.framing, H1_FRAMING_NONE);
    ssize_t b = parse(s + a);
    EXPECT_TRUE(b > 0);
    EXPECT_EQ(resp.status, 103);
    EXPECT_EQ(resp.framing, H1_FRAMING_NONE);
    EXPECT_TRUE(parse(s + a + b) > 0);
    EXPECT_EQ(resp.status, 201);
    EXPECT_EQ(resp.framing, H1_FRAMING_LENGTH);
}

TEST(h1_response_websocket_switch)
{
    EXPECT_TRUE(parse("HTTP/1.1 101 Switching Protocols\r\nUpgrade: websocket\r\n"
                      "Connection: Upgrade\r\nSec-WebSocket-Accept: x\r\n\r\n") > 0);
    EXPECT_TRUE(resp.upgrade_websocket);
    EXPECT_EQ(resp.framing, H1_FRAMING_NONE);
    EXPECT_TRUE(parse("HTTP/1.1 101 Switching Protocols\r\nUpgrade: h2c\r\n\r\n") > 0);
    EXPECT_FALSE(resp.upgrade_websocket);
    EXPECT_TRUE(parse("HTTP/1.1 200 OK\r\nUpgrade: websocket\r\nContent-Length: 0\r\n\r\n") > 0);
    EXPECT_FALSE(resp.upgrade_websocket);
}

TEST(h1_response_close_delimited_and_keep_alive)
{
    EXPECT_TRUE(parse("HTTP/1.1 200 OK\r\n\r\n") > 0);
    EXPECT_EQ(resp.framing, H1_FRAMING_CLOSE);
    EXPECT_FALSE(resp.keep_alive);
    EXPECT_TRUE(parse("HTTP/1.1 200 OK\r\nTransfer-Encoding: gzip\r\n\r\n") > 0);
    EXPECT_EQ(resp.framing, H1_FRAMING_CLOSE);
    EXPECT_TRUE(parse("HTTP/1.1 200 OK\r\nTransfer-Encoding: chunked, gzip\r\n\r\n") > 0);
    EXPECT_EQ(resp.framing, H1_FRAMING_CLOSE);
    EXPECT_FALSE(resp.keep_alive);
    EXPECT_TRUE(parse("HTTP/1.1 200 OK\r\nTransfer-Encoding: gzip, Chunked\r\n\r\n") > 0);
    EXPECT_EQ(resp.framing, H1_FRAMING_CHUNKED);
    EXPECT_TRUE(resp.keep_alive);
    EXPECT_TRUE(parse("HTTP/1.1 200 OK\r\nConnection: close\r\nContent-Length: 1\r\n\r\n") > 0);
    EXPECT_FALSE(resp.keep_alive);
    EXPECT_TRUE(parse("HTTP/1.0 200 OK\r\nContent-Length: 1\r\n\r\n") > 0);
    EXPECT_FALSE(resp.keep_alive);
    EXPECT_EQ(resp.version_minor, 0);
    EXPECT_TRUE(parse("HTTP/1.0 200 OK\r\nConnection: keep-alive\r\nContent-Length: 1\r\n\r\n")
                > 0);
    EXPECT_TRUE(resp.keep_alive);
    EXPECT_TRUE(parse("HTTP/1.0 200 OK\r\nConnection: keep-alive\r\n\r\n") > 0);
    EXPECT_FALSE(resp.keep_alive);      /* close-delimited */
}

/* Row 29: upstream framing anomalies. */
TEST(h1_response_rejects_bad_framing)
{
    EXPECT_EQ(parse("HTTP/1.1 200 OK\r\nTransfer-Encoding: chunked\r\nContent-Length: 5\r\n\r\n"),
              -EBADMSG);
    EXPECT_EQ(parse("HTTP/1.1 204 OK\r\nTransfer-Encoding: chunked\r\nContent-Length: 5\r\n\r\n"),
              -EBADMSG);
    EXPECT_EQ(parse("HTTP/1.1 200 OK\r\nContent-Length: 5\r\nContent-Length: 6\r\n\r\n"),
              -EBADMSG);
    EXPECT_EQ(parse("HTTP/1.1 200 OK\r\nContent-Length: 5, 6\r\n\r\n"), -EBADMSG);
    EXPECT_EQ(parse("HTTP/1.1 200 OK\r\nContent-Length: -1\r\n\r\n"), -EBADMSG);
    EXPECT_EQ(parse("HTTP/1.1 200 OK\r\nContent-Length: 99999999999999999999\r\n\r\n"),
              -EBADMSG);
    EXPECT_TRUE(parse("HTTP/1.1 200 OK\r\nContent-Length: 5\r\nContent-Length: 5\r\n\r\n") > 0);
    EXPECT_EQ(resp.content_length, 5);
    EXPECT_EQ(parse("HTTP/1.1 200 OK\r\nTransfer-Encoding: chunked, chunked\r\n\r\n"), -EBADMSG);
    EXPECT_EQ(parse("HTTP/1.0 200 OK\r\nTransfer-Encoding: chunked\r\n\r\n"), -EBADMSG);
    EXPECT_EQ(parse("HTTP/1.1 200 OK\r\nX: a\r\n b\r\nContent-Length: 0\r\n\r\n"), -EBADMSG);
    EXPECT_EQ(parse("HTTP/1.1 200 OK\r\nContent-Length : 0\r\n\r\n"), -EBADMSG);
    EXPECT_EQ(parse("HTTP/1.1 200 OK\r\nX: a\nContent-Length: 0\r\n\r\n"), -EBADMSG);
    EXPECT_EQ(parse("HTTP/1.1 200 OK\r\nX: a\rb\r\n\r\n"), -EBADMSG);
}

TEST(h1_response_limits)
{
    struct h1_limits lim = { .line_max_bytes = 20, .head_max_bytes = 64, .headers_max = 1 };
    const char *why;
    const char *two = "HTTP/1.1 200 OK\r\nA: 1\r\nB: 2\r\n\r\n";
    const char *longline = "HTTP/1.1 200 A long reason\r\n\r\n";

    EXPECT_EQ(h1_parse_response(two, strlen(two), &lim, false, &resp, &why), -EBADMSG);
    EXPECT_EQ(h1_parse_response(longline, strlen(longline), &lim, false, &resp, &why),
              -EBADMSG);
    EXPECT_EQ(h1_parse_response(longline, 24, &lim, false, &resp, &why), -EBADMSG);
    EXPECT_EQ(h1_parse_response(two, 22, &lim, false, &resp, &why), -EAGAIN);
}

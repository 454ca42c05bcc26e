/* tests/unit/edge/forward_test.c: the heads tierd sends to targets and to clients. */
#include <arpa/inet.h>
#include <stdlib.h>
#include <string.h>

#include "check.h"
#include "edge/internal.h"

static char *
request_out(const char *head, struct buf *out)
{
    static struct h1_request r;
    struct h1_limits lim;
    const char *why;
    struct conn c = { .peer_family = 4, .local_port = 8080 };
    struct txn t = { .c = &c };

    inet_pton(AF_INET, "127.0.0.9", c.peer_addr);
    memcpy(t.request_id, "0123456789abcdef0123456789abcdef", 33);
    h1_limits_default(&lim);
    assert_true(h1_parse_request(head, strlen(head), &lim, &r, &why) > 0);
    assert_int_equal(forward_request_head(out, &r, &c, &t), 0);
    buf_append(out, "", 1);
    return buf_head(out);
}

TEST(forward_adds_proxy_fields_and_drops_hop_by_hop)
{
    struct buf out = { 0 };
    const char *s = request_out("GET /a?b=1 HTTP/1.1\r\nHost: example.test\r\n"
                                "Connection: keep-alive, X-Secret\r\nX-Secret: 1\r\n"
                                "Keep-Alive: timeout=5\r\nTE: trailers\r\n"
                                "Proxy-Connection: keep-alive\r\nAccept: */*\r\n"
                                "X-Forwarded-For: 10.0.0.1\r\nX-Forwarded-Proto: https\r\n\r\n",
                                &out);

    EXPECT_TRUE(strncmp(s, "GET /a?b=1 HTTP/1.1\r\nHost: example.test\r\n", 41) == 0);
    EXPECT_TRUE(strstr(s, "\r\nAccept: */*\r\n") != NULL);
    EXPECT_TRUE(strstr(s, "\r\nX-Forwarded-For: 10.0.0.1, 127.0.0.9\r\n") != NULL);
    EXPECT_TRUE(strstr(s, "\r\nX-Forwarded-Proto: http\r\n") != NULL);
    EXPECT_TRUE(strstr(s, "https") == NULL);
    EXPECT_TRUE(strstr(s, "\r\nX-Forwarded-Port: 8080\r\n") != NULL);
    EXPECT_TRUE(strstr(s, "\r\nVia: 1.1 tierd\r\n") != NULL);
    EXPECT_TRUE(strstr(s, "\r\nX-Request-Id: 0123456789abcdef0123456789abcdef\r\n") != NULL);
    EXPECT_TRUE(strstr(s, "X-Secret") == NULL);
    EXPECT_TRUE(strstr(s, "Keep-Alive") == NULL);
    EXPECT_TRUE(strstr(s, "TE:") == NULL);
    EXPECT_TRUE(strstr(s, "Proxy-Connection") == NULL);
    EXPECT_TRUE(strstr(s, "Connection") == NULL);
    EXPECT_TRUE(strcmp(s + strlen(s) - 4, "\r\n\r\n") == 0);
    buf_fini(&out);
}

TEST(forward_regenerates_request_framing)
{
    struct buf out = { 0 };
    const char *s = request_out("POST /u HTTP/1.1\r\nHost: h\r\nContent-Length: 005\r\n\r\n", &out);

    EXPECT_TRUE(strstr(s, "\r\nContent-Length: 5\r\n") != NULL);
    buf_consume(&out, buf_len(&out));
    s = request_out("POST /u HTTP/1.1\r\nHost: h\r\nTransfer-Encoding: gzip, chunked\r\n\r\n",
                    &out);
    EXPECT_TRUE(strstr(s, "\r\nTransfer-Encoding: chunked\r\n") != NULL);
    EXPECT_TRUE(strstr(s, "Content-Length") == NULL);
    buf_consume(&out, buf_len(&out));
    /* Absolute-form becomes origin-form; Host comes from the target. */
    s = request_out("GET http://other.test/p?q HTTP/1.1\r\nHost: ignored\r\n\r\n", &out);
    EXPECT_TRUE(strncmp(s, "GET /p?q HTTP/1.1\r\nHost: other.test\r\n", 37) == 0);
    EXPECT_TRUE(strstr(s, "ignored") == NULL);
    buf_consume(&out, buf_len(&out));
    /* A client's request id is kept, not replaced. */
    s = request_out("GET / HTTP/1.1\r\nHost: h\r\nX-Request-Id: abc\r\n\r\n", &out);
    EXPECT_TRUE(strstr(s, "\r\nX-Request-Id: abc\r\n") != NULL);
    EXPECT_TRUE(strstr(s, "0123456789abcdef") == NULL);
    buf_fini(&out);
}

TEST(forward_response_reframes_for_the_client)
{
    static struct h1_response r;
    struct h1_limits lim;
    const char *why;
    struct buf out = { 0 };
    struct txn t = { .version_minor = 1, .resp_chunked_out = true };
    const char *head = "HTTP/1.1 200 OK\r\nServer: app\r\nConnection: close\r\n\r\n";

    h1_limits_default(&lim);
    assert_true(h1_parse_response(head, strlen(head), &lim, false, &r, &why) > 0);
    EXPECT_EQ(r.framing, H1_FRAMING_CLOSE);
    forward_response_head(&out, &r, &t, false);
    buf_append(&out, "", 1);
    EXPECT_STREQ(buf_head(&out), "HTTP/1.1 200 OK\r\nServer: app\r\n"
                                 "Transfer-Encoding: chunked\r\n\r\n");
    buf_consume(&out, buf_len(&out));

    head = "HTTP/1.1 200 OK\r\nContent-Length: 12\r\n\r\n";
    assert_true(h1_parse_response(head, strlen(head), &lim, true, &r, &why) > 0);
    t.resp_chunked_out = false;
    forward_response_head(&out, &r, &t, true);
    buf_append(&out, "", 1);
    /* A HEAD response keeps the announced length; closing is said. */
    EXPECT_STREQ(buf_head(&out), "HTTP/1.1 200 OK\r\nContent-Length: 12\r\n"
                                 "Connection: close\r\n\r\n");
    buf_fini(&out);
}

TEST(forward_local_response_is_complete)
{
    struct buf out = { 0 };

    forward_local_response(&out, 502, false, NULL);
    buf_append(&out, "", 1);
    const char *s = buf_head(&out);
    EXPECT_TRUE(strncmp(s, "HTTP/1.1 502 Bad Gateway\r\n", 26) == 0);
    const char *body = strstr(s, "\r\n\r\n") + 4;
    const char *cl = strstr(s, "Content-Length: ");
    EXPECT_EQ(atoi(cl + 16), (int)strlen(body));
    EXPECT_TRUE(strstr(s, "Connection: close") == NULL);
    buf_fini(&out);
}

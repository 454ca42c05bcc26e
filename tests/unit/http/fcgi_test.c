/* tests/unit/http/fcgi_test.c: FastCGI records as an application sends them are checked
 * strictly, pairs and streams are encoded per the specification, and the CGI head
 * parser gives Status, Location and framing with h1's field strictness. */
#include "http/fcgi.h"

#include <errno.h>
#include <string.h>

#include "check.h"

static struct h1_response resp;

static ssize_t
cgi(const char *s, bool head)
{
    const char *why = NULL;
    ssize_t n = fcgi_cgi_head_parse(s, strlen(s), NULL, head, &resp, &why);

    if (n == -EBADMSG)
        EXPECT_TRUE(why != NULL);
    return n;
}

TEST(fcgi_header_accepts_only_what_an_application_may_send)
{
    struct fcgi_header h;
    const char *why = NULL;
    const uint8_t out[] = { 1, FCGI_STDOUT, 0, 1, 0x01, 0x02, 6, 0 };
    const uint8_t end[] = { 1, FCGI_END_REQUEST, 0, 1, 0, 8, 0, 0 };

    EXPECT_EQ(fcgi_header_parse(out, 7, 1, &h, &why), -EAGAIN);
    EXPECT_EQ(fcgi_header_parse(out, 8, 1, &h, &why), 8);
    EXPECT_EQ(h.type, FCGI_STDOUT);
    EXPECT_EQ(h.content_len, 0x0102);
    EXPECT_EQ(h.padding_len, 6);
    EXPECT_EQ(fcgi_header_parse(end, 8, 1, &h, &why), 8);
    EXPECT_EQ(fcgi_header_parse(out, 8, 2, &h, &why), -EBADMSG);       /* another id */
    const uint8_t v2[] = { 2, FCGI_STDOUT, 0, 1, 0, 0, 0, 0 };
    EXPECT_EQ(fcgi_header_parse(v2, 8, 1, &h, &why), -EBADMSG);
    const uint8_t params[] = { 1, FCGI_PARAMS, 0, 1, 0, 0, 0, 0 };
    EXPECT_EQ(fcgi_header_parse(params, 8, 1, &h, &why), -EBADMSG);
    const uint8_t longend[] = { 1, FCGI_END_REQUEST, 0, 1, 0, 9, 0, 0 };
    EXPECT_EQ(fcgi_header_parse(longend, 8, 1, &h, &why), -EBADMSG);
}

TEST(fcgi_pairs_and_streams_are_encoded_per_spec)
{
    struct buf b = { 0 };
    char big[200];

    memset(big, 'v', sizeof(big));
    EXPECT_EQ(fcgi_pair_put(&b, "A", 1, big, sizeof(big)), 0);
    EXPECT_EQ(buf_len(&b), 1 + 4 + 1 + sizeof(big));
    const uint8_t *p = (const uint8_t *)buf_head(&b);
    EXPECT_EQ(p[0], 1);
    EXPECT_EQ(p[1], 0x80);
    EXPECT_EQ(p[4], 200);
    EXPECT_EQ(p[5], 'A');
    buf_consume(&b, buf_len(&b));

    /* 70000 bytes: two records, the first of 65535; n == 0 is the stream's end. */
    static char data[70000];
    EXPECT_EQ(fcgi_stream_put(&b, FCGI_STDIN, 1, data, sizeof(data)), 0);
    EXPECT_EQ(buf_len(&b), sizeof(data) + 2 * FCGI_HEADER_LEN);
    p = (const uint8_t *)buf_head(&b);
    EXPECT_EQ(p[1], FCGI_STDIN);
    EXPECT_EQ(p[4] << 8 | p[5], 65535);
    buf_consume(&b, buf_len(&b));
    EXPECT_EQ(fcgi_stream_put(&b, FCGI_STDIN, 1, NULL, 0), 0);
    EXPECT_EQ(buf_len(&b), FCGI_HEADER_LEN);
    buf_fini(&b);
}

TEST(fcgi_end_request_refusals_are_errors)
{
    const uint8_t ok[8] = { 0, 0, 0, 3, FCGI_REQUEST_COMPLETE, 0, 0, 0 };
    const uint8_t overloaded[8] = { 0, 0, 0, 0, 2, 0, 0, 0 };
    uint32_t app = 0;
    const char *why = NULL;

    EXPECT_EQ(fcgi_end_parse(ok, &app, &why), 0);
    EXPECT_EQ(app, 3);
    EXPECT_EQ(fcgi_end_parse(overloaded, &app, &why), -EBADMSG);
    EXPECT_TRUE(why != NULL);
}

TEST(fcgi_cgi_head_status_location_and_framing)
{
    EXPECT_EQ(cgi("Content-Type: text/html\r\n\r\nbody", false), 27);
    EXPECT_EQ(resp.status, 200);
    EXPECT_EQ(resp.framing, H1_FRAMING_CLOSE);

    EXPECT_TRUE(cgi("Status: 404 Not Found\r\nX-A: b\r\n\r\n", false) > 0);
    EXPECT_EQ(resp.status, 404);
    EXPECT_TRUE(slice_eq(resp.reason, SLICE_LIT("Not Found")));
    EXPECT_TRUE(resp.headers[0].flags & H1_HDR_HOP);    /* Status is never forwarded */

    EXPECT_TRUE(cgi("Location: /x\r\n\r\n", false) > 0);
    EXPECT_EQ(resp.status, 302);
    EXPECT_TRUE(cgi("Status: 301\r\nLocation: /x\r\n\r\n", false) > 0);
    EXPECT_EQ(resp.status, 301);

    EXPECT_TRUE(cgi("Content-Length: 5\r\n\r\n", false) > 0);
    EXPECT_EQ(resp.framing, H1_FRAMING_LENGTH);
    EXPECT_EQ(resp.content_length, 5);
    EXPECT_TRUE(cgi("Content-Length: 5\r\n\r\n", true) > 0);
    EXPECT_EQ(resp.framing, H1_FRAMING_NONE);
    EXPECT_TRUE(cgi("Status: 304\r\n\r\n", false) > 0);
    EXPECT_EQ(resp.framing, H1_FRAMING_NONE);
    EXPECT_EQ(cgi("Content-Type: text/html\r\n", false), -EAGAIN);
}

TEST(fcgi_cgi_head_is_as_strict_as_http)
{
    EXPECT_EQ(cgi("Status: 20\r\n\r\n", false), -EBADMSG);
    EXPECT_EQ(cgi("Status: 200OK\r\n\r\n", false), -EBADMSG);
    EXPECT_EQ(cgi("Status: 700\r\n\r\n", false), -EBADMSG);
    EXPECT_EQ(cgi("Status: 101\r\n\r\n", false), -EBADMSG);
    EXPECT_EQ(cgi("Status: 200\r\nStatus: 500\r\n\r\n", false), -EBADMSG);
    EXPECT_EQ(cgi("Transfer-Encoding: chunked\r\n\r\n", false), -EBADMSG);
    EXPECT_EQ(cgi("Content-Length: 1\r\nContent-Length: 2\r\n\r\n", false), -EBADMSG);
    EXPECT_EQ(cgi("X-A: b\n\n", false), -EBADMSG);                  /* bare LF */
    EXPECT_EQ(cgi("X-A : b\r\n\r\n", false), -EBADMSG);
    EXPECT_EQ(cgi("X-A: b\r\n c\r\n\r\n", false), -EBADMSG);        /* obs-fold */
    EXPECT_EQ(cgi("X-A: b\x01\r\n\r\n", false), -EBADMSG);
}

/* tests/unit/http/h1_chunked_test.c: the chunked decoder yields the same payload however
 * the input is split, and refuses overflow, bad extensions, bad CRLFs and bad trailers. */
#include "http/h1.h"

#include <errno.h>
#include <stdio.h>
#include <string.h>

#include "check.h"

struct run {
    ssize_t rc;             /* 0, or the first negative return */
    bool done;
    size_t consumed;
    size_t out_len;
    char out[4096];
    size_t tr_len;          /* the trailer section, as collected from c.trailer */
    char tr[9000];
};

/* Feeds in[0..len) in pieces of at most `step` bytes (0: all at once). */
static void
decode(const char *in, size_t len, size_t step, uint64_t max_total, struct run *r)
{
    struct h1_chunked c;
    size_t off = 0;

    memset(r, 0, sizeof(*r));
    h1_chunked_init(&c, max_total);
    while (off < len && !r->done) {
        size_t piece = step && len - off > step ? step : len - off;
        size_t used = 0;
        while (used < piece && !r->done) {
            struct slice d;
            const char *why = NULL;
            ssize_t n = h1_chunked_parse(&c, in + off + used, piece - used, &d, &r->done, &why);
            if (n < 0) {
                EXPECT_TRUE(why != NULL);
                r->rc = n;
                r->consumed = off + used;
                return;
            }
            EXPECT_TRUE((size_t)n <= piece - used);
            EXPECT_TRUE(slice_inside(d, in + off + used, (size_t)n));
            memcpy(r->out + r->out_len, d.p, d.len);
            r->out_len += d.len;
            EXPECT_TRUE(slice_inside(c.trailer, in + off + used, (size_t)n));
            EXPECT_TRUE(!c.trailer.len || !d.len);  /* one kind of span per call */
            memcpy(r->tr + r->tr_len, c.trailer.p, c.trailer.len);
            r->tr_len += c.trailer.len;
            used += (size_t)n;
            if (n == 0)
                break;
        }
        off += used;
        if (used < piece)
            break;
    }
    r->consumed = off;
}

static ssize_t
verdict(const char *in)
{
    struct run r;

    decode(in, strlen(in), 0, 0, &r);
    return r.rc ? r.rc : r.done ? 1 : 0;
}

TEST(h1_chunked_decodes_whole_and_byte_at_a_time)
{
    const char *in = "5\r\nhello\r\n1A;name=val\r\nabcdefghijklmnopqrstuvwxyz\r\n"
                     "0\r\nX-Trailer: t\r\n\r\nGET / HTTP/1.1\r\n";
    size_t body = strlen(in) - strlen("GET / HTTP/1.1\r\n");
    struct run whole, bytes, sevens;

    decode(in, strlen(in), 0, 0, &whole);
    EXPECT_EQ(whole.rc, 0);
    EXPECT_TRUE(whole.done);
    EXPECT_EQ(whole.consumed, body);            /* the next request is not eaten */
    EXPECT_EQ(whole.out_len, 31);
    EXPECT_EQ(memcmp(whole.out, "helloabcdefghijklmnopqrstuvwxyz", 31), 0);
    decode(in, strlen(in), 1, 0, &bytes);
    decode(in, strlen(in), 7, 0, &sevens);
    EXPECT_TRUE(bytes.done && sevens.done);
    EXPECT_EQ(bytes.consumed, body);
    EXPECT_EQ(bytes.out_len, 31);
    EXPECT_EQ(memcmp(bytes.out, whole.out, 31), 0);
    EXPECT_EQ(memcmp(sevens.out, whole.out, 31), 0);
}

TEST(h1_chunked_reports_done_once_and_stays_done)
{
    struct h1_chunked c;
    struct slice d;
    bool done = false;
    const char *why;

    h1_chunked_init(&c, 0);
    EXPECT_EQ(h1_chunked_parse(&c, "0\r\n\r\nXYZ", 8, &d, &done, &why), 5);
    EXPECT_TRUE(done);
    EXPECT_EQ(h1_chunked_parse(&c, "XYZ", 3, &d, &done, &why), 0);
    EXPECT_TRUE(done);
    EXPECT_EQ(c.total, 0);
}

TEST(h1_chunked_size_syntax)
{
    EXPECT_EQ(verdict("a\r\n0123456789\r\n0\r\n\r\n"), 1);
    EXPECT_EQ(verdict("A\r\n0123456789\r\n0\r\n\r\n"), 1);
    EXPECT_EQ(verdict("0000000000000000000000005\r\nhello\r\n000\r\n\r\n"), 1);
    EXPECT_EQ(verdict("-5\r\nhello\r\n0\r\n\r\n"), -EBADMSG);
    EXPECT_EQ(verdict("+5\r\nhello\r\n0\r\n\r\n"), -EBADMSG);
    EXPECT_EQ(verdict("0x5\r\nhello\r\n0\r\n\r\n"), -EBADMSG);
    EXPECT_EQ(verdict(" 5\r\nhello\r\n0\r\n\r\n"), -EBADMSG);
    EXPECT_EQ(verdict("5 \r\nhello\r\n0\r\n\r\n"), -EBADMSG);
    EXPECT_EQ(verdict("\r\nhello\r\n0\r\n\r\n"), -EBADMSG);
    EXPECT_EQ(verdict("5g\r\nhello\r\n0\r\n\r\n"), -EBADMSG);
}

/* Rows 16, 17: overflow and long size lines. */
TEST(h1_chunked_rejects_size_overflow)
{
    struct h1_chunked c;
    struct slice d;
    bool done;
    const char *why;

    EXPECT_EQ(verdict("10000000000000005\r\nhello\r\n0\r\n\r\n"), -EBADMSG);
    h1_chunked_init(&c, 0);
    EXPECT_EQ(h1_chunked_parse(&c, "ffffffffffffffff\r\n", 18, &d, &done, &why), 18);
    EXPECT_EQ(c.remaining, UINT64_MAX);
    /* a second huge chunk would wrap the total */
    h1_chunked_init(&c, 0);
    c.total = 10;
    EXPECT_EQ(h1_chunked_parse(&c, "ffffffffffffffff\r\n", 18, &d, &done, &why), -EMSGSIZE);

    static char big[5000];
    memset(big, '0', sizeof(big));
    EXPECT_EQ(h1_chunked_parse(&(struct h1_chunked){ 0 }, big, 4096, &d, &done, &why), 4096);
    h1_chunked_init(&c, 0);
    EXPECT_EQ(h1_chunked_parse(&c, big, sizeof(big), &d, &done, &why), -EBADMSG);
}

/* Row 19: extensions by the ABNF, without CTLs, capped. */
TEST(h1_chunked_extensions)
{
    EXPECT_EQ(verdict("5;a\r\nhello\r\n0\r\n\r\n"), 1);
    EXPECT_EQ(verdict("5;a=b;c\r\nhello\r\n0;last\r\n\r\n"), 1);
    EXPECT_EQ(verdict("5 ; a = b\t;\tc=\"q \\\" ;x\"\r\nhello\r\n0\r\n\r\n"), 1);
    EXPECT_EQ(verdict("5;\r\nhello\r\n0\r\n\r\n"), -EBADMSG);
    EXPECT_EQ(verdict("5;a \r\nhello\r\n0\r\n\r\n"), -EBADMSG);
    EXPECT_EQ(verdict("5;a=\r\nhello\r\n0\r\n\r\n"), -EBADMSG);
    EXPECT_EQ(verdict("5;a=b \r\nhello\r\n0\r\n\r\n"), -EBADMSG);
    EXPECT_EQ(verdict("5;=b\r\nhello\r\n0\r\n\r\n"), -EBADMSG);
    EXPECT_EQ(verdict("5;a=b=c\r\nhello\r\n0\r\n\r\n"), -EBADMSG);
    EXPECT_EQ(verdict("5;ext\nhello\r\n0\r\n\r\n"), -EBADMSG);
    EXPECT_EQ(verdict("5;a=\"x\r\n\"\r\nhello\r\n0\r\n\r\n"), -EBADMSG);
    EXPECT_EQ(verdict("5;a=\"x\nb\"\r\nhello\r\n0\r\n\r\n"), -EBADMSG);
    EXPECT_EQ(verdict("5;a=\"unterminated\r\nhello\r\n0\r\n\r\n"), -EBADMSG);
    EXPECT_EQ(verdict("5;a=\"x\"y\r\nhello\r\n0\r\n\r\n"), -EBADMSG);
    EXPECT_EQ(verdict("5;a\x01\r\nhello\r\n0\r\n\r\n"), -EBADMSG);

    struct run r;
    static const char nul[] = "5;a=\"x\0\"\r\nhello\r\n0\r\n\r\n";
    decode(nul, sizeof(nul) - 1, 0, 0, &r);
    EXPECT_EQ(r.rc, -EBADMSG);

    /* 4 KiB of extensions over the whole body: each line is short, the sum is not */
    static char in[8192];
    size_t n = 0;
    for (int i = 0; i < 400; i++)
        n += (size_t)snprintf(in + n, sizeof(in) - n, "1;aaaaaaaaaaa\r\nx\r\n");
    decode(in, n, 0, 0, &r);
    EXPECT_EQ(r.rc, -EBADMSG);
    EXPECT_TRUE(r.out_len > 250 && r.out_len < 350);
}

/* Row 20: CRLF strictly after data, no LF-only lines. */
TEST(h1_chunked_requires_crlf_after_data)
{
    EXPECT_EQ(verdict("5\r\nhelloX\r\n0\r\n\r\n"), -EBADMSG);
    EXPECT_EQ(verdict("5\r\nhello\n0\r\n\r\n"), -EBADMSG);
    EXPECT_EQ(verdict("5\r\nhello\r0\r\n\r\n"), -EBADMSG);
    EXPECT_EQ(verdict("5\nhello\r\n0\r\n\r\n"), -EBADMSG);
    EXPECT_EQ(verdict("5\rhello\r\n0\r\n\r\n"), -EBADMSG);
    EXPECT_EQ(verdict("5\r\nhello\r\n0\r\n\n"), -EBADMSG);
    EXPECT_EQ(verdict("5\r\nhello\r\n0\n\r\n"), -EBADMSG);
    EXPECT_EQ(verdict("5\r\nhello\r\n0\r\n\r"), 0);        /* incomplete, not done */
    EXPECT_EQ(verdict("5\r\nhel"), 0);
}

TEST(h1_chunked_trailers_are_checked_and_handed_out)
{
    struct run r;
    const char *ok = "3\r\nabc\r\n0\r\nA: 1\r\nB-2:\r\nC:  x y \r\n\r\n";
    const char *sec = "A: 1\r\nB-2:\r\nC:  x y \r\n";

    for (size_t step = 0; step < 8; step++) {
        decode(ok, strlen(ok), step, 0, &r);
        EXPECT_TRUE(r.done);
        EXPECT_EQ(r.out_len, 3);
        EXPECT_EQ(r.consumed, strlen(ok));
        /* the same section however the input was split, without the final CRLF */
        EXPECT_EQ(r.tr_len, strlen(sec));
        EXPECT_EQ(memcmp(r.tr, sec, r.tr_len), 0);
    }
    decode("0\r\n\r\n", 5, 1, 0, &r);
    EXPECT_TRUE(r.done);
    EXPECT_EQ(r.tr_len, 0);
    EXPECT_EQ(verdict("0\r\n A: 1\r\n\r\n"), -EBADMSG);
    EXPECT_EQ(verdict("0\r\nA : 1\r\n\r\n"), -EBADMSG);
    EXPECT_EQ(verdict("0\r\nA: 1\n\r\n"), -EBADMSG);
    EXPECT_EQ(verdict("0\r\nA: 1\r\n\n"), -EBADMSG);
    EXPECT_EQ(verdict("0\r\nA: a\rb\r\n\r\n"), -EBADMSG);
    EXPECT_EQ(verdict("0\r\nNoColon\r\n\r\n"), -EBADMSG);
    EXPECT_EQ(verdict("0\r\nA: \x7f\r\n\r\n"), -EBADMSG);

    static char big[9000];
    size_t n = (size_t)snprintf(big, sizeof(big), "0\r\nX: ");
    memset(big + n, 'v', sizeof(big) - n);
    decode(big, sizeof(big), 0, 0, &r);
    EXPECT_EQ(r.rc, -EBADMSG);
}

TEST(h1_chunked_max_total_gives_emsgsize)
{
    struct run r;
    const char *in = "5\r\nhello\r\n5\r\nworld\r\n0\r\n\r\n";

    decode(in, strlen(in), 0, 10, &r);
    EXPECT_TRUE(r.done);
    EXPECT_EQ(r.out_len, 10);
    decode(in, strlen(in), 0, 9, &r);
    EXPECT_EQ(r.rc, -EMSGSIZE);
    EXPECT_EQ(r.out_len, 5);
    decode(in, strlen(in), 1, 4, &r);
    EXPECT_EQ(r.rc, -EMSGSIZE);
    EXPECT_EQ(r.out_len, 0);
}

TEST(h1_chunked_errors_are_sticky)
{
    struct h1_chunked c;
    struct slice d;
    bool done;
    const char *why;

    h1_chunked_init(&c, 0);
    EXPECT_EQ(h1_chunked_parse(&c, "z", 1, &d, &done, &why), -EBADMSG);
    EXPECT_EQ(h1_chunked_parse(&c, "0\r\n\r\n", 5, &d, &done, &why), -EBADMSG);
    EXPECT_FALSE(done);
}

TEST(h1_trailer_next_walks_the_section)
{
    struct run r;
    const char *in = "1\r\nx\r\n0\r\ngrpc-status: 0\r\nGrpc-Message:\t ok then \r\nE:\r\n\r\n";
    struct slice s, name, value;

    decode(in, strlen(in), 3, 0, &r);
    EXPECT_TRUE(r.done);
    s = slice_make(r.tr, r.tr_len);
    EXPECT_TRUE(h1_trailer_next(&s, &name, &value));
    EXPECT_TRUE(slice_eq(name, SLICE_LIT("grpc-status")) && slice_eq(value, SLICE_LIT("0")));
    EXPECT_TRUE(h1_trailer_next(&s, &name, &value));
    EXPECT_TRUE(slice_eq(name, SLICE_LIT("Grpc-Message")));
    EXPECT_TRUE(slice_eq(value, SLICE_LIT("ok then")));
    EXPECT_TRUE(h1_trailer_next(&s, &name, &value));
    EXPECT_TRUE(slice_eq(name, SLICE_LIT("E")) && value.len == 0);
    EXPECT_FALSE(h1_trailer_next(&s, &name, &value));
    /* what the parser never hands out is not walked past */
    s = SLICE_LIT("A: 1");
    EXPECT_FALSE(h1_trailer_next(&s, &name, &value));
    s = SLICE_LIT("A 1\r\n");
    EXPECT_FALSE(h1_trailer_next(&s, &name, &value));
}

TEST(h1_trailer_allowed_keeps_framing_routing_and_auth_out)
{
    static const char *const allowed[] = { "grpc-status", "Server-Timing", "Digest",
                                            "Content-Lengthy", "x-checksum" };
    static const char *const kept_out[] = {
        "Content-Length", "transfer-encoding", "HOST", "Authorization", "Set-Cookie",
        "Trailer", "Connection", "Content-Type", ":status", "",
    };

    for (size_t i = 0; i < sizeof(allowed) / sizeof(allowed[0]); i++)
        EXPECT_TRUE(h1_trailer_allowed(slice_make(allowed[i], strlen(allowed[i]))));
    for (size_t i = 0; i < sizeof(kept_out) / sizeof(kept_out[0]); i++)
        EXPECT_FALSE(h1_trailer_allowed(slice_make(kept_out[i], strlen(kept_out[i]))));
}

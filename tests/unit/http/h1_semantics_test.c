/* tests/unit/http/h1_semantics_test.c: HTTP-dates round-trip and parse in all three forms,
 * the list iterator keeps quoted commas, conditionals follow RFC 9110 §13.2.2's order, and
 * ranges resolve as nginx's range filter does. */
#include <string.h>

#include "check.h"
#include "http/h1.h"
#include "http/h1_cond.h"
#include "http/h1_date.h"
#include "http/h1_list.h"
#include "http/h1_range.h"

static struct slice
lit(const char *s)
{
    return slice_make(s, strlen(s));
}

TEST(h1_date_formats_and_parses_the_three_forms)
{
    char d[H1_DATE_LEN + 1] = { 0 };

    h1_date_format(784111777, d);
    EXPECT_STREQ(d, "Sun, 06 Nov 1994 08:49:37 GMT");
    EXPECT_EQ(h1_date_parse(lit("Sun, 06 Nov 1994 08:49:37 GMT")), 784111777);
    EXPECT_EQ(h1_date_parse(lit("Sunday, 06-Nov-94 08:49:37 GMT")), 784111777);
    EXPECT_EQ(h1_date_parse(lit("Sun Nov  6 08:49:37 1994")), 784111777);
    h1_date_format(0, d);
    EXPECT_STREQ(d, "Thu, 01 Jan 1970 00:00:00 GMT");
    h1_date_format(-5, d);
    EXPECT_STREQ(d, "Thu, 01 Jan 1970 00:00:00 GMT");
    /* Every day of a leap year and its neighbours survives the round trip. */
    for (int64_t t = 946684800 - 86400 * 400; t < 946684800 + 86400 * 800; t += 86400 + 7) {
        h1_date_format(t, d);
        EXPECT_EQ(h1_date_parse(slice_make(d, H1_DATE_LEN)), t);
    }
}

TEST(h1_date_refuses_what_is_not_a_date)
{
    static const char *const bad[] = {
        "", "Sun, 06 Nov 1994 08:49:37", "Sun, 06 Nov 1994 08:49:37 UTC",
        "Sun, 31 Feb 2001 00:00:00 GMT", "Sun, 29 Feb 2001 00:00:00 GMT",
        "Sun, 06 Nov 1969 08:49:37 GMT", "Sun, 06 Nov 1994 24:00:00 GMT",
        "Sun, 6 Nov 1994 08:49:37 GMT", "Sun, 06 Foo 1994 08:49:37 GMT",
        "Sun Nov 6 08:49:37 1994", "Sun, 06 Nov 1994 08:49:37 GMT ", "12345",
    };
    for (size_t i = 0; i < sizeof(bad) / sizeof(bad[0]); i++)
        EXPECT_EQ(h1_date_parse(lit(bad[i])), -1);
    EXPECT_EQ(h1_date_parse(lit("Tue, 29 Feb 2000 00:00:00 GMT")), 951782400);
}

TEST(h1_list_skips_empty_members_and_keeps_quoted_commas)
{
    struct slice v = lit(" , a ,,\t\"x, y\" , W/\"z\",b"), e;
    const char *want[] = { "a", "\"x, y\"", "W/\"z\"", "b" };
    size_t i = 0, n = 0;

    while (h1_list_next(v, &i, &e)) {
        EXPECT_TRUE(n < 4);
        EXPECT_EQ(e.len, strlen(want[n]));
        EXPECT_TRUE(memcmp(e.p, want[n], e.len) == 0);
        n++;
    }
    EXPECT_EQ(n, 4);
    i = 0;
    EXPECT_FALSE(h1_list_next(lit(" ,, "), &i, &e));
    i = 0;                              /* an unclosed quote runs to the end */
    EXPECT_TRUE(h1_list_next(lit("\"a, b"), &i, &e));
    EXPECT_EQ(e.len, 5);
}

static void
request_with(struct h1_request *r, const char *head)
{
    const char *why;

    memset(r, 0, sizeof(*r));
    EXPECT_TRUE(h1_parse_request(head, strlen(head), NULL, r, &why) > 0);
}

TEST(h1_cond_checks_in_rfc_order)
{
    struct h1_request r;
    const char *etag = "\"5f-10\"";

    request_with(&r, "GET / HTTP/1.1\r\nHost: a\r\nIf-None-Match: \"x\", W/\"5f-10\"\r\n\r\n");
    EXPECT_EQ(h1_cond_check(&r, etag, 1000), 304);
    /* If-None-Match wins over If-Modified-Since even when the date says modified. */
    request_with(&r, "GET / HTTP/1.1\r\nHost: a\r\nIf-None-Match: \"x\"\r\n"
                     "If-Modified-Since: Thu, 01 Jan 1970 00:00:00 GMT\r\n\r\n");
    EXPECT_EQ(h1_cond_check(&r, etag, 1000), 0);
    request_with(&r, "GET / HTTP/1.1\r\nHost: a\r\n"
                     "If-Modified-Since: Thu, 01 Jan 1970 00:16:40 GMT\r\n\r\n");
    EXPECT_EQ(h1_cond_check(&r, etag, 1000), 304);
    EXPECT_EQ(h1_cond_check(&r, etag, 1001), 0);
    /* If-Match compares strongly: a weak tag fails it. */
    request_with(&r, "GET / HTTP/1.1\r\nHost: a\r\nIf-Match: W/\"5f-10\"\r\n\r\n");
    EXPECT_EQ(h1_cond_check(&r, etag, 1000), 412);
    request_with(&r, "GET / HTTP/1.1\r\nHost: a\r\nIf-Match: *\r\n"
                     "If-None-Match: *\r\n\r\n");
    EXPECT_EQ(h1_cond_check(&r, etag, 1000), 304);
    /* An invalid If-Unmodified-Since is ignored. */
    request_with(&r, "GET / HTTP/1.1\r\nHost: a\r\nIf-Unmodified-Since: soon\r\n\r\n");
    EXPECT_EQ(h1_cond_check(&r, etag, 1000), 0);
    EXPECT_TRUE(h1_cond_if_range(lit("\"5f-10\""), etag, 1000));
    EXPECT_FALSE(h1_cond_if_range(lit("W/\"5f-10\""), etag, 1000));
    EXPECT_TRUE(h1_cond_if_range(lit("Thu, 01 Jan 1970 00:16:40 GMT"), etag, 1000));
    EXPECT_FALSE(h1_cond_if_range(lit("Thu, 01 Jan 1970 00:16:41 GMT"), etag, 1000));
}

TEST(h1_range_resolves_like_nginx)
{
    uint64_t s = 0, l = 0;

    EXPECT_EQ(h1_range_parse(lit("bytes=0-9"), 100, &s, &l), H1_RANGE_ONE);
    EXPECT_EQ(s, 0);
    EXPECT_EQ(l, 10);
    EXPECT_EQ(h1_range_parse(lit("bytes=90-"), 100, &s, &l), H1_RANGE_ONE);
    EXPECT_EQ(s, 90);
    EXPECT_EQ(l, 10);
    EXPECT_EQ(h1_range_parse(lit("bytes=-500"), 100, &s, &l), H1_RANGE_ONE);
    EXPECT_EQ(s, 0);
    EXPECT_EQ(l, 100);
    EXPECT_EQ(h1_range_parse(lit("BYTES= 5 - 200 "), 100, &s, &l), H1_RANGE_ONE);
    EXPECT_EQ(s, 5);
    EXPECT_EQ(l, 95);
    EXPECT_EQ(h1_range_parse(lit("bytes=200-300, 5-6"), 100, &s, &l), H1_RANGE_ONE);
    EXPECT_EQ(s, 5);
    EXPECT_EQ(h1_range_parse(lit("bytes=0-1,5-6"), 100, &s, &l), H1_RANGE_WHOLE);
    EXPECT_EQ(h1_range_parse(lit("items=0-1"), 100, &s, &l), H1_RANGE_WHOLE);
    EXPECT_EQ(h1_range_parse(lit("bytes=200-"), 100, &s, &l), H1_RANGE_NONE);
    EXPECT_EQ(h1_range_parse(lit("bytes=-0"), 100, &s, &l), H1_RANGE_NONE);
    EXPECT_EQ(h1_range_parse(lit("bytes=9-1"), 100, &s, &l), H1_RANGE_NONE);
    EXPECT_EQ(h1_range_parse(lit("bytes=1-2x"), 100, &s, &l), H1_RANGE_NONE);
    EXPECT_EQ(h1_range_parse(lit("bytes=99999999999999999999-"), 100, &s, &l), H1_RANGE_NONE);
    EXPECT_EQ(h1_range_parse(lit("bytes=0-0"), 0, &s, &l), H1_RANGE_NONE);
}

/* tests/unit/analyze/analyze_test.c: src/shield/analyze_{parse,input,stats,report}.c. */
#include "shield/analyze.h"

#include <errno.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

#include <zlib.h>

#include "check.h"

static int
parse(struct analyze_parser *p, const char *line, struct analyze_line *l, const char **why)
{
    *why = NULL;
    return analyze_parse_line(p, line, strlen(line), l, why);
}

static void
expect_slice(struct slice s, const char *want)
{
    char buf[512];
    assert_true(s.len < sizeof(buf));
    memcpy(buf, s.p, s.len);
    buf[s.len] = '\0';
    EXPECT_STREQ(buf, want);
}

TEST(analyze_parse_reads_a_combined_line)
{
    struct analyze_parser p;
    struct analyze_line l;
    const char *why;

    analyze_parse_init(&p, ANALYZE_COMBINED);
    EXPECT_EQ(parse(&p,
                    "203.0.113.7 - bob [24/Nov/2026:21:59:58 +0000] \"GET /a/b?x=1&y=2 HTTP/1.1\" "
                    "404 153 \"https://ref.example/\" \"Mozilla/5.0 (X11)\"",
                    &l, &why),
              0);
    expect_slice(l.addr_text, "203.0.113.7");
    EXPECT_EQ(l.addr.b[10], 0xff);
    EXPECT_EQ(l.addr.b[12], 203);
    EXPECT_EQ(l.addr.b[15], 7);
    EXPECT_EQ(l.time_ms, 1795557598000ULL);
    expect_slice(l.method, "GET");
    expect_slice(l.path, "/a/b");
    expect_slice(l.query, "x=1&y=2");
    EXPECT_EQ(l.status, 404);
    EXPECT_EQ(l.body_bytes, 153);
    expect_slice(l.referer, "https://ref.example/");
    expect_slice(l.user_agent, "Mozilla/5.0 (X11)");
    EXPECT_EQ(l.host.len, 0);

    /* IPv6, a time zone, "-" fields, the common format, extra fields after the UA. */
    EXPECT_EQ(parse(&p, "2001:db8::1 - - [24/Nov/2026:22:59:58 +0100] \"HEAD / HTTP/1.0\" 200 - "
                        "\"-\" \"-\" \"10.0.0.1\" 0.004",
                    &l, &why),
              0);
    EXPECT_EQ(l.time_ms, 1795557598000ULL);
    EXPECT_EQ(l.addr.b[0], 0x20);
    EXPECT_EQ(l.referer.len, 0);
    EXPECT_EQ(l.user_agent.len, 0);
    EXPECT_EQ(parse(&p, "10.1.2.3 - - [24/Nov/2026:21:59:58 +0000] \"GET / HTTP/1.1\" 200 5", &l,
                    &why),
              0);
    /* nginx logs "-" for an empty request: a line, without a path. */
    EXPECT_EQ(parse(&p, "10.1.2.3 - - [24/Nov/2026:21:59:58 +0000] \"-\" 400 0 \"-\" \"-\"", &l,
                    &why),
              0);
    EXPECT_EQ(l.path.len, 0);
    EXPECT_EQ(l.status, 400);
    analyze_parse_fini(&p);
}

TEST(analyze_parse_unescapes_quoted_fields)
{
    struct analyze_parser p;
    struct analyze_line l;
    const char *why;

    analyze_parse_init(&p, ANALYZE_COMBINED);
    /* nginx writes '"' as \x22 and '\' as \x5C. */
    EXPECT_EQ(parse(&p, "10.0.0.1 - - [24/Nov/2026:21:59:58 +0000] \"GET /q\\x22a\\x5Cb HTTP/1.1\" "
                        "200 1 \"-\" \"say \\x22hi\\x22\"",
                    &l, &why),
              0);
    expect_slice(l.path, "/q\"a\\b");
    expect_slice(l.user_agent, "say \"hi\"");
    /* Apache writes \" and \\; an escaped quote does not end the field. */
    EXPECT_EQ(parse(&p, "10.0.0.1 - - [24/Nov/2026:21:59:58 +0000] \"GET /x HTTP/1.1\" 200 1 "
                        "\"-\" \"a \\\"quoted\\\" agent \\\\\"",
                    &l, &why),
              0);
    expect_slice(l.user_agent, "a \"quoted\" agent \\");
    analyze_parse_fini(&p);
}

TEST(analyze_parse_reports_why_a_line_is_malformed)
{
    static const struct {
        const char *line, *why;
    } cases[] = {
        { "", "empty line" },
        { "garbage", "no client address" },
        { "not-an-ip - - [24/Nov/2026:21:59:58 +0000] \"GET / HTTP/1.1\" 200 1 \"-\" \"-\"",
          "client address is not an IP address" },
        { "10.0.0.1 - - 24/Nov/2026:21:59:58 +0000 \"GET / HTTP/1.1\" 200 1", "no [time]" },
        { "10.0.0.1 - - [24/Nov/2026:21:59:58 +0000 \"GET / HTTP/1.1\" 200 1",
          "no closing ] after the time" },
        { "10.0.0.1 - - [24/Foo/2026:21:59:58 +0000] \"GET / HTTP/1.1\" 200 1",
          "time is not dd/Mon/yyyy:HH:MM:SS +zzzz" },
        { "10.0.0.1 - - [24/Nov/2026:21:59:58 +0000] GET / HTTP/1.1 200 1",
          "no quoted request after the time" },
        { "10.0.0.1 - - [24/Nov/2026:21:59:58 +0000] \"GET / HTTP/1.1 200 1",
          "request has no closing quote" },
        { "10.0.0.1 - - [24/Nov/2026:21:59:58 +0000] \"GET / HTTP/1.1\" 2x0 1",
          "status is not three digits" },
        { "10.0.0.1 - - [24/Nov/2026:21:59:58 +0000] \"GET / HTTP/1.1\" 200 12k",
          "body size is not a number" },
        { "10.0.0.1 - - [24/Nov/2026:21:59:58 +0000] \"GET / HTTP/1.1\" 200 1 \"-\" \"trunc",
          "user agent is not a quoted field" },
        { "10.0.0.1 - - [24/Nov/2026:21:59:58 +0000] \"GET / HTTP/1.1\" 200 1 -",
          "referer is not a quoted field" },
    };
    struct analyze_parser p;
    struct analyze_line l;
    const char *why;

    analyze_parse_init(&p, ANALYZE_COMBINED);
    for (size_t i = 0; i < sizeof(cases) / sizeof(cases[0]); i++) {
        EXPECT_EQ(parse(&p, cases[i].line, &l, &why), -EBADMSG);
        EXPECT_STREQ(why, cases[i].why);
    }
    analyze_parse_fini(&p);
}

TEST(analyze_parse_reads_combined_host_and_drops_the_port)
{
    struct analyze_parser p;
    struct analyze_line l;
    const char *why;
    const char *rest = " 10.0.0.1 - - [24/Nov/2026:21:59:58 +0000] \"GET / HTTP/1.1\" 200 1 "
                       "\"-\" \"ua\"";
    char line[256];

    analyze_parse_init(&p, ANALYZE_COMBINED_HOST);
    snprintf(line, sizeof(line), "shop.example.com:443%s", rest);
    EXPECT_EQ(parse(&p, line, &l, &why), 0);
    expect_slice(l.host, "shop.example.com");
    expect_slice(l.addr_text, "10.0.0.1");
    snprintf(line, sizeof(line), "[2001:db8::5]:8443%s", rest);
    EXPECT_EQ(parse(&p, line, &l, &why), 0);
    expect_slice(l.host, "[2001:db8::5]");
    snprintf(line, sizeof(line), "dev.example.com%s", rest);
    EXPECT_EQ(parse(&p, line, &l, &why), 0);
    expect_slice(l.host, "dev.example.com");
    EXPECT_EQ(parse(&p, "onlyhost", &l, &why), -EBADMSG);
    analyze_parse_fini(&p);

    EXPECT_EQ(analyze_parse_sniff(line, strlen(line)), ANALYZE_COMBINED_HOST);
    snprintf(line, sizeof(line), "10.0.0.5%s", rest);   /* a host that is an address */
    EXPECT_EQ(analyze_parse_sniff(line, strlen(line)), ANALYZE_COMBINED_HOST);
    EXPECT_EQ(analyze_parse_sniff(rest + 1, strlen(rest + 1)), ANALYZE_COMBINED);
    EXPECT_EQ(analyze_parse_sniff("{\"time\":1}", 10), ANALYZE_JSON);
}

TEST(analyze_parse_reads_tierd_json_lines)
{
    struct analyze_parser p;
    struct analyze_line l;
    const char *why;

    analyze_parse_init(&p, ANALYZE_JSON);
    EXPECT_EQ(parse(&p, "{\"time\":\"2026-11-24T21:59:58.123Z\",\"remote_addr\":\"10.0.0.1\","
                        "\"request\":\"GET /a?b=1 HTTP/1.1\",\"host\":\"x.example\",\"status\":401,"
                        "\"body_bytes_sent\":12,\"request_time\":0.004,\"upstream_addr\":\"-\","
                        "\"listener\":\"public\",\"target_group\":\"web\",\"request_id\":\"ab\","
                        "\"referer\":\"\",\"user_agent\":\"a \\\"b\\\" \\u00e9\\ud83d\\ude00\"}",
                    &l, &why),
              0);
    EXPECT_EQ(l.time_ms, 1795557598123ULL);
    expect_slice(l.path, "/a");
    expect_slice(l.query, "b=1");
    expect_slice(l.host, "x.example");
    EXPECT_EQ(l.status, 401);
    EXPECT_EQ(l.body_bytes, 12);
    expect_slice(l.user_agent, "a \"b\" \xc3\xa9\xf0\x9f\x98\x80");
    /* Keys in any order, spaces, a string status, an offset. */
    EXPECT_EQ(parse(&p, " { \"status\" : \"200\" , \"request\":\"POST /login HTTP/1.1\", "
                        "\"remote_addr\":\"::1\", \"time\":\"2026-11-24T22:59:58+01:00\" } ",
                    &l, &why),
              0);
    EXPECT_EQ(l.time_ms, 1795557598000ULL);
    expect_slice(l.method, "POST");
    /* A nested value: jansson reads the line. */
    EXPECT_EQ(parse(&p, "{\"time\":\"2026-11-24T21:59:58Z\",\"remote_addr\":\"10.0.0.2\","
                        "\"request\":\"GET /n HTTP/1.1\",\"status\":404,\"extra\":{\"k\":[1,2]},"
                        "\"user_agent\":\"u\"}",
                    &l, &why),
              0);
    expect_slice(l.path, "/n");
    expect_slice(l.addr_text, "10.0.0.2");
    EXPECT_EQ(l.status, 404);
    expect_slice(l.user_agent, "u");

    EXPECT_EQ(parse(&p, "{\"time\":\"2026-11-24T21:59:58Z\",\"request\":\"GET / HTTP/1.1\","
                        "\"status\":200}", &l, &why), -EBADMSG);
    EXPECT_STREQ(why, "json: no \"remote_addr\"");
    EXPECT_EQ(parse(&p, "{\"time\":\"yesterday\",\"remote_addr\":\"10.0.0.1\",\"request\":\"GET / "
                        "HTTP/1.1\",\"status\":200}", &l, &why), -EBADMSG);
    EXPECT_STREQ(why, "json: time is not an ISO 8601 UTC time");
    EXPECT_EQ(parse(&p, "{\"time\":\"2026-11-24T21:59:58Z\",\"remote_addr\":\"10.0.0.1\"", &l,
                    &why), -EBADMSG);
    EXPECT_STREQ(why, "json: expected , or } after a value");
    EXPECT_EQ(parse(&p, "{\"a\":{\"b\":", &l, &why), -EBADMSG);
    EXPECT_STREQ(why, "json: syntax error");
    analyze_parse_fini(&p);
}

TEST(analyze_parse_times_and_addresses)
{
    uint64_t ms;
    struct shield_addr a;

    EXPECT_TRUE(analyze_parse_clf_time(SLICE_LIT("01/Jan/1970:00:00:00 +0000"), &ms));
    EXPECT_EQ(ms, 0);
    EXPECT_TRUE(analyze_parse_clf_time(SLICE_LIT("29/Feb/2024:12:00:00 -0500"), &ms));
    EXPECT_EQ(ms, 1709226000000ULL);
    EXPECT_FALSE(analyze_parse_clf_time(SLICE_LIT("29/Feb/2024:12:00:00"), &ms));
    EXPECT_FALSE(analyze_parse_clf_time(SLICE_LIT("29/Feb/2024:25:00:00 +0000"), &ms));
    EXPECT_TRUE(analyze_parse_iso_time(SLICE_LIT("2024-02-29T17:00:00Z"), &ms));
    EXPECT_EQ(ms, 1709226000000ULL);
    EXPECT_TRUE(analyze_parse_iso_time(SLICE_LIT("2024-02-29T17:00:00.5Z"), &ms));
    EXPECT_EQ(ms, 1709226000500ULL);
    EXPECT_FALSE(analyze_parse_iso_time(SLICE_LIT("2024-02-29T17:00:00"), &ms));
    EXPECT_TRUE(analyze_parse_addr(SLICE_LIT("255.255.255.255"), &a));
    EXPECT_FALSE(analyze_parse_addr(SLICE_LIT("256.1.1.1"), &a));
    EXPECT_FALSE(analyze_parse_addr(SLICE_LIT("1.2.3"), &a));
    EXPECT_FALSE(analyze_parse_addr(SLICE_LIT("1.2.3.4.5"), &a));
    EXPECT_TRUE(analyze_parse_addr(SLICE_LIT("::ffff:1.2.3.4"), &a));
    EXPECT_EQ(a.b[12], 1);
    EXPECT_FALSE(analyze_parse_addr(SLICE_LIT("example.com"), &a));
}

struct collect {
    unsigned n, oversize;
    char last[64];
    uint64_t last_lineno;
};

static void
collect_line(void *ctx, const char *line, size_t len, uint64_t lineno)
{
    struct collect *c = ctx;

    if (!line) {
        c->oversize++;
        return;
    }
    c->n++;
    snprintf(c->last, sizeof(c->last), "%.*s", (int)len, line);
    c->last_lineno = lineno;
}

TEST(analyze_input_reads_plain_and_gzip_files)
{
    char plain[] = "/tmp/analyze_test_XXXXXX", gz[] = "/tmp/analyze_test_gz_XXXXXX";
    const char *text = "one\r\ntwo\n\nthree";  /* CR LF, an empty line, no final newline */
    struct analyze_input_info info;
    struct collect c = { 0 };
    char err[256];
    int fd;

    fd = mkstemp(plain);
    assert_true(fd >= 0);
    assert_true(write(fd, text, strlen(text)) == (ssize_t)strlen(text));
    close(fd);
    EXPECT_EQ(analyze_input_read(plain, collect_line, &c, &info, err, sizeof(err)), 0);
    EXPECT_EQ(c.n, 4);
    EXPECT_STREQ(c.last, "three");
    EXPECT_EQ(c.last_lineno, 4);
    EXPECT_FALSE(info.gzip);
    EXPECT_EQ(info.lines, 4);

    fd = mkstemp(gz);
    assert_true(fd >= 0);
    gzFile g = gzdopen(fd, "wb");
    for (int i = 0; i < 20000; i++)
        gzprintf(g, "line %d with some text to compress\n", i);
    gzclose(g);
    memset(&c, 0, sizeof(c));
    EXPECT_EQ(analyze_input_read(gz, collect_line, &c, &info, err, sizeof(err)), 0);
    EXPECT_TRUE(info.gzip);
    EXPECT_FALSE(info.truncated);
    EXPECT_EQ(c.n, 20000);
    EXPECT_STREQ(c.last, "line 19999 with some text to compress");

    /* A cut gzip stream: the lines up to the cut, flagged. */
    assert_true(truncate(gz, 2000) == 0);
    memset(&c, 0, sizeof(c));
    EXPECT_EQ(analyze_input_read(gz, collect_line, &c, &info, err, sizeof(err)), 0);
    EXPECT_TRUE(info.truncated);
    EXPECT_TRUE(c.n > 0 && c.n < 20000);

    EXPECT_EQ(analyze_input_read("/nonexistent/x.log", collect_line, &c, &info, err,
                                 sizeof(err)), -ENOENT);
    EXPECT_TRUE(strstr(err, "cannot open /nonexistent/x.log") != NULL);
    EXPECT_EQ(analyze_input_read("/tmp", collect_line, &c, &info, err, sizeof(err)), -EISDIR);
    unlink(plain);
    unlink(gz);
}

TEST(analyze_input_reports_over_long_lines_once)
{
    char path[] = "/tmp/analyze_test_long_XXXXXX";
    size_t big = 3 * ANALYZE_LINE_MAX_BYTES;
    char *buf = malloc(big + 16);
    struct analyze_input_info info;
    struct collect c = { 0 };
    char err[256];
    int fd = mkstemp(path);

    assert_true(fd >= 0 && buf);
    memcpy(buf, "first\n", 6);
    memset(buf + 6, 'x', big);
    memcpy(buf + 6 + big, "\nlast\n", 6);
    assert_true(write(fd, buf, big + 12) == (ssize_t)(big + 12));
    close(fd);
    EXPECT_EQ(analyze_input_read(path, collect_line, &c, &info, err, sizeof(err)), 0);
    EXPECT_EQ(c.n, 2);
    EXPECT_EQ(c.oversize, 1);
    EXPECT_STREQ(c.last, "last");
    EXPECT_EQ(c.last_lineno, 3);
    unlink(path);
    free(buf);
}

static void
add_line(struct analyze_stats *s, const char *text)
{
    struct analyze_parser p;
    struct analyze_line l;
    const char *why;

    analyze_parse_init(&p, ANALYZE_AUTO);
    p.format = analyze_parse_sniff(text, strlen(text));
    assert_int_equal(analyze_parse_line(&p, text, strlen(text), &l, &why), 0);
    analyze_stats_add(s, &l);
    analyze_parse_fini(&p);
}

static struct detect *
new_detect_prefix(unsigned ipv6_prefix)
{
    static const char *const logins[] = { "/login", NULL };
    struct detect_params dp;

    detect_params_default(&dp);
    dp.login_paths = logins;
    dp.ipv6_prefix = ipv6_prefix;
    return detect_new(&dp);
}

static struct detect *
new_detect(void)
{
    return new_detect_prefix(64);
}

TEST(analyze_stats_counts_per_address_and_per_minute)
{
    struct analyze_stats s;
    char line[256];

    analyze_stats_init(&s, new_detect(), 0);
    for (int i = 0; i < 10; i++) {
        snprintf(line, sizeof(line), "shop%d.example:443 10.0.0.1 - - [24/Nov/2026:21:5%d:00 +0000] "
                 "\"GET /p%d HTTP/1.1\" %d 1 \"-\" \"ua%d\"", i % 2, i / 5, i % 7,
                 i < 3 ? 404 : 200, i % 4);
        add_line(&s, line);
    }
    add_line(&s, "10.0.0.2 - - [24/Nov/2026:21:53:00 +0000] \"GET / HTTP/1.1\" 200 1 \"-\" \"-\"");
    analyze_stats_finish(&s);
    EXPECT_EQ(s.naddrs, 2);
    EXPECT_EQ(s.requests, 11);
    const struct analyze_addr *a = &s.addrs[0];
    EXPECT_EQ(a->requests, 10);
    EXPECT_EQ(a->status_4xx, 3);
    EXPECT_EQ(a->distinct_paths, 7);
    EXPECT_EQ(a->npaths, ANALYZE_SAMPLE_PATHS);
    EXPECT_STREQ(a->paths[0], "/p0");
    EXPECT_EQ(a->distinct_hosts, 2);
    EXPECT_STREQ(a->hosts[1], "shop1.example");
    EXPECT_EQ(a->distinct_agents, 4);
    EXPECT_EQ(a->nagents, ANALYZE_SAMPLE_AGENTS);
    EXPECT_EQ(a->nminutes, 2);
    EXPECT_EQ(a->peak_minute_requests, 5);
    EXPECT_EQ(s.nminutes, 4);           /* 21:50 .. 21:53 */
    EXPECT_EQ(s.timeline[0], 5);
    EXPECT_EQ(s.timeline[1], 5);
    EXPECT_EQ(s.timeline[2], 0);
    EXPECT_EQ(s.timeline[3], 1);
    EXPECT_EQ(s.noffenders, 0);
    analyze_stats_fini(&s);
}

TEST(analyze_stats_feeds_the_detectors_and_flags_floods)
{
    struct analyze_stats s;
    char line[256];

    analyze_stats_init(&s, new_detect(), 100);
    /* A scanner user agent trips on its own. */
    add_line(&s, "198.51.100.9 - - [24/Nov/2026:21:00:00 +0000] \"GET /.env HTTP/1.1\" 404 1 "
                 "\"-\" \"Mozilla/5.00 (Nikto/2.1.6)\"");
    /* 150 requests in 30 s: over 100 a minute. */
    for (int i = 0; i < 150; i++) {
        snprintf(line, sizeof(line), "192.0.2.50 - - [24/Nov/2026:21:00:%02d +0000] "
                 "\"GET / HTTP/1.1\" 200 1 \"-\" \"ua\"", i / 5);
        add_line(&s, line);
    }
    /* Failed logins: POST /login answered 401, many at once. */
    for (int i = 0; i < 30; i++)
        add_line(&s, "192.0.2.60 - - [24/Nov/2026:21:00:10 +0000] \"POST /login HTTP/1.1\" 401 "
                     "1 \"-\" \"ua\"");
    analyze_stats_finish(&s);
    EXPECT_EQ(s.noffenders, 3);
    const struct analyze_addr *flood = &s.addrs[s.offenders[0]];
    EXPECT_STREQ(flood->text, "192.0.2.50");    /* most requests first */
    EXPECT_EQ(flood->nhits, 1);
    EXPECT_STREQ(flood->hits[0].detector, "flood");
    EXPECT_EQ(flood->hits[0].count, 1);
    const struct analyze_addr *login = &s.addrs[s.offenders[1]];
    EXPECT_STREQ(login->hits[0].detector, "login_bruteforce");
    EXPECT_STREQ(s.addrs[s.offenders[2]].hits[0].detector, "scanner_ua");
    EXPECT_EQ(s.timeline_offenders[0], 181);
    analyze_stats_fini(&s);
}

TEST(analyze_report_collapses_three_offenders_of_a_24)
{
    struct analyze_stats s;
    struct analyze_deny *d;
    size_t *m;
    char line[256];
    const char *ips[] = { "203.0.113.5", "203.0.113.9", "203.0.113.200", "203.0.113.77",
                          "198.51.100.1", "198.51.100.2", "2001:db8::1", "2001:db8::2",
                          "2001:db8::3" };

    /* Per address (ipv6_prefix 128): three IPv6 offenders of one /64 collapse into it. */
    analyze_stats_init(&s, new_detect_prefix(128), 0);
    for (size_t i = 0; i < sizeof(ips) / sizeof(ips[0]); i++) {
        snprintf(line, sizeof(line), "%s - - [24/Nov/2026:21:00:00 +0000] \"GET / HTTP/1.1\" 200 "
                 "1 \"-\" \"ua\"", ips[i]);
        add_line(&s, line);
    }
    /* All but 203.0.113.77 (a bystander in the range) offend. */
    for (size_t i = 0; i < s.naddrs; i++)
        if (strcmp(s.addrs[i].text, "203.0.113.77") != 0)
            analyze_stats_hit(&s, &s.addrs[i], "path_bruteforce", "test", 0);
    analyze_stats_finish(&s);
    EXPECT_EQ(s.noffenders, 8);
    size_t n = analyze_report_deny(&s, &d, &m);
    EXPECT_EQ(n, 4);
    EXPECT_STREQ(d[0].entry, "198.51.100.1");   /* two of a /24 stay addresses */
    EXPECT_STREQ(d[1].entry, "198.51.100.2");
    EXPECT_STREQ(d[2].entry, "203.0.113.0/24");
    EXPECT_EQ(d[2].count, 3);
    EXPECT_EQ(d[2].others_seen, 1);
    EXPECT_STREQ(d[3].entry, "2001:db8::/64");
    EXPECT_EQ(d[3].count, 3);
    EXPECT_EQ(d[3].others_seen, 0);
    free(d);
    free(m);
    analyze_stats_fini(&s);
}

TEST(analyze_report_prints_deny_entries_in_stack_file_syntax)
{
    struct analyze_run *r = calloc(1, sizeof(*r));
    struct analyze_file f = { .path = "access.log", .format = ANALYZE_COMBINED };
    char *text = NULL;
    size_t len = 0;

    r->files = &f;
    r->nfiles = 1;
    analyze_stats_init(&r->stats, new_detect(), 0);
    add_line(&r->stats, "203.0.113.5 - - [24/Nov/2026:21:00:00 +0000] \"GET /x HTTP/1.1\" 404 1 "
                        "\"-\" \"ua\"");
    analyze_stats_hit(&r->stats, &r->stats.addrs[0], "sensitive_files", "4 paths", 0);
    analyze_stats_finish(&r->stats);
    FILE *out = open_memstream(&text, &len);
    analyze_report_text(r, out);
    fclose(out);
    EXPECT_TRUE(strstr(text, "shield:\n  deny: [\"203.0.113.5\"]\n") != NULL);
    EXPECT_TRUE(strstr(text, "sensitive_files: 4 paths") != NULL);
    free(text);
    out = open_memstream(&text, &len);
    EXPECT_EQ(analyze_report_json(r, out), 0);
    fclose(out);
    EXPECT_TRUE(strstr(text, "\"stack_file\": \"shield:\\n  deny: [\\\"203.0.113.5\\\"]\\n\"") !=
                NULL);
    free(text);
    analyze_stats_fini(&r->stats);
    free(r);
}

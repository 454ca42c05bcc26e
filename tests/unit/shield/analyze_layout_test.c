/* tests/unit/shield/analyze_layout_test.c: src/shield/analyze_layout.c (--log-format,
 * --apache-format) and the layout detection of analyze_parse.c (--format auto). */
#include "shield/analyze.h"

#include <errno.h>
#include <stdlib.h>
#include <string.h>

#include "check.h"

static void
want(struct slice s, const char *text)
{
    char buf[512];
    assert_true(s.len < sizeof(buf));
    memcpy(buf, s.p, s.len);
    buf[s.len] = '\0';
    EXPECT_STREQ(buf, text);
}

/* Parses one line with a compiled layout; returns the rc, *why on failure. */
static int
lay_parse(struct analyze_layout *lay, const char *line, struct analyze_line *l,
          const char **why, struct analyze_parser *p)
{
    analyze_parse_init(p, ANALYZE_LAYOUT);
    p->layout = lay;
    *why = NULL;
    return analyze_parse_line(p, line, strlen(line), l, why);
}

static struct analyze_layout *
compile_ok(enum analyze_layout_kind k, const char *fmt)
{
    char err[512] = "";
    struct analyze_layout *lay = analyze_layout_compile(k, fmt, err, sizeof(err));
    if (!lay)
        fail_msg("%s: %s", fmt, err);
    return lay;
}

TEST(analyze_layout_nginx_skips_unknown_variables_quoted_or_not)
{
    struct analyze_layout *lay = compile_ok(
        ANALYZE_LAYOUT_NGINX,
        "$remote_addr - $remote_user [$time_local] \"$request\" $status $body_bytes_sent "
        "\"$http_referer\" \"$http_user_agent\" rt=$request_time up=\"$upstream_addr\" "
        "\"$host\"");
    struct analyze_parser p;
    struct analyze_line l;
    const char *why;

    EXPECT_EQ(lay_parse(lay,
                        "203.0.113.7 - - [24/Nov/2026:21:59:58 +0000] \"GET /a/b?x=1 HTTP/1.1\" "
                        "404 153 \"-\" \"Mozilla/5.0 (X11; \\\"q\\\")\" rt=0.004 "
                        "up=\"10.0.0.1:80, 10.0.0.2:80\" \"shop.example.com:8443\"",
                        &l, &why, &p),
              0);
    want(l.addr_text, "203.0.113.7");
    EXPECT_EQ(l.time_ms, 1795557598000ULL);
    want(l.method, "GET");
    want(l.path, "/a/b");
    want(l.query, "x=1");
    EXPECT_EQ(l.status, 404);
    EXPECT_EQ(l.body_bytes, 153);
    EXPECT_EQ(l.referer.len, 0);
    want(l.user_agent, "Mozilla/5.0 (X11; \"q\")");
    want(l.host, "shop.example.com");
    analyze_parse_fini(&p);

    /* A line of another layout says where it stopped. */
    EXPECT_EQ(lay_parse(lay,
                        "203.0.113.7 - - [24/Nov/2026:21:59:58 +0000] \"GET / HTTP/1.1\" 200 5 "
                        "\"-\" \"curl\"",
                        &l, &why, &p),
              -EBADMSG);
    EXPECT_STREQ(why, "text \"\" rt=\" of the layout not found");
    analyze_parse_fini(&p);
    EXPECT_EQ(lay_parse(lay, "not a log line at all", &l, &why, &p), -EBADMSG);
    EXPECT_STREQ(why, "text \" - \" of the layout not found");
    analyze_parse_fini(&p);
    analyze_layout_free(lay);
}

TEST(analyze_layout_nginx_host_first_braces_msec_and_separate_fields)
{
    struct analyze_layout *lay = compile_ok(
        ANALYZE_LAYOUT_NGINX,
        "${host} ${remote_addr} $msec $request_method $uri $args $status ${bytes_sent} "
        "\"$http_user_agent\"");
    struct analyze_parser p;
    struct analyze_line l;
    const char *why;

    EXPECT_EQ(lay_parse(lay, "a.example 2001:db8::5 1795557598.250 POST /login u=1 401 80 \"x y\"",
                        &l, &why, &p),
              0);
    want(l.host, "a.example");
    EXPECT_EQ(l.addr.b[0], 0x20);
    EXPECT_EQ(l.time_ms, 1795557598250ULL);
    want(l.method, "POST");
    want(l.path, "/login");
    want(l.query, "u=1");
    EXPECT_EQ(l.status, 401);
    EXPECT_EQ(l.body_bytes, 80);
    want(l.user_agent, "x y");
    analyze_parse_fini(&p);
    analyze_layout_free(lay);

    /* The directive as nginx.conf holds it: pieces concatenated, escape= skipped. */
    lay = compile_ok(ANALYZE_LAYOUT_NGINX,
                     "log_format main escape=default '$remote_addr - $remote_user "
                     "[$time_local] \"$request\" '\n   '$status $body_bytes_sent';");
    EXPECT_EQ(lay_parse(lay, "10.1.2.3 - - [24/Nov/2026:21:59:58 +0000] \"GET /x HTTP/1.1\" 200 7",
                        &l, &why, &p),
              0);
    want(l.path, "/x");
    EXPECT_EQ(l.body_bytes, 7);
    analyze_parse_fini(&p);
    /* Text after the layout's end does not fit. */
    EXPECT_EQ(lay_parse(lay, "10.1.2.3 - - [24/Nov/2026:21:59:58 +0000] \"GET /x HTTP/1.1\" 200 7 "
                             "\"-\"",
                        &l, &why, &p),
              -EBADMSG);
    analyze_parse_fini(&p);
    analyze_layout_free(lay);
}

TEST(analyze_layout_apache_vhost_combined_and_friends)
{
    struct analyze_layout *lay = compile_ok(
        ANALYZE_LAYOUT_APACHE,
        "%v:%p %h %l %u %t \\\"%r\\\" %>s %O \\\"%{Referer}i\\\" \\\"%{User-Agent}i\\\"");
    struct analyze_parser p;
    struct analyze_line l;
    const char *why;

    EXPECT_EQ(lay_parse(lay,
                        "www.example:443 198.51.100.9 - - [24/Nov/2026:22:59:58 +0100] "
                        "\"GET /.env HTTP/1.1\" 404 437 \"-\" \"curl/7.88.1\"",
                        &l, &why, &p),
              0);
    want(l.host, "www.example");
    want(l.addr_text, "198.51.100.9");
    EXPECT_EQ(l.time_ms, 1795557598000ULL);
    want(l.path, "/.env");
    EXPECT_EQ(l.status, 404);
    EXPECT_EQ(l.body_bytes, 437);       /* %O, as no %b is logged */
    want(l.user_agent, "curl/7.88.1");
    analyze_parse_fini(&p);
    analyze_layout_free(lay);

    /* The LogFormat line itself; %D and %{X-Forwarded-For}i are skipped, %U%q read. */
    lay = compile_ok(ANALYZE_LAYOUT_APACHE,
                     "LogFormat \"%a %{msec}t \\\"%m %U%q %H\\\" %s %b %D \\\"%{X-Forwarded-For}i"
                     "\\\" %%\" timed");
    EXPECT_EQ(lay_parse(lay, "127.0.0.9 1795557598123 \"GET /q?a=1 HTTP/1.1\" 200 - 1234 "
                             "\"1.2.3.4, 5.6.7.8\" %",
                        &l, &why, &p),
              0);
    want(l.addr_text, "127.0.0.9");
    EXPECT_EQ(l.time_ms, 1795557598123ULL);
    want(l.method, "GET");
    want(l.path, "/q");
    want(l.query, "a=1");
    EXPECT_EQ(l.status, 200);
    EXPECT_EQ(l.body_bytes, 0);
    analyze_parse_fini(&p);
    EXPECT_EQ(lay_parse(lay, "127.0.0.9 1795557598123 \"GET /q HTTP/1.1\" 200 - 1234 \"-",
                        &l, &why, &p),
              -EBADMSG);
    EXPECT_STREQ(why, "\"%{X-Forwarded-For}i\" has no closing quote");
    analyze_parse_fini(&p);
    analyze_layout_free(lay);
}

TEST(analyze_layout_compile_errors_say_what_and_how)
{
    char err[512];

    EXPECT_EQ(analyze_layout_compile(ANALYZE_LAYOUT_NGINX, "$remote_addr [$time_local] $request",
                                     err, sizeof(err)),
              NULL);
    EXPECT_TRUE(strstr(err, "no status") && strstr(err, "$status"));
    EXPECT_EQ(analyze_layout_compile(ANALYZE_LAYOUT_NGINX,
                                     "$remote_addr$remote_user [$time_local] $request $status",
                                     err, sizeof(err)),
              NULL);
    EXPECT_TRUE(strstr(err, "column 13") && strstr(err, "nothing between"));
    EXPECT_EQ(analyze_layout_compile(ANALYZE_LAYOUT_NGINX, "${remote_addr", err, sizeof(err)),
              NULL);
    EXPECT_TRUE(strstr(err, "no closing"));
    EXPECT_EQ(analyze_layout_compile(ANALYZE_LAYOUT_APACHE, "%h %t %r %>s %", err, sizeof(err)),
              NULL);
    EXPECT_TRUE(strstr(err, "column 14") && strstr(err, "%%"));
    EXPECT_EQ(analyze_layout_compile(ANALYZE_LAYOUT_APACHE, "%l %t \"%r\" %>s", err, sizeof(err)),
              NULL);
    EXPECT_TRUE(strstr(err, "client address") && strstr(err, "%h"));
    EXPECT_EQ(analyze_layout_compile(ANALYZE_LAYOUT_APACHE, "", err, sizeof(err)), NULL);
    EXPECT_TRUE(strstr(err, "empty"));
    /* Two fields with nothing between are refused (Apache's %U%q is the exception). */
    EXPECT_EQ(analyze_layout_compile(ANALYZE_LAYOUT_APACHE, "%h%u %t \"%r\" %>s", err,
                                     sizeof(err)),
              NULL);
    EXPECT_TRUE(strstr(err, "%u follows %h"));
}

static enum analyze_format
detect(const char *const *lines, size_t n, size_t *fit)
{
    struct slice s[16];
    for (size_t i = 0; i < n; i++)
        s[i] = slice_make(lines[i], strlen(lines[i]));
    return analyze_parse_detect(s, n, fit);
}

TEST(analyze_layout_auto_detects_the_common_layouts)
{
    static const char *const host_last[] = {
        "10.0.0.1 - - [24/Nov/2026:21:59:58 +0000] \"GET / HTTP/1.1\" 200 5 \"-\" \"a\" "
        "0.004 \"shop.example.com\"",
        "10.0.0.2 - - [24/Nov/2026:21:59:58 +0000] \"GET /x HTTP/1.1\" 404 5 \"-\" \"a\" "
        "0.001 \"api.example.com\"",
        "garbage",
    };
    static const char *const xff_last[] = {
        "10.0.0.1 - - [24/Nov/2026:21:59:58 +0000] \"GET / HTTP/1.1\" 200 5 \"-\" \"a\" "
        "\"192.0.2.1\"",
        "10.0.0.2 - - [24/Nov/2026:21:59:58 +0000] \"GET / HTTP/1.1\" 200 5 \"-\" \"a\" \"-\"",
        "10.0.0.3 - - [24/Nov/2026:21:59:58 +0000] \"GET / HTTP/1.1\" 200 5 \"-\" \"a\" "
        "\"192.0.2.1, 198.51.100.2\"",
    };
    static const char *const host_first[] = {
        "shop.example.com 10.0.0.1 - - [24/Nov/2026:21:59:58 +0000] \"GET / HTTP/1.1\" 200 5 "
        "\"-\" \"a\"",
        "10.9.9.9 10.0.0.1 - - [24/Nov/2026:21:59:58 +0000] \"GET / HTTP/1.1\" 200 5 \"-\" "
        "\"a\"",
    };
    static const char *const nginx_json[] = {
        "{\"time_local\":\"24/Nov/2026:21:59:58 +0000\",\"remote_addr\":\"10.0.0.1\","
        "\"request_method\":\"GET\",\"request_uri\":\"/a?b=1\",\"status\":\"404\","
        "\"http_user_agent\":\"curl\",\"http_host\":\"x.example:80\"}",
    };
    size_t fit;

    EXPECT_EQ(detect(host_last, 3, &fit), ANALYZE_COMBINED_HOST_LAST);
    EXPECT_EQ(fit, 2);
    EXPECT_EQ(detect(xff_last, 3, &fit), ANALYZE_COMBINED);
    EXPECT_EQ(fit, 3);
    EXPECT_EQ(detect(host_first, 2, &fit), ANALYZE_COMBINED_HOST);
    EXPECT_EQ(detect(nginx_json, 1, &fit), ANALYZE_JSON);
    EXPECT_EQ(fit, 1);

    /* The nginx json keys read as tierd's own. */
    struct analyze_parser p;
    struct analyze_line l;
    const char *why;
    analyze_parse_init(&p, ANALYZE_JSON);
    EXPECT_EQ(analyze_parse_line(&p, nginx_json[0], strlen(nginx_json[0]), &l, &why), 0);
    want(l.method, "GET");
    want(l.path, "/a");
    want(l.query, "b=1");
    want(l.host, "x.example");
    EXPECT_EQ(l.status, 404);
    EXPECT_EQ(l.time_ms, 1795557598000ULL);
    analyze_parse_fini(&p);

    /* combined_host_last keeps combined's fields and takes the host. */
    analyze_parse_init(&p, ANALYZE_COMBINED_HOST_LAST);
    EXPECT_EQ(analyze_parse_line(&p, host_last[1], strlen(host_last[1]), &l, &why), 0);
    want(l.host, "api.example.com");
    want(l.path, "/x");
    EXPECT_EQ(analyze_parse_line(&p, xff_last[2], strlen(xff_last[2]), &l, &why), -EBADMSG);
    analyze_parse_fini(&p);
}

/* tests/unit/watch/prom_test.c: the Prometheus exposition: every line is a comment of the
 * right shape or `name{labels} value`; counters end in _total; histogram buckets are
 * cumulative and end in +Inf = _count; label values are escaped. */
#include "watch/prom.h"

#include <regex.h>
#include <stdlib.h>
#include <string.h>

#include "check.h"

#define T0 1700000000

TEST(watch_prom_exposition_format)
{
    struct series_reg *r = series_reg_new(16);
    struct metric_hist *h = calloc(1, sizeof(*h));
    struct watch_labels l = { 2, { "listener", "path" }, { "public", "a\"b\\c\nd" } };
    struct watch_labels g = { 1, { "target_group" }, { "web" } };
    struct buf out = { 0 };

    metric_hist_record(h, 2000);        /* 2 ms */
    metric_hist_record(h, 300000);      /* 300 ms */
    metric_hist_record(h, 20000000);    /* 20 s */
    series_reg_begin(r, T0);
    series_put_counter(r, "tierd_http_requests", &l, 42);
    series_put_gauge(r, "tierd_tg_healthy_hosts", &g, 3);
    series_put_hist(r, "tierd_http_response_seconds", &g, h);
    series_reg_end(r);
    prom_write(r, T0, &out);
    buf_append(&out, "", 1);
    char *text = buf_head(&out);

    regex_t sample, comment;
    EXPECT_EQ(regcomp(&sample, "^[a-zA-Z_:][a-zA-Z0-9_:]*(\\{([a-zA-Z_][a-zA-Z0-9_]*=\"([^\"\\\\]|"
                               "\\\\[\"\\\\n])*\",?)*\\})? [-+0-9.eEInfNa]+$", REG_EXTENDED), 0);
    EXPECT_EQ(regcomp(&comment, "^# (HELP|TYPE) [a-zA-Z_:][a-zA-Z0-9_:]* .+$", REG_EXTENDED), 0);
    unsigned lines = 0;
    for (char *line = strtok(text, "\n"); line; line = strtok(NULL, "\n"), lines++)
        if (regexec(line[0] == '#' ? &comment : &sample, line, 0, NULL, 0) != 0)
            fail_msg("bad line: %s", line);
    regfree(&sample);
    regfree(&comment);
    EXPECT_EQ(lines, 6 + 14 + 2 + 2);       /* 3 x (HELP, TYPE), 14 buckets, sum+count, 2 */

    /* Second pass over an unsplit copy for content. */
    buf_fini(&out);
    memset(&out, 0, sizeof(out));
    prom_write(r, T0, &out);
    buf_append(&out, "", 1);
    text = buf_head(&out);
    EXPECT_TRUE(strstr(text, "# TYPE tierd_http_requests_total counter\n") != NULL);
    EXPECT_TRUE(strstr(text, "tierd_http_requests_total{listener=\"public\",path=\"a\\\"b\\\\c\\nd\"} "
                             "42\n") != NULL);
    EXPECT_TRUE(strstr(text, "# TYPE tierd_http_response_seconds histogram\n") != NULL);
    EXPECT_TRUE(strstr(text, "tierd_http_response_seconds_bucket{target_group=\"web\",le=\"0.001\"} 0\n"));
    EXPECT_TRUE(strstr(text, "tierd_http_response_seconds_bucket{target_group=\"web\",le=\"0.0025\"} 1\n"));
    EXPECT_TRUE(strstr(text, "tierd_http_response_seconds_bucket{target_group=\"web\",le=\"0.5\"} 2\n"));
    EXPECT_TRUE(strstr(text, "tierd_http_response_seconds_bucket{target_group=\"web\",le=\"10\"} 2\n"));
    EXPECT_TRUE(strstr(text, "tierd_http_response_seconds_bucket{target_group=\"web\",le=\"+Inf\"} 3\n"));
    EXPECT_TRUE(strstr(text, "tierd_http_response_seconds_count{target_group=\"web\"} 3\n"));
    EXPECT_TRUE(strstr(text, "tierd_http_response_seconds_sum{target_group=\"web\"} 20.302\n"));
    EXPECT_TRUE(strstr(text, "tierd_tg_healthy_hosts{target_group=\"web\"} 3\n"));
    /* Stale series are left out. */
    buf_fini(&out);
    memset(&out, 0, sizeof(out));
    prom_write(r, T0 + PROM_STALE_S, &out);
    EXPECT_EQ(buf_len(&out), 0);
    buf_fini(&out);
    free(h);
    series_reg_free(r);
}

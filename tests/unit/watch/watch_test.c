/* tests/unit/watch/watch_test.c: the facade end to end in-process: the watch thread samples
 * the built-in host source and a test source, and the thread-safe reads (Prometheus,
 * latest, query, alarm list) see the values; an applied alarm starts INSUFFICIENT_DATA and
 * keeps its state across a restart (a new watch on the same state_dir). */
#include "watch/watch.h"

#include <errno.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

#include "check.h"
#include "conf/node.h"
#include "core/clock.h"

static void
test_source(void *ctx, struct watch_sink *sink)
{
    struct watch_labels l = { 1, { "auto_scaling_group" }, { "web" } };

    watch_sink_gauge(sink, "tierd_asg_cpu_utilization", &l, 42.5);
}

struct seen {
    unsigned n;
    char state[32];
};

static void
on_alarm(void *ctx, const struct watch_alarm_info *a)
{
    struct seen *s = ctx;

    s->n++;
    snprintf(s->state, sizeof(s->state), "%s", a->state);
}

static struct watch_conf *
conf(void)
{
    const char *yaml = "alarms:\n  high-cpu:\n    metric: cpu_utilization\n"
                       "    dimensions: { auto_scaling_group: web }\n    period: 10s\n"
                       "    comparison: greater_than_threshold\n    threshold: 80\n";
    struct diag d;
    static const char *const groups[] = { "web", NULL };

    diag_init(&d);
    struct conf_doc *doc = conf_doc_load_mem("t.yaml", yaml, strlen(yaml), &d);
    struct watch_conf *c = NULL;
    watch_conf_build(doc->root, &(struct conf_ctx){ .d = &d, .groups = groups }, &c);
    diag_print(&d, stderr);
    conf_doc_free(doc);
    diag_fini(&d);
    return c;
}

TEST(watch_facade_samples_and_serves_reads)
{
    char dir[] = "/tmp/watch-facade-XXXXXX", err[256], cmd[300];
    struct buf out = { 0 };
    struct seen seen = { 0 };
    struct watch_datapoint dp[8];
    struct watch_labels l = { 1, { "auto_scaling_group" }, { "web" } };
    double v = 0;

    EXPECT_TRUE(mkdtemp(dir) != NULL);
    struct watch *w = watch_new(dir, err, sizeof(err));
    EXPECT_TRUE(w != NULL);
    watch_add_source(w, test_source, NULL);
    watch_apply(w, conf());
    EXPECT_EQ(watch_start(w), 0);
    /* The first sample is taken at start; on a loaded machine the thread may be late, so
     * wait for it with a generous bound rather than a fixed sleep. */
    for (int i = 0; i < 200 && !watch_latest(w, "tierd_asg_cpu_utilization", &l, &v); i++)
        usleep(50 * 1000);
    EXPECT_TRUE(watch_latest(w, "tierd_asg_cpu_utilization", &l, &v));
    EXPECT_TRUE(v == 42.5);
    watch_prometheus(w, &out);
    buf_append(&out, "", 1);
    EXPECT_TRUE(strstr(buf_head(&out), "tierd_asg_cpu_utilization{auto_scaling_group=\"web\"} 42.5\n"));
    EXPECT_TRUE(strstr(buf_head(&out), "# TYPE tierd_host_load1 gauge\n"));
    int64_t now = (int64_t)(clock_wall_ms() / 1000);
    int n = watch_query(w, "cpu_utilization", &l, "maximum", 10, now - 20, now + 1, dp, 8);
    for (int i = 0; i < 200 && n < 1; i++) {
        usleep(50 * 1000);
        now = (int64_t)(clock_wall_ms() / 1000);
        n = watch_query(w, "cpu_utilization", &l, "maximum", 10, now - 20, now + 1, dp, 8);
    }
    EXPECT_TRUE(n >= 1);
    EXPECT_TRUE(dp[n - 1].value == 42.5);
    EXPECT_EQ(watch_query(w, "cpu_utilization", &l, "median", 10, now - 20, now, dp, 8), -EINVAL);
    watch_alarms_visit(w, on_alarm, &seen);
    EXPECT_EQ(seen.n, 1);
    watch_stop(w);
    watch_free(w);

    /* Restart: the alarm row survives in watch.db. */
    w = watch_new(dir, err, sizeof(err));
    watch_apply(w, conf());
    seen.n = 0;
    watch_alarms_visit(w, on_alarm, &seen);
    EXPECT_EQ(seen.n, 1);
    EXPECT_STREQ(seen.state, "INSUFFICIENT_DATA");
    watch_free(w);
    buf_fini(&out);
    snprintf(cmd, sizeof(cmd), "rm -rf %s", dir);
    EXPECT_EQ(system(cmd), 0);
}

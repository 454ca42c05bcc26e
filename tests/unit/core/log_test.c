/* tests/unit/core/log_test.c: the recent-events ring behind GET /v1/events. */
#include "core/log.h"
#include "check.h"

#include <fcntl.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

struct collected {
    unsigned n;
    uint64_t seq[8];
    enum log_level level[8];
    char text[8][512];
};

static void
collect(void *ctx, const struct log_recent *e)
{
    struct collected *c = ctx;

    if (c->n < 8) {
        c->seq[c->n] = e->seq;
        c->level[c->n] = e->level;
        snprintf(c->text[c->n], sizeof(c->text[0]), "%s|%s", e->subsystem, e->message);
    }
    c->n++;
}

TEST(log_recent_keeps_info_and_above_oldest_first)
{
    struct collected c = { 0 };
    int saved = dup(STDERR_FILENO), devnull = open("/dev/null", O_WRONLY);

    dup2(devnull, STDERR_FILENO);   /* the lines also go to stderr: keep the output clean */
    log_info("alpha", "first n=%d", 1);
    log_debug("alpha", "never kept n=%d", 2);
    log_warn("beta", "second n=%d", 3);
    log_error("gamma", "third n=%d", 4);
    dup2(saved, STDERR_FILENO);
    close(saved);
    close(devnull);

    EXPECT_EQ(log_recent_visit(3, collect, &c), 3);
    EXPECT_STREQ(c.text[0], "alpha|first n=1");
    EXPECT_STREQ(c.text[1], "beta|second n=3");
    EXPECT_STREQ(c.text[2], "gamma|third n=4");
    EXPECT_EQ(c.level[0], LOG_INFO);
    EXPECT_EQ(c.level[2], LOG_ERROR);
    EXPECT_EQ(c.seq[1], c.seq[0] + 1);
    EXPECT_EQ(c.seq[2], c.seq[1] + 1);
    c = (struct collected){ 0 };
    EXPECT_EQ(log_recent_visit(1, collect, &c), 1);
    EXPECT_STREQ(c.text[0], "gamma|third n=4");
    c = (struct collected){ 0 };
    EXPECT_TRUE(log_recent_visit(LOG_RECENT_MAX + 10, collect, &c) <= LOG_RECENT_MAX);
}

TEST(log_escapes_control_bytes_so_a_value_cannot_forge_a_line)
{
    struct collected c = { 0 };
    char path[] = "/tmp/tierd-log-XXXXXX", out[1024] = "";
    int saved = dup(STDERR_FILENO), fd = mkstemp(path);

    dup2(fd, STDERR_FILENO);
    log_warn("shield", "ban added addr=%s reason=%s", "127.0.0.9",
             "x\n2026-01-01T00:00:00.000Z info ctl forged\r\x1b[2J");
    dup2(saved, STDERR_FILENO);
    close(saved);
    lseek(fd, 0, SEEK_SET);
    ssize_t got = read(fd, out, sizeof(out) - 1);
    close(fd);
    unlink(path);
    EXPECT_TRUE(got > 0);
    out[got] = '\0';
    EXPECT_TRUE(strchr(out, '\n') == out + got - 1);     /* exactly one line */
    EXPECT_TRUE(strchr(out, '\r') == NULL && strchr(out, '\x1b') == NULL);
    EXPECT_TRUE(strstr(out, "reason=x\\x0a2026-01-01T00:00:00.000Z info ctl forged\\x0d"
                            "\\x1b[2J\n") != NULL);
    EXPECT_EQ(log_recent_visit(1, collect, &c), 1);
    EXPECT_TRUE(strchr(c.text[0], '\n') == NULL);
    EXPECT_TRUE(strstr(c.text[0], "reason=x\\x0a") != NULL);
}

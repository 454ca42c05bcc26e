/*
 * core/log.c: formats operator log lines and writes each with a single write(2).
 */
#include "core/log.h"

#include <errno.h>
#include <stdarg.h>
#include <stdio.h>
#include <string.h>
#include <time.h>
#include <unistd.h>

#include "core/clock.h"

enum log_level log_min_level = LOG_INFO;

static const char *const names[] = { "debug", "info", "warn", "error" };

void
log_set_level(enum log_level lvl)
{
    log_min_level = lvl;
}

int
log_level_parse(const char *s, enum log_level *out)
{
    for (int i = 0; i < 4; i++)
        if (strcmp(s, names[i]) == 0) {
            *out = (enum log_level)i;
            return 0;
        }
    return -EINVAL;
}

void
log_msg(enum log_level lvl, const char *subsys, const char *fmt, ...)
{
    char line[2048];
    uint64_t now = clock_wall_ms();
    time_t sec = (time_t)(now / 1000);
    struct tm tm;
    va_list ap;
    size_t n;
    int k;

    if (lvl < log_min_level)
        return;
    gmtime_r(&sec, &tm);
    n = strftime(line, sizeof(line), "%Y-%m-%dT%H:%M:%S", &tm);
    k = snprintf(line + n, sizeof(line) - n, ".%03uZ %s %s ", (unsigned)(now % 1000),
                 names[lvl], subsys);
    if (k > 0)
        n += (size_t)k;
    va_start(ap, fmt);
    k = vsnprintf(line + n, sizeof(line) - n - 1, fmt, ap);
    va_end(ap);
    if (k > 0)
        n += (size_t)k < sizeof(line) - n - 1 ? (size_t)k : sizeof(line) - n - 2;
    line[n++] = '\n';
    ssize_t w = write(STDERR_FILENO, line, n);
    (void)w;
}

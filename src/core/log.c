/*
 * core/log.c: formats operator log lines and writes each with a single write(2); keeps
 * the recent ones (info and above) in a ring for the control API.
 */
#include "core/log.h"

#include <errno.h>
#include <pthread.h>
#include <stdbool.h>
#include <stdint.h>
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

/* Repeats of one message (same format string) beyond LOG_BURST a second are counted,
 * not written; the next line of that message after the second says how many were
 * suppressed. Per thread, so no locks. */
#define LOG_BURST 10
#define LOG_SLOTS 32

static __thread struct {
    const char *fmt;
    uint64_t sec;
    unsigned n, suppressed;
} slots[LOG_SLOTS];

/* Returns true when this line may be written; *suppressed gets the count to report. */
static bool
log_admit(const char *fmt, uint64_t sec, unsigned *suppressed)
{
    unsigned i = (unsigned)(((uintptr_t)fmt >> 3) % LOG_SLOTS);

    *suppressed = 0;
    if (slots[i].fmt != fmt) {
        slots[i].fmt = fmt;
        slots[i].sec = sec;
        slots[i].n = 1;
        slots[i].suppressed = 0;
        return true;
    }
    if (slots[i].sec != sec) {
        *suppressed = slots[i].suppressed;
        slots[i].sec = sec;
        slots[i].n = 1;
        slots[i].suppressed = 0;
        return true;
    }
    if (++slots[i].n <= LOG_BURST)
        return true;
    slots[i].suppressed++;
    return false;
}

static struct {
    pthread_mutex_t lock;
    uint64_t next_seq;          /* seq of the next entry; entries are next_seq-1, -2, ... */
    struct log_recent ring[LOG_RECENT_MAX];
} recent = { .lock = PTHREAD_MUTEX_INITIALIZER, .next_seq = 1 };

static void
recent_add(uint64_t wall_ms, enum log_level lvl, const char *subsys, const char *msg,
           size_t len)
{
    pthread_mutex_lock(&recent.lock);
    struct log_recent *e = &recent.ring[(recent.next_seq - 1) % LOG_RECENT_MAX];
    e->seq = recent.next_seq++;
    e->wall_ms = wall_ms;
    e->level = lvl;
    snprintf(e->subsystem, sizeof(e->subsystem), "%s", subsys);
    if (len >= sizeof(e->message))
        len = sizeof(e->message) - 1;
    memcpy(e->message, msg, len);
    e->message[len] = '\0';
    pthread_mutex_unlock(&recent.lock);
}

unsigned
log_recent_visit(unsigned limit, log_recent_fn fn, void *ctx)
{
    unsigned n = 0;

    pthread_mutex_lock(&recent.lock);
    uint64_t have = recent.next_seq - 1;
    if (have > LOG_RECENT_MAX)
        have = LOG_RECENT_MAX;
    if (limit > have)
        limit = (unsigned)have;
    for (uint64_t seq = recent.next_seq - limit; seq < recent.next_seq; seq++, n++)
        fn(ctx, &recent.ring[(seq - 1) % LOG_RECENT_MAX]);
    pthread_mutex_unlock(&recent.lock);
    return n;
}

/* Appends msg to line at n with control bytes written as \xNN, so that a value that came
 * from a client, an API call or a file (a ban reason, a path, a name) cannot end the line
 * and forge another, nor move a terminal's cursor. The one place every log value passes
 * through; the access log escapes its own fields. Returns the new length (< cap). */
static size_t
log_escape(char *line, size_t n, size_t cap, const char *msg)
{
    for (const unsigned char *p = (const unsigned char *)msg; *p && n + 1 < cap; p++) {
        if (*p >= 0x20 && *p != 0x7f) {
            line[n++] = (char)*p;
            continue;
        }
        if (n + 5 >= cap)
            break;
        snprintf(line + n, 5, "\\x%02x", *p);
        n += 4;
    }
    return n;
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

    unsigned suppressed;

    if (lvl < log_min_level || !log_admit(fmt, now / 1000, &suppressed))
        return;
    gmtime_r(&sec, &tm);
    n = strftime(line, sizeof(line), "%Y-%m-%dT%H:%M:%S", &tm);
    k = snprintf(line + n, sizeof(line) - n, ".%03uZ %s %s ", (unsigned)(now % 1000),
                 names[lvl], subsys);
    if (k > 0)
        n += (size_t)k;
    size_t msg_at = n;
    char msg[sizeof(line)];
    va_start(ap, fmt);
    k = vsnprintf(msg, sizeof(msg), fmt, ap);
    va_end(ap);
    if (k > 0)
        n = log_escape(line, n, sizeof(line) - 1, msg);
    if (suppressed) {
        k = snprintf(line + n, sizeof(line) - n - 1, " (suppressed %u similar)", suppressed);
        if (k > 0 && (size_t)k < sizeof(line) - n - 1)
            n += (size_t)k;
    }
    if (lvl >= LOG_INFO)
        recent_add(now, lvl, subsys, line + msg_at, n - msg_at);
    line[n++] = '\n';
    ssize_t w = write(STDERR_FILENO, line, n);
    (void)w;
}

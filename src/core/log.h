/*
 * core/log.h: the operator log, one line per event:
 *   2026-11-24T21:59:58.123Z warn edge upstream reset target=127.0.0.1:9001
 * error: something was lost; warn: we recovered; info: state changed; debug: off by default.
 * Lines go to stderr with one write(2) each, so threads never interleave within a line.
 */
#ifndef CORE_LOG_H
#define CORE_LOG_H
#include <stdint.h>

enum log_level { LOG_DEBUG = 0, LOG_INFO, LOG_WARN, LOG_ERROR };

extern enum log_level log_min_level;

void log_set_level(enum log_level lvl);
/* Parses "debug|info|warn|error"; returns 0 or -EINVAL. */
int log_level_parse(const char *s, enum log_level *out);
void log_msg(enum log_level lvl, const char *subsys, const char *fmt, ...)
    __attribute__((format(printf, 3, 4)));

/* The recent-events ring: the last LOG_RECENT_MAX lines at info level and above, kept in
 * memory for the control API (GET /v1/events) as well as written to stderr. */
#define LOG_RECENT_MAX 1000

struct log_recent {
    uint64_t seq;               /* 1 for the first line since start, then +1 per line */
    uint64_t wall_ms;           /* Unix epoch milliseconds */
    enum log_level level;
    char subsystem[16];
    char message[480];          /* truncated; without the newline */
};

typedef void (*log_recent_fn)(void *ctx, const struct log_recent *e);
/* Calls fn for the last `limit` entries (at most LOG_RECENT_MAX), oldest first, under the
 * ring's lock: fn must not log. Returns the number visited. Thread-safe. */
unsigned log_recent_visit(unsigned limit, log_recent_fn fn, void *ctx);

#define log_debug(sub, ...) do { if (log_min_level <= LOG_DEBUG) log_msg(LOG_DEBUG, sub, __VA_ARGS__); } while (0)
#define log_info(sub, ...)  log_msg(LOG_INFO, sub, __VA_ARGS__)
#define log_warn(sub, ...)  log_msg(LOG_WARN, sub, __VA_ARGS__)
#define log_error(sub, ...) log_msg(LOG_ERROR, sub, __VA_ARGS__)

#endif

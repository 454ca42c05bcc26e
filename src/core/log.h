/*
 * core/log.h: the operator log, one line per event:
 *   2026-11-24T21:59:58.123Z warn edge upstream reset target=127.0.0.1:9001
 * error: something was lost; warn: we recovered; info: state changed; debug: off by default.
 * Lines go to stderr with one write(2) each, so threads never interleave within a line.
 */
#ifndef CORE_LOG_H
#define CORE_LOG_H

enum log_level { LOG_DEBUG = 0, LOG_INFO, LOG_WARN, LOG_ERROR };

extern enum log_level log_min_level;

void log_set_level(enum log_level lvl);
/* Parses "debug|info|warn|error"; returns 0 or -EINVAL. */
int log_level_parse(const char *s, enum log_level *out);
void log_msg(enum log_level lvl, const char *subsys, const char *fmt, ...)
    __attribute__((format(printf, 3, 4)));

#define log_debug(sub, ...) do { if (log_min_level <= LOG_DEBUG) log_msg(LOG_DEBUG, sub, __VA_ARGS__); } while (0)
#define log_info(sub, ...)  log_msg(LOG_INFO, sub, __VA_ARGS__)
#define log_warn(sub, ...)  log_msg(LOG_WARN, sub, __VA_ARGS__)
#define log_error(sub, ...) log_msg(LOG_ERROR, sub, __VA_ARGS__)

#endif

/*
 * edge/accesslog.h: a worker's buffered access log (accesslog.c).
 */
#ifndef EDGE_ACCESSLOG_H
#define EDGE_ACCESSLOG_H
#include <stdint.h>

#include "core/buf.h"
#include "core/loop.h"

struct txn;
struct worker;

struct accesslog {
    int fd;
    char *path;                 /* owned copy, to compare across generations */
    unsigned reopen_seq;
    int64_t ts_sec;             /* the second ts_combined was formatted for */
    char ts_combined[32];       /* "24/Nov/2026:21:59:58 +0000" */
    struct buf buf;
    struct loop_timer flush_timer;
};

void accesslog_open(struct worker *w);
void accesslog_write(struct worker *w, const struct txn *t, uint64_t now_us);
void accesslog_close(struct worker *w);

#endif

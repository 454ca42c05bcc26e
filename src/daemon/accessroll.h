/*
 * daemon/accessroll.h: what tierd does with the access log besides writing it: rotation
 * past access_log.max_size and at UTC midnight when access_log.retention is set, deletion
 * of rotated files past the retention (core/logrotate.c), and shipping every line to a
 * syslog socket (access_log.syslog; journald's /dev/log on a systemd host). It runs on the
 * daemon's main loop, four times a second, and talks to the edge only through
 * edge_reopen_logs(): the edge's workers keep writing the file as they always do.
 */
#ifndef DAEMON_ACCESSROLL_H
#define DAEMON_ACCESSROLL_H
#include <stdbool.h>
#include <stdint.h>

#include "conf/diag.h"
#include "conf/node.h"

struct loop;
struct edge;

struct accessroll_conf {
    char *path;                 /* NULL: no access log */
    uint64_t max_size;          /* bytes; 0: never by size */
    uint64_t retention_ms;      /* 0: keep every rotated file, never rotate by day */
    bool syslog;
    char *syslog_socket;
    int syslog_facility;        /* syslog's code (LOG_LOCAL7 >> 3 = 23) */
    char *syslog_tag;
};

/* Reads the access_log keys that are the daemon's from root (the edge reads path and
 * format itself). Returns a new conf, or NULL after diagnostics in d. */
struct accessroll_conf *accessroll_conf_build(const struct conf_node *root, struct diag *d);
void accessroll_conf_free(struct accessroll_conf *c);

/* A new roller on loop (the daemon's), telling edge to reopen after each rotation. */
struct accessroll *accessroll_new(struct loop *loop, struct edge *edge);
/* Takes c (NULL: nothing to do), replacing the one in use; prunes at once. Shipping
 * starts from the end of the file as it is now, so a reload never sends a line twice. */
void accessroll_apply(struct accessroll *r, struct accessroll_conf *c);
void accessroll_free(struct accessroll *r);

/* One round at wall time now_ms, as the timer runs it (for tests): rotate when due, prune
 * once an hour, ship what the file gained. */
void accessroll_tick(struct accessroll *r, uint64_t now_ms);

#endif

/*
 * daemon/stack.h: one stack file turned into every subsystem's configuration. Loading is
 * the same for `tierd check`, start-up and reload: build everything off to the side,
 * collect every error, and hand the result over only when all of it is valid.
 */
#ifndef DAEMON_STACK_H
#define DAEMON_STACK_H
#include <stdbool.h>
#include <stddef.h>

#include "conf/diag.h"
#include "ctl/ctl_conf.h"
#include "daemon/accessroll.h"
#include "data/data_conf.h"
#include "edge/edge_conf.h"
#include "fleet/fleet_conf.h"
#include "shield/shield.h"
#include "watch/watch.h"

struct stack {
    char *path;
    char *text;                 /* the file as loaded (served by GET /v1/config) */
    size_t text_len;
    char *state_dir;            /* `state_dir:` (default "state"): bans, alarms, fleet */
    struct edge_conf *edge;
    struct ctl_conf *ctl;
    struct shield_conf *shield; /* never NULL once loaded (off when absent) */
    struct fleet_conf *fleet;   /* never NULL once loaded (empty when absent) */
    struct watch_conf *watch;   /* never NULL once loaded (no alarms when absent) */
    struct accessroll_conf *roll;   /* access-log rotation and shipping; never NULL loaded */
    struct data_conf *data;     /* never NULL once loaded (no databases when absent) */
};

/* Returns a new stack, or NULL with every problem in d. `check_only` is for `tierd check`:
 * a secret referring to an unset environment variable is then a warning (in d->warns). */
struct stack *stack_load(const char *path, bool check_only, struct diag *d);
/* The same from text in memory (copied); `name` stands for the file in messages and is
 * kept as s->path. Relative paths inside (static roots, logs) are the daemon's. */
struct stack *stack_load_mem(const char *name, const char *text, size_t len,
                             struct diag *d);
void stack_free(struct stack *s);

#endif

/*
 * cli/verbs.h: the verbs that ask the running daemon (status, targets, events). Each
 * returns the process exit code: 0, 1 when the daemon refused, 3 when it cannot be reached.
 */
#ifndef CLI_VERBS_H
#define CLI_VERBS_H
#include <stdbool.h>

#define VERBS_EXIT_UNREACHABLE 3

struct verbs_opts {
    const char *socket;         /* resolved socket path */
    bool json;                  /* print the raw JSON instead of a table */
    const char *group;          /* targets: one group, or NULL */
    unsigned limit;             /* events: how many, 0 = the daemon's default */
};

int verbs_status(const struct verbs_opts *o);
int verbs_targets(const struct verbs_opts *o);
int verbs_events(const struct verbs_opts *o);

#endif

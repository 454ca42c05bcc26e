/*
 * conf/diag.h: collected diagnostics. Configuration errors are all gathered, then printed
 * one per line as "file:line:col: message" so that `tierd check` shows every problem.
 */
#ifndef CONF_DIAG_H
#define CONF_DIAG_H
#include <stdio.h>

struct conf_node;

struct diag {
    char **msgs;        /* owned, each "file:line:col: message" */
    unsigned n, cap;
    char **warns;       /* owned; warnings never fail a load */
    unsigned nwarn, capwarn;
};

void diag_init(struct diag *d);
void diag_fini(struct diag *d);
/* Adds "file:line:col: <fmt>" for the node's position. */
void diag_at(struct diag *d, const struct conf_node *at, const char *fmt, ...)
    __attribute__((format(printf, 3, 4)));
void diag_add(struct diag *d, const char *file, unsigned line, unsigned col, const char *fmt, ...)
    __attribute__((format(printf, 5, 6)));
/* A warning at the node's position ("file:line:col: warning: <fmt>"). */
void diag_warn_at(struct diag *d, const struct conf_node *at, const char *fmt, ...)
    __attribute__((format(printf, 3, 4)));
void diag_print(const struct diag *d, FILE *out);
void diag_print_warnings(const struct diag *d, FILE *out);
static inline unsigned
diag_count(const struct diag *d)
{
    return d->n;
}

#endif

/*
 * conf/ctx.h: what every subsystem's *_conf_build() is given besides the file's root: where
 * diagnostics go, how strictly secrets by reference are judged, and the names other
 * sections defined (auto scaling groups name target groups; alarms name both).
 * One signature for every reader:
 *     int X_conf_build(const struct conf_node *root, const struct conf_ctx *cx,
 *                      struct X_conf **out);
 * returns 0 and a new configuration in *out (released with X_conf_free), or -EINVAL after
 * adding every problem to cx->d (then *out is NULL).
 */
#ifndef CONF_CTX_H
#define CONF_CTX_H
#include <stdbool.h>

#include "conf/diag.h"

struct conf_ctx {
    struct diag *d;
    /* `tierd check`: "${env:NAME}" with NAME unset is a warning (the file is judged without
     * the secrets it refers to); `run` and `apply`: an error. */
    bool check_only;
    const char *const *target_groups;   /* NULL-terminated; set before the fleet reads */
    const char *const *groups;          /* auto scaling groups; set before watch reads */
    const char *const *databases;       /* databases:; set before the fleet reads */
};

#endif

/*
 * conf/ref.h: secrets by reference. A value may hold "${env:NAME}" where the secret itself
 * would go; the reference is what the stack file, plan, status and the state db keep, and
 * the value is read from tierd's environment only where it is used. One convention for
 * every field that may hold a secret (launch template env, webhook secrets, SMTP
 * credentials, control tokens). Names follow POSIX: letters, digits and '_', not starting
 * with a digit.
 */
#ifndef CONF_REF_H
#define CONF_REF_H
#include <stdbool.h>
#include <stddef.h>

#include "conf/ctx.h"
#include "conf/node.h"

/* What tierd prints in place of a sensitive value (as Terraform does). */
#define CONF_SENSITIVE "(sensitive)"

/* "${db:NAME.FIELD}" references (a database's host, port, socket or a user's password)
 * are expanded by a resolver the daemon registers: it returns a new string (wiped and
 * freed after use), or NULL when there is no such value. Callable from any thread. */
typedef char *(*conf_ref_db_fn)(void *ctx, const char *ref);
void conf_ref_set_db(conf_ref_db_fn fn, void *ctx);

/* True when s holds at least one "${env:" or "${db:" reference. */
bool conf_ref_has(const char *s);
/* True when s is exactly one reference and nothing else; sets name (cap bytes). */
bool conf_ref_is_whole(const char *s, char *name, size_t cap);
/* Checks every "${env:NAME}" and "${db:NAME.FIELD}" (against cx->databases) in the scalar n: a malformed reference is an error; a
 * reference to an unset variable is an error, or a warning when cx->check_only (tierd
 * check judges a file without its secrets). `what` names the field. 0 or -EINVAL. */
int conf_ref_check(const struct conf_node *n, const char *what, const struct conf_ctx *cx);
/* Returns a new string with every reference replaced by the variable's value, or NULL with
 * errno EINVAL (malformed) or ENOENT (unset; *missing, if given, names it, cap bytes). A
 * value without references is copied. The caller frees, and should wipe, the result. */
char *conf_ref_expand(const char *s, char *missing, size_t cap);
/* True for a plausible environment variable name. */
bool conf_ref_name_ok(const char *s, size_t len);

#endif

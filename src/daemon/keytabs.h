/*
 * daemon/keytabs.h: every subsystem's key table in one list, for what spans the whole
 * file: the unknown top-level key check, plan (what is sensitive, what restarts or
 * replaces), redacting the file served by GET /v1/config, and `tierd keys`. The daemon is
 * the one place that knows every subsystem, so the list lives here.
 */
#ifndef DAEMON_KEYTABS_H
#define DAEMON_KEYTABS_H
#include <stdbool.h>
#include <stddef.h>

#include "conf/keys.h"
#include "conf/node.h"

/* The daemon's own keys (daemon/stack_keys.c). */
enum stack_key { DK_STATE_DIR = 0, DK_COUNT };
extern const struct conf_key stack_keys[DK_COUNT];

/* NULL-terminated, in the order of docs/stack-file.md. */
extern const struct conf_keytab *const keytabs_all[];

/* The entry for a node as conf/node.c names it ("launch_templates.app.env.DB"), or NULL. */
const struct conf_key *keytabs_lookup(const struct conf_node *n);
/* True when n's value must not be shown: its key is sensitive and the value is a literal
 * (a "${env:NAME}" reference names a variable, not a secret, and may be shown). */
bool keytabs_hide(const struct conf_node *n);
/* Returns a new copy of the stack file text with every hidden value (keytabs_hide())
 * replaced by "(sensitive)"; *out_len is its length. root is the text's parsed tree. */
char *keytabs_redact(const char *text, size_t len, const struct conf_node *root,
                     size_t *out_len);
/* Prints every key: "path<TAB>type<TAB>default<TAB>flags" (or a JSON array with json). */
void keytabs_print(bool json);

#endif

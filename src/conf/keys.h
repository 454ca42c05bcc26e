/*
 * conf/keys.h: the key table. Every stack-file key is described once, in its subsystem's
 * table (edge/edge_keys.c, fleet/fleet_keys.c, ...): its path, type, default, bounds, and
 * whether it is required, sensitive, or forces a replacement when it changes. Readers,
 * policy rules, `plan` and the test that holds docs/stack-file.md to the tables all consult
 * the same entries (Redis's static_configs[] is the model: one table, many uses).
 *
 * A path is dotted from the top of the file: "auto_scaling_groups.*.min_size", where "*"
 * stands for any name of a named map and "[]" for any item of a list
 * ("listeners[].rules[].forward"). A table is an array indexed by its subsystem's enum,
 * written with designated initializers so that an entry can be found by its constant.
 */
#ifndef CONF_KEYS_H
#define CONF_KEYS_H
#include <stdbool.h>
#include <stdint.h>

#include "conf/node.h"

enum conf_ktype {
    KT_MAP = 0,         /* a map of fixed keys (its children are other entries) */
    KT_NAMED,           /* a map of user-chosen names to entries ("target_groups") */
    KT_LIST,            /* a list (of scalars, or of maps whose keys are "path[].key") */
    KT_STRING,
    KT_BOOL,
    KT_UINT,            /* decimal integer in [min, max] */
    KT_NUMBER,          /* decimal number; bounds are documented, checked by the reader */
    KT_DURATION,        /* "5s"; min/max in milliseconds */
    KT_SIZE,            /* "16k"; min/max in bytes */
    KT_ENUM,            /* one of words[] */
    KT_ANY,             /* a scalar or a structure its reader judges (e.g. "auto" or 1..256) */
};

enum {
    CONF_KEY_REQUIRED = 1u << 0,    /* absent is an error */
    CONF_KEY_SENSITIVE = 1u << 1,   /* never shown: plan, apply, status, events, logs, API */
    CONF_KEY_REPLACE = 1u << 2,     /* a change replaces the resource (plan says so) */
    CONF_KEY_RESTART = 1u << 3,     /* a change takes effect only when tierd restarts */
    CONF_KEY_ENV_REF = 1u << 4,     /* may be written as "${env:NAME}" (a secret by reference) */
};

struct conf_key {
    const char *path;
    enum conf_ktype type;
    unsigned flags;
    const char *def;            /* the default as it would be written in the file; NULL: none */
    uint64_t min, max;          /* KT_UINT, KT_DURATION (ms), KT_SIZE (bytes); both 0: any */
    const char *const *words;   /* KT_ENUM: NULL-terminated, indexed by the reader's enum */
};

/* One subsystem's table, for code that walks every key (plan, docs test, check). */
struct conf_keytab {
    const char *name;           /* "edge", "fleet", ... */
    const struct conf_key *keys;
    unsigned n;
};

/* The last component of k->path ("min_size"); borrowed from the path. */
const char *conf_key_leaf(const struct conf_key *k);
/* The value of k's leaf in `map`, or NULL when absent or written as YAML null. */
const struct conf_node *conf_key_get(const struct conf_node *map, const struct conf_key *k);
/* The key node of k's leaf in map (for positions), or NULL. */
const struct conf_node *conf_key_node(const struct conf_node *map, const struct conf_key *k);
/* Reports every key of `map` that is not a child of `parent` in tab[0..n), with "did you
 * mean", and every required child that is missing (at the map's position). */
void conf_key_check_map(const struct conf_node *map, const struct conf_key *tab, unsigned n,
                        const struct conf_key *parent, const char *what, struct diag *d);
/* The entry whose path is `path` (names written "*", indexes "[]") in any of `tabs`
 * (NULL-terminated; daemon/keytabs.c lists them all); NULL when no key has that path. */
const struct conf_key *conf_key_find(const struct conf_keytab *const *tabs, const char *path);
/* Like conf_key_find() for a concrete path as conf/node.c writes it
 * ("target_groups.web.health_check.path", "listeners[0].address"): each component is tried
 * as itself, then as "*" (a name) or "[]" (an index). */
const struct conf_key *conf_key_lookup(const struct conf_keytab *const *tabs,
                                       const char *node_path);

/*
 * Typed readers by key: each reads k's leaf in `map`. They return 0 and set *out from the
 * value, or from k->def when the key is absent; -ENOENT when it is absent without a default
 * (silently: conf_key_check_map() reports missing required keys); -EINVAL after one
 * diagnostic naming the
 * path, the value and the accepted range. *out is untouched unless 0 is returned.
 */
int conf_key_string(const struct conf_node *map, const struct conf_key *k, const char **out,
                    struct diag *d);
int conf_key_bool(const struct conf_node *map, const struct conf_key *k, bool *out,
                  struct diag *d);
int conf_key_uint(const struct conf_node *map, const struct conf_key *k, uint64_t *out,
                  struct diag *d);
int conf_key_duration(const struct conf_node *map, const struct conf_key *k, uint64_t *out,
                      struct diag *d);
int conf_key_size(const struct conf_node *map, const struct conf_key *k, uint64_t *out,
                  struct diag *d);
/* KT_ENUM: the index into k->words, or -ENOENT / -EINVAL as above. */
int conf_key_enum(const struct conf_node *map, const struct conf_key *k, struct diag *d);

/* A name for a resource (letters, digits, '-', '_', '.', 1..max bytes). */
bool conf_name_ok(const char *s, unsigned max);
/* Reports a bad name at `key` ("launch template \"a b\": a name uses ..."). 0 or -EINVAL. */
int conf_name_check(const struct conf_node *key, const char *what, unsigned max,
                    struct diag *d);
/* One of `words` (NULL-terminated): the index, or -EINVAL after a diagnostic with
 * "did you mean" or the list of words. */
int conf_enum(const struct conf_node *n, const char *const *words, const char *what,
              struct diag *d);
/* Checks that tab[0..n) is consistent: no gap, every parent present, every default within
 * bounds and readable as its type. Returns NULL, or a message about the first bad entry
 * (static storage). For the unit tests of every table. */
const char *conf_keytab_verify(const struct conf_key *tab, unsigned n);

#endif

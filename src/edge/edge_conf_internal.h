/*
 * edge/edge_conf_internal.h: helpers shared by the files that read the edge's sections
 * (edge_conf.c: listeners, rules, access_log, edge; tg_conf.c: target_groups). Both read
 * through the key table of edge_keys.c.
 */
#ifndef EDGE_EDGE_CONF_INTERNAL_H
#define EDGE_EDGE_CONF_INTERNAL_H
#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>

#include "conf/keys.h"
#include "conf/node.h"
#include "core/sock.h"
#include "edge/edge_conf.h"
#include "edge/edge_keys.h"

#define EDGE_K(id) (&edge_keys[id])

/* Reports the unknown keys of `map` and its missing required keys, the children of the
 * entry `parent`; nothing when map is NULL or not a map. */
void edge_conf_check_map(const struct conf_node *map, enum edge_key parent, const char *what,
                         struct diag *d);
/* The value of key `id` in map as written, YAML null included (conf_key_get() hides null):
 * for keys whose mere presence means something. NULL when absent. */
const struct conf_node *edge_conf_raw(const struct conf_node *map, enum edge_key id);
/* A section that may be absent (or written as an empty "key:"); reports anything but a map. */
const struct conf_node *edge_conf_section(const struct conf_node *map, enum edge_key id,
                                          const char *what, struct diag *d);
/* Reads "host:port": 0 with *addr and *text (new string), or -EINVAL after a diagnostic. */
int edge_conf_addr(const struct conf_node *n, const char *what, struct sock_addr *addr,
                   char **text, struct diag *d);

/* tg_conf.c: reads target_groups into c->tgs, adding a diagnostic per problem. */
void tg_conf_read_all(struct edge_conf *c, const struct conf_node *root, struct diag *d);

#endif

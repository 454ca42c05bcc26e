/*
 * edge/edge_conf_internal.h: helpers shared by the files that read the edge's sections
 * (edge_conf.c: listeners, rules, access_log, edge; tg_conf.c: target_groups).
 */
#ifndef EDGE_EDGE_CONF_INTERNAL_H
#define EDGE_EDGE_CONF_INTERNAL_H
#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>

#include "conf/node.h"
#include "core/sock.h"
#include "edge/edge_conf.h"

#define EDGE_CONF_NAME_MAX 64
#define EDGE_CONF_SEC 1000ULL

bool edge_conf_name_ok(const char *s);
/* A section that may be absent (or written as an empty "key:"); reports anything but a map. */
const struct conf_node *edge_conf_section(const struct conf_node *map, const char *key,
                                          const char *what, struct diag *d);
/* Writes ms as a duration in its largest exact unit ("5s", "1500ms", "2m") for messages. */
const char *edge_conf_ms_text(uint64_t ms, char *buf, size_t len);
/* Reads a duration within [min_ms, max_ms]; 0, or -EINVAL after one diagnostic. */
int edge_conf_duration_in(const struct conf_node *n, uint64_t min_ms, uint64_t max_ms,
                          const char *range, uint64_t *out, struct diag *d);
/* Reads "host:port": 0 with *addr and *text (new string), or -EINVAL after a diagnostic. */
int edge_conf_addr(const struct conf_node *n, const char *what, struct sock_addr *addr,
                   char **text, struct diag *d);

/* tg_conf.c: reads target_groups into c->tgs, adding a diagnostic per problem. */
void tg_conf_read_all(struct edge_conf *c, const struct conf_node *root, struct diag *d);

#endif

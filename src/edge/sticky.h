/*
 * edge/sticky.h: cookie stickiness to a target of a group (sticky.c).
 */
#ifndef EDGE_STICKY_H
#define EDGE_STICKY_H
#include <stdint.h>

#include "core/buf.h"
#include "edge/edge_conf.h"
#include "edge/target.h"
#include "http/h1.h"

struct tg_rt;

#define STICKY_COOKIE "tierd_tg"
uint64_t sticky_key(const char *group, const struct target *t);
/* The index in rt of the target r's cookie names, if it may take traffic now; else -1. */
int sticky_lookup(const struct h1_request *r, const struct edge_tg_conf *tc,
                  const struct tg_rt *rt);
void sticky_set_cookie(struct buf *out, const struct edge_tg_conf *tc, const struct target *t);

#endif

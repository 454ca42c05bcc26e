/*
 * edge/route.h: a listener's rules matched against a request (route.c).
 */
#ifndef EDGE_ROUTE_H
#define EDGE_ROUTE_H
#include <stdbool.h>
#include <stddef.h>

#include "edge/edge_conf.h"
#include "http/h1.h"

const struct edge_rule *route_match(const struct edge_listener_conf *lc,
                                    const struct h1_request *r);
bool route_glob_match(const char *pat, const char *s, size_t len);

#endif

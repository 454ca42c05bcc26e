/*
 * edge/h2conf.h: a listener's `http2:` block (h2conf.c).
 */
#ifndef EDGE_H2CONF_H
#define EDGE_H2CONF_H
#include "conf/node.h"
#include "edge/edge_conf.h"

/* Reads listeners[].http2 of `listener` (absent: every default) into *h, adding a
 * diagnostic per problem; `what` names the listener in messages. */
void h2conf_read(struct edge_http2_conf *h, const struct conf_node *listener, const char *what,
                 struct diag *d);

#endif

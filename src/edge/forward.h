/*
 * edge/forward.h: request and response heads as tierd rewrites them in both directions,
 * and its local responses (forward.c).
 */
#ifndef EDGE_FORWARD_H
#define EDGE_FORWARD_H
#include <stdbool.h>

#include "core/buf.h"
#include "http/h1.h"

struct conn;
struct txn;

int forward_request_head(struct buf *out, const struct h1_request *r, const struct conn *c,
                         const struct txn *t);
int forward_response_head(struct buf *out, const struct h1_response *r, struct txn *t,
                          bool close_client);
/* A complete locally generated response (error pages). */
int forward_local_response(struct buf *out, int status, bool close, const char *extra_headers);

#endif

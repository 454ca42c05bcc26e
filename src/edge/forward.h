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
/* The Strict-Transport-Security value for t's responses, or NULL (plain, or no hsts). */
const char *forward_hsts(const struct txn *t);
/* Inserts "name: value" at the end of the response head that starts at offset head_start
 * of out (before its empty line). 0, -EINVAL (no complete head there) or -ENOMEM. */
int forward_add_field(struct buf *out, size_t head_start, const char *name, const char *value);
/* A complete locally generated response (error pages). */
int forward_local_response(struct buf *out, int status, bool close, const char *extra_headers);

#endif

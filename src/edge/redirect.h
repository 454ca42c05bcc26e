/*
 * edge/redirect.h: the Location of ALB's redirect action (redirect.c), from the rule's
 * templates and the request.
 */
#ifndef EDGE_REDIRECT_H
#define EDGE_REDIRECT_H
#include <stdbool.h>
#include <stdint.h>

#include "core/buf.h"
#include "core/slice.h"
#include "edge/edge_conf.h"

/* What the placeholders stand for in one request. */
struct redirect_req {
    bool tls;                   /* #{protocol}: https when the listener speaks TLS */
    struct slice host;          /* the Host header; a port in it is dropped for #{host} */
    uint16_t port;              /* #{port}: the listener's port */
    struct slice path;          /* starts with '/'; #{path} is it without that '/' */
    struct slice query;         /* without '?' */
};

/* Appends the absolute URL to out (no CR or LF can appear: the request's parts were
 * parsed as a request target and a host). 0 or -ENOMEM. */
int redirect_location(const struct edge_redirect_conf *rd, const struct redirect_req *q,
                      struct buf *out);

#endif

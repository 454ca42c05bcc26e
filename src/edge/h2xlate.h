/*
 * edge/h2xlate.h: one HTTP/2 request's header block turned into an HTTP/1.1 request head
 * (h2xlate.c), which the HTTP/1 parser then judges with the strictness it applies to any
 * client (RFC 9113 §8.3 pseudo-headers, §8.2.2 connection-specific fields, §8.2.3 cookies).
 * Pure: bytes in, bytes out, no sockets and no nghttp2, so the fuzzer drives it directly.
 */
#ifndef EDGE_H2XLATE_H
#define EDGE_H2XLATE_H
#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>

#include "core/buf.h"

/* Limits of one header block; breaking one is abuse (the connection is cut off). */
struct h2xlate_limits {
    uint64_t list_bytes;        /* name + value + 32 per field (9113 §6.5.2) */
    uint64_t fields;
};

struct h2xlate {
    struct buf fields;          /* "name: value\r\n" for the regular fields, in order */
    struct buf cookie;          /* the cookie crumbs, joined with "; " */
    char *method, *path, *authority, *scheme;   /* the pseudo-headers (owned) */
    uint32_t host_off, host_len;/* the host field's value, inside `fields` (which moves) */
    bool has_host, has_length, regular;     /* regular: a non-pseudo field was seen */
    uint64_t list_bytes, nfields;
    bool is_head;               /* :method HEAD: the response has no body */
};

enum h2xlate_result {
    H2XLATE_OK = 0,
    H2XLATE_MALFORMED,          /* answer the stream 400 (or reset it) */
    H2XLATE_LIMIT,              /* a limit broke: cut the connection off */
};

void h2xlate_init(struct h2xlate *x);
void h2xlate_fini(struct h2xlate *x);
/* Adds one field of the block (names arrive lowercase from HTTP/2; anything else is
 * MALFORMED). Counts it against lim. */
enum h2xlate_result h2xlate_add(struct h2xlate *x, const struct h2xlate_limits *lim,
                                const uint8_t *name, size_t nlen, const uint8_t *value,
                                size_t vlen);
/* Adds one field of a request's trailer block (after the head was written), checked as a
 * head's fields are and counted against lim as a block of its own: fields that may travel
 * in a trailer (h1_trailer_allowed()) go to x->fields as "name: value\r\n", the others
 * are dropped. MALFORMED for a pseudo-header, a bad name or value. */
enum h2xlate_result h2xlate_trailer(struct h2xlate *x, const struct h2xlate_limits *lim,
                                    const uint8_t *name, size_t nlen, const uint8_t *value,
                                    size_t vlen);
/* Writes the HTTP/1.1 head into out: request-line, Host (from :authority, or the host
 * field), the fields, Cookie, and the framing: Content-Length as sent, else
 * Transfer-Encoding: chunked when a body follows (end_stream false), ending with CRLF.
 * H2XLATE_MALFORMED for a missing pseudo-header, :authority and host that differ, or a
 * CONNECT (tunnels stay on HTTP/1.1). On success *chunked says the body needs chunk framing. */
enum h2xlate_result h2xlate_head(struct h2xlate *x, bool end_stream, struct buf *out,
                                 bool *chunked);

#endif

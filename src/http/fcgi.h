/*
 * http/fcgi.h: the FastCGI record layer (FastCGI 1.0 specification, Open Market 1996) on
 * the client's side, and the CGI/1.1 response head an application writes on FCGI_STDOUT
 * (RFC 3875 §6). Pure functions over bytes: no sockets, no allocation beyond the caller's
 * struct buf, no clock. Parsed values are slices into the caller's bytes.
 */
#ifndef HTTP_FCGI_H
#define HTTP_FCGI_H
#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>
#include <sys/types.h>

#include "core/buf.h"
#include "http/h1.h"

#define FCGI_HEADER_LEN 8
#define FCGI_CONTENT_MAX 65535u

enum fcgi_type {
    FCGI_BEGIN_REQUEST = 1,
    FCGI_ABORT_REQUEST = 2,
    FCGI_END_REQUEST = 3,
    FCGI_PARAMS = 4,
    FCGI_STDIN = 5,
    FCGI_STDOUT = 6,
    FCGI_STDERR = 7,
};

enum { FCGI_RESPONDER = 1, FCGI_KEEP_CONN = 1 };
enum { FCGI_REQUEST_COMPLETE = 0 };

struct fcgi_header {
    uint8_t type;               /* enum fcgi_type */
    uint16_t request_id;
    uint16_t content_len;
    uint8_t padding_len;
};

/* Parses the 8-byte header of a record an application sent to the request `id` at p.
 * Returns FCGI_HEADER_LEN, -EAGAIN with fewer than 8 bytes, or -EBADMSG with a reason in
 * *why: a version other than 1, another request id, or a type an application may not send
 * a client (only STDOUT, STDERR and END_REQUEST are; an END_REQUEST is 8 bytes long). */
ssize_t fcgi_header_parse(const void *p, size_t len, uint16_t id, struct fcgi_header *h,
                          const char **why);

/* Appends a record header; the caller appends content_len bytes and the padding. */
int fcgi_header_put(struct buf *out, uint8_t type, uint16_t id, uint16_t content_len,
                    uint8_t padding_len);
/* Appends BEGIN_REQUEST (role RESPONDER) with FCGI_KEEP_CONN when keep_conn. */
int fcgi_begin_put(struct buf *out, uint16_t id, bool keep_conn);
/* Appends one name-value pair's encoding (lengths of 1 or 4 bytes, §3.4) to out; the
 * caller wraps pairs in PARAMS records. */
int fcgi_pair_put(struct buf *out, const char *name, size_t nlen, const char *value,
                  size_t vlen);
/* Appends `n` bytes as records of `type` (STDIN, PARAMS), split at FCGI_CONTENT_MAX;
 * n == 0 appends the empty record that ends the stream. */
int fcgi_stream_put(struct buf *out, uint8_t type, uint16_t id, const void *p, size_t n);

/* Decodes END_REQUEST's 8 content bytes: the app status, and 0 or -EBADMSG (with *why)
 * when protocolStatus is not REQUEST_COMPLETE (overloaded, cannot multiplex, unknown role). */
int fcgi_end_parse(const void *p, uint32_t *app_status, const char **why);

/*
 * Parses a CGI response head (RFC 3875 §6.2-6.3): header fields up to the blank line, with
 * the field strictness of h1_parse_response() (h1_fields_scan: CRLF only, no obs-fold, no
 * bad bytes), into r as an HTTP/1.1 response would be. `Status: NNN reason` gives the
 * status and is flagged H1_HDR_HOP (never forwarded); without it, a Location gives 302
 * and otherwise 200. Content-Length gives LENGTH framing, none CLOSE (the end is the
 * application's END_REQUEST); Transfer-Encoding, a second Status or a bad one is an error.
 * A 1xx status is an error; HEAD requests, 204 and 304 get NONE. Returns bytes consumed, -EAGAIN while the head
 * is incomplete and within lim, or -EBADMSG with *why.
 */
ssize_t fcgi_cgi_head_parse(const char *p, size_t len, const struct h1_limits *lim,
                            bool head_request, struct h1_response *r, const char **why);

#endif

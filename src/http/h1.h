/*
 * http/h1.h: strict HTTP/1.1 message-head parsers (RFC 9110/9112) and the chunked
 * body decoder. Pure functions over bytes: no sockets, no allocation, no clock.
 * Parsed values are slices into the caller's buffer and die with it.
 *
 * Strictness follows ../shared/reference/http-proxy.md sections 1, 2 and 6: every framing
 * ambiguity and smuggling vector listed there is an error, never "corrected".
 */
#ifndef HTTP_H1_H
#define HTTP_H1_H
#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>
#include <sys/types.h>

#include "core/slice.h"

#define H1_HEADERS_MAX 256      /* hard array bound; the configured limit is lower */

struct h1_limits {
    size_t line_max_bytes;      /* request-line; longer: 414 (default 8192) */
    size_t head_max_bytes;      /* whole head incl. request-line; larger: 431 (default 16384) */
    unsigned headers_max;       /* field lines; more: 431 (default 100, at most H1_HEADERS_MAX) */
};

/* Flags the parser sets on each field so that the proxy can rewrite without re-comparing
 * names. H1_HDR_HOP marks fields never forwarded as they are (hop-by-hop per 9110 §7.6.1,
 * including names listed in Connection, except framing/Host fields which are regenerated). */
enum {
    H1_HDR_HOP = 1 << 0,
    H1_HDR_HOST = 1 << 1,
    H1_HDR_CONTENT_LENGTH = 1 << 2,
    H1_HDR_TRANSFER_ENCODING = 1 << 3,
    H1_HDR_CONNECTION = 1 << 4,
    H1_HDR_UPGRADE = 1 << 5,
    H1_HDR_X_FORWARDED_FOR = 1 << 6,
    H1_HDR_X_FORWARDED_PROTO = 1 << 7,   /* also X-Forwarded-Port and X-Forwarded-Host */
    H1_HDR_X_REQUEST_ID = 1 << 8,
    H1_HDR_VIA = 1 << 9,
    H1_HDR_EXPECT = 1 << 10,
    H1_HDR_USER_AGENT = 1 << 11,
    H1_HDR_REFERER = 1 << 12,
    H1_HDR_KEEP_ALIVE = 1 << 13,
};

struct h1_header {
    struct slice name;
    struct slice value;         /* OWS trimmed */
    uint32_t flags;
};

enum h1_framing {
    H1_FRAMING_NONE = 0,        /* no body */
    H1_FRAMING_LENGTH,          /* content_length bytes */
    H1_FRAMING_CHUNKED,
    H1_FRAMING_CLOSE,           /* response only: until the server closes */
};

struct h1_request {
    struct slice method;
    struct slice target;        /* as received (absolute-form included) */
    struct slice path;          /* origin-form path without the query; for absolute-form
                                   the path part of the URI ("/" when empty) */
    struct slice query;         /* after '?', without it; empty if none */
    struct slice host;          /* authority to route on: from an absolute-form target,
                                   else the Host field; empty only for HTTP/1.0 without Host */
    int version_minor;          /* 0 or 1 */
    enum h1_framing framing;    /* NONE, LENGTH or CHUNKED */
    uint64_t content_length;
    bool keep_alive;            /* 1.1 without "close", or 1.0 with "keep-alive" */
    bool expect_continue;       /* Expect: 100-continue on HTTP/1.1 */
    bool upgrade_websocket;     /* GET, 1.1, Connection has upgrade, Upgrade has websocket */
    bool absolute_form;
    int64_t max_forwards;       /* OPTIONS and TRACE: the Max-Forwards value (saturated at
                                   UINT32_MAX), -1 when absent or another method; that field
                                   is then marked H1_HDR_HOP: the proxy sends value - 1 */
    size_t head_len;            /* bytes of the head including the final CRLFCRLF */
    unsigned nheaders;
    struct h1_header headers[H1_HEADERS_MAX];
    int error_status;           /* on -EBADMSG: 400, 405, 414, 417, 431, 501 or 505 */
};

/* Where h1_request_prefix_check() stopped in a head that is still arriving. */
struct h1_request_prefix {
    uint32_t pos;               /* input bytes checked so far */
    uint32_t line;              /* where the request-line starts */
    uint16_t nfields;           /* complete field lines so far */
    uint8_t state;
    uint8_t vers;               /* bytes of "HTTP/d.d" seen */
    uint16_t status;            /* once refused: the status (the refusal is sticky) */
    const char *why;
};

struct h1_response {
    int status;
    int version_minor;
    struct slice reason;
    enum h1_framing framing;    /* NONE for HEAD requests, 1xx, 204, 304 */
    uint64_t content_length;
    bool keep_alive;            /* the server allows reuse of the connection */
    bool upgrade_websocket;     /* 101 with Upgrade: websocket */
    size_t head_len;
    unsigned nheaders;
    struct h1_header headers[H1_HEADERS_MAX];
};

/* Default limits (8k line, 16k head, 100 fields). */
void h1_limits_default(struct h1_limits *lim);

/* Finds the end of a message head in p[0..len), scanning from `from` (a previous call's
 * return of -1 lets the caller resume at len - 3). Returns the head length including the
 * blank line, or -1 when none yet. Also stops at "\n\n" so that a bare-LF head is parsed
 * (and rejected) instead of waited for. Leading CRLFs before a request line are skipped
 * by the parser, not here. */
ssize_t h1_head_end(const char *p, size_t len, size_t from);

/* Parses a request head. Returns bytes consumed (== r->head_len), -EAGAIN when the head
 * is incomplete and still within limits, or -EBADMSG with r->error_status and a reason in
 * *why (a static string) for malformed or oversized input; for an incomplete head larger
 * than the limits it also returns -EBADMSG (414 or 431). Leading empty lines are skipped. */
ssize_t h1_parse_request(const char *p, size_t len, const struct h1_limits *lim,
                         struct h1_request *r, const char **why);

/*
 * Checks a request head that is still arriving, so that bytes which can never become a
 * request (a TLS ClientHello, an SSH banner, binary junk, "GET /  HTTP/1.1") are refused
 * when they arrive instead of at the header timeout. Call it again with the same buffer
 * grown (p[0..s->pos) unchanged; start with h1_request_prefix_init()): each byte is
 * examined once. Returns the head length once the blank line that ends it is seen (then
 * h1_parse_request() decides), -EAGAIN while p[0..len) can still begin a valid request, or
 * -EBADMSG with *status and *why (static) when no continuation can: 400 for a byte that
 * breaks the request-line or field-line syntax (9112 §2.2, §3, §5), the status
 * h1_parse_request() gives a complete request-line (405, 505, 400) as soon as its CRLF
 * arrives, 414 or 431 for limits. It never refuses a prefix of a head h1_parse_request()
 * accepts; the checks that need the whole head (Host, framing fields) wait for it.
 */
void h1_request_prefix_init(struct h1_request_prefix *s);
ssize_t h1_request_prefix_check(struct h1_request_prefix *s, const char *p, size_t len,
                                const struct h1_limits *lim, int *status, const char **why);

/* The value of r's first field line named `name` (any case) in *v, or false. */
bool h1_request_field_get(const struct h1_request *r, const char *name, struct slice *v);

/* Parses a response head from an upstream. `head_request` says the request was HEAD (no
 * body whatever the framing fields say). Same return convention; any error means 502. */
ssize_t h1_parse_response(const char *p, size_t len, const struct h1_limits *lim,
                          bool head_request, struct h1_response *r, const char **why);

/* Chunked body decoder (9112 §7.1), incremental: feed it bytes as they arrive. */
struct h1_chunked {
    int state;
    uint64_t remaining;         /* bytes left in the current chunk's data */
    uint64_t total;             /* payload bytes decoded so far */
    uint64_t max_total;         /* 0 = unlimited; above it: -EMSGSIZE */
    uint32_t line_bytes;        /* bytes of the current size/trailer line so far */
    uint32_t ext_bytes;         /* chunk-extension bytes in the whole body so far */
    uint32_t trailer_bytes;
    uint32_t digits;
    struct slice trailer;       /* after each call: trailer bytes it consumed (below) */
};

void h1_chunked_init(struct h1_chunked *c, uint64_t max_total);
/* Consumes framing bytes and at most one span of payload from in[0..len). Returns bytes
 * consumed (0..len), or -EBADMSG (malformed, reason in *why) or -EMSGSIZE (over
 * max_total). The payload span, if any, is *data (inside in, possibly empty). *done turns
 * true once the last chunk and the trailer section are consumed. Trailer field lines the
 * call consumed, validated as field lines (each "name:value CRLF", no obs-fold) and held
 * to 8 KiB in all, are c->trailer (inside in, possibly empty; never the section's final
 * CRLF): a caller that passes trailers on appends each span, and the concatenation is the
 * section. Call repeatedly until it consumes everything or reports done. */
ssize_t h1_chunked_parse(struct h1_chunked *c, const char *in, size_t len,
                         struct slice *data, bool *done, const char **why);

/* Takes the first field line off a trailer section collected from c->trailer spans: its
 * name, and its value without surrounding whitespace. False when *sec is empty. */
bool h1_trailer_next(struct slice *sec, struct slice *name, struct slice *value);
/* Whether a trailer field may be passed on: not a field RFC 9110 §6.5.1 keeps out of
 * trailers (framing, routing, request modifiers, authentication, response control, content
 * metadata), not hop-by-hop, not a pseudo-header. Any case. */
bool h1_trailer_allowed(struct slice name);

/* The reason phrase for a status code ("OK", "Bad Gateway"); "Unknown" if none. */
const char *h1_reason(int status);

/* True for methods RFC 9110 §9.2.2 calls idempotent. */
bool h1_method_is_idempotent(struct slice method);

#endif

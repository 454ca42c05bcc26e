/*
 * examples/app/http.h: HTTP/1.x request parsing for the sample app. Pure functions over bytes:
 * no sockets, no allocation. Slices point into the caller's buffer and die with it.
 */
#ifndef APP_HTTP_H
#define APP_HTTP_H

#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>
#include <sys/types.h>

struct http_slice {
    const char *p;
    size_t n;
};

/* One parsed request head. Only the headers the app acts on are kept; the rest can be
 * walked again with http_header_next(). */
struct http_req {
    struct http_slice head;      /* the whole head, request line to the empty line */
    struct http_slice line;      /* the request line without its line end */
    struct http_slice method;
    struct http_slice target;
    struct http_slice path;      /* target up to '?', origin-form even for absolute-form */
    struct http_slice query;     /* after '?', possibly empty */
    size_t headers_at;           /* offset in head of the first header line */
    int minor;                   /* HTTP/1.0 or HTTP/1.1 */
    bool is_get;
    bool is_head;
    bool has_length;
    bool chunked;
    uint64_t length;             /* Content-Length, when has_length */
    bool keepalive;              /* from the version and Connection */
    bool conn_upgrade;           /* Connection lists "upgrade" */
    bool upgrade_ws;             /* Upgrade lists "websocket" */
    bool expect_continue;
    struct http_slice ws_key;
    struct http_slice ws_version;
};

/*
 * Finds the end of a request head in p[0..len). Returns the head's length (through the empty
 * line) or -EAGAIN; *scan remembers how far a previous call looked (start it at 0).
 * Accepts CRLF and bare LF line ends.
 */
ssize_t http_head_end(const char *p, size_t len, size_t *scan);

/* Parses a complete head (as delimited by http_head_end()). Returns 0 or -EBADMSG with a
 * static reason in *why. */
int http_parse_head(const char *p, size_t len, struct http_req *req, const char **why);

/*
 * Walks header lines: *pos starts at req->headers_at. Returns 1 with *name and *value (value
 * trimmed of surrounding whitespace), 0 at the empty line, or -EBADMSG.
 */
int http_header_next(const char *head, size_t len, size_t *pos, struct http_slice *name,
                     struct http_slice *value);

/* Looks up key in a query string: 1 with *out, 0 when absent, -EBADMSG when not a number. */
int http_query_u64(struct http_slice query, const char *key, uint64_t *out);

bool http_slice_eq(struct http_slice s, const char *lit);
bool http_slice_ieq(struct http_slice s, const char *lit);

/* Incremental chunked-body decoder state; zero it before a body. */
struct http_chunked {
    int state;
    uint64_t left;               /* bytes left in the current chunk, or digits of its size */
    size_t line_bytes;           /* length of the extension or trailer lines so far */
    int digits;
};

/*
 * Decodes chunked framing from p[0..len): consumes *used bytes and returns at most one run
 * of body data in *data (pointing into p; deliver it before consuming). Returns 1 when the
 * body (with trailers) is complete, 0 when more input is needed, -EBADMSG when malformed.
 */
int http_chunked_feed(struct http_chunked *ck, const char *p, size_t len, size_t *used,
                      struct http_slice *data);

#endif

/*
 * examples/app/reply.h: response heads and small complete responses, appended to a
 * connection's output.
 */
#ifndef APP_REPLY_H
#define APP_REPLY_H

#include <stddef.h>
#include <stdint.h>

struct conn;

enum reply_framing {
    REPLY_LENGTH = 0,   /* Content-Length: length */
    REPLY_CHUNKED,      /* Transfer-Encoding: chunked */
    REPLY_CLOSE,        /* neither; the body ends when the connection closes */
    REPLY_NONE,         /* neither; no body (101, 204, 304) */
};

/*
 * Appends a status line, Server and X-Instance, Content-Type (when type is not NULL), the
 * framing header, Connection when needed, then `extra` (whole "Name: value\r\n" lines, or
 * NULL) and the empty line. REPLY_CLOSE clears c->keepalive.
 */
void reply_head(struct conn *c, int status, const char *type, enum reply_framing framing,
                uint64_t length, const char *extra);
/* A complete text/plain response; the body is left out for HEAD requests. */
void reply_text(struct conn *c, int status, const char *body, size_t n);
/* A complete response whose body is "<status> <reason>: <why>\n". */
void reply_error(struct conn *c, int status, const char *why);
const char *reply_reason(int status);

#endif

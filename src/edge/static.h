/*
 * edge/static.h: the static-file action (the S3 role). Resolves a request path under a
 * root directory, never outside it, and prepares the response: status, head and the
 * byte range of an open file to send with sendfile(2). Decides conditional requests
 * (ETag, Last-Modified -> 304), ranges (206, 416), HEAD, precompressed .br/.gz siblings.
 * Blocking file-system calls (open, fstat) happen here, on the worker: they are cheap
 * for local files and nginx makes the same trade. No sockets.
 */
#ifndef EDGE_STATIC_H
#define EDGE_STATIC_H
#include <stdbool.h>
#include <stdint.h>
#include <sys/types.h>

#include "core/buf.h"
#include "edge/edge_conf.h"
#include "http/h1.h"

struct static_reply {
    int status;                 /* 200, 206, 301, 304, 400, 403, 404, 405, 412, 416, 500 */
    int fd;                     /* open file to send from, or -1 (no body from a file) */
    off_t offset;               /* first byte to send */
    uint64_t length;            /* bytes to send from fd (0 for HEAD, 304, errors) */
    bool close;                 /* the connection must close after the response */
};

/* Builds the reply for request r under conf into *out and appends the whole response
 * head (and, for errors, a small body) to `head`. `keep_alive` says whether the client
 * connection may stay open; `now_s` is the wall clock in seconds (for Date and
 * Last-Modified comparisons). Returns 0, or -ENOMEM (nothing usable appended).
 * On success the caller owns out->fd and closes it after sending. */
int static_serve(const struct edge_static_conf *conf, const struct h1_request *r,
                 bool keep_alive, int64_t now_s, struct buf *head, struct static_reply *out);

/* Percent-decodes and normalises a request path for file lookup: decodes %XX (rejecting
 * %00 and encoded '/' and '\\'), resolves "." and "..", refuses to climb above the root,
 * collapses "//". Writes a NUL-terminated relative path (no leading '/') into out; a
 * directory path keeps its trailing '/' ("/sub/." gives "sub/", "/" gives "").
 * Returns 0, or -EINVAL (bad escape), -EACCES (would leave the root) or -ENAMETOOLONG
 * (does not fit). static_serve answers 400 to the first two, as nginx does, and 404 to
 * the last. */
int static_path_normalise(const char *path, size_t len, char *out, size_t outlen);

/* Content-Type for a file name by extension ("application/octet-stream" if unknown). */
const char *static_mime_type(const char *name);

#endif

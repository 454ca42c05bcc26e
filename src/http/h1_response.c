/*
 * http/h1_response.c: the response-head parser for what upstream apps send back (9112 §4,
 * §6.3). Apps are untrusted too: the same field strictness as requests, and any framing
 * anomaly is an error that the proxy turns into 502 and a discarded upstream connection.
 */
#include "http/h1.h"

#include <errno.h>
#include <string.h>

#include "http/internal.h"

static ssize_t
resp_fail(const char **why, const char *msg)
{
    *why = msg;
    return -EBADMSG;
}

/* Parses "HTTP/1.x SP 3DIGIT [SP reason]" in p[0..ce). Returns 0 or -EBADMSG. */
static ssize_t
resp_line(struct h1_response *r, const char *p, size_t ce, const char **why)
{
    if (ce < 12 || memcmp(p, "HTTP/1.", 7) != 0 || (p[7] != '0' && p[7] != '1') ||
        p[8] != ' ')
        return resp_fail(why, "malformed status-line or unsupported version");
    if (p[9] < '1' || p[9] > '5' || !h1_common_is(p[10], H1_C_DIGIT) ||
        !h1_common_is(p[11], H1_C_DIGIT))
        return resp_fail(why, "invalid status code");
    r->version_minor = p[7] - '0';
    r->status = (p[9] - '0') * 100 + (p[10] - '0') * 10 + (p[11] - '0');
    if (ce == 12) {
        r->reason = slice_make(p + 12, 0);
        return 0;
    }
    if (p[12] != ' ')
        return resp_fail(why, "malformed status-line");
    for (size_t i = 13; i < ce; i++)
        if (!h1_common_is(p[i], H1_C_VALUE))
            return resp_fail(why, "invalid character in reason phrase");
    r->reason = slice_make(p + 13, ce - 13);
    return 0;
}

/* Body framing of a response (9112 §6.3). The framing fields are checked even when the
 * status or the request method means there is no body: a 204 with TE and CL is as much a
 * desync attempt as a 200 with them. */
static ssize_t
resp_framing(struct h1_response *r, const struct h1_fields_info *fi, bool head_request,
             const char **why)
{
    if (fi->nte) {
        if (fi->ncl)
            return resp_fail(why, "both Transfer-Encoding and Content-Length");
        if (r->version_minor == 0)
            return resp_fail(why, "Transfer-Encoding in an HTTP/1.0 response");
        if (fi->te_chunked > 1)
            return resp_fail(why, "chunked applied more than once");
        r->framing = fi->te_chunked_final ? H1_FRAMING_CHUNKED : H1_FRAMING_CLOSE;
    } else if (fi->ncl) {
        r->framing = H1_FRAMING_LENGTH;
        r->content_length = fi->content_length;
    } else {
        r->framing = H1_FRAMING_CLOSE;
    }
    if (head_request || r->status < 200 || r->status == 204 || r->status == 304)
        r->framing = H1_FRAMING_NONE;
    return 0;
}

ssize_t
h1_parse_response(const char *p, size_t len, const struct h1_limits *lim, bool head_request,
                  struct h1_response *r, const char **why)
{
    struct h1_limits l;
    struct h1_fields_info fi;
    int st;

    h1_common_limits(lim, &l);
    r->status = 0;
    r->version_minor = 1;
    r->reason = slice_make(p, 0);
    r->framing = H1_FRAMING_NONE;
    r->content_length = 0;
    r->keep_alive = r->upgrade_websocket = false;
    r->head_len = 0;
    r->nheaders = 0;

    size_t span = len < l.line_max_bytes + 2 ? len : l.line_max_bytes + 2;
    const char *lf = span ? memchr(p, '\n', span) : NULL;
    if (!lf) {
        size_t have = len && p[len - 1] == '\r' ? len - 1 : len;
        if (have > l.line_max_bytes)
            return resp_fail(why, "status-line too long");
        if (len > l.head_max_bytes)
            return resp_fail(why, "response head too large");
        /* Reject a non-HTTP reply (an HTTP/0.9 body, garbage) without waiting for a LF. */
        size_t k = len < 5 ? len : 5;
        if (memcmp(p, "HTTP/", k) != 0)
            return resp_fail(why, "not an HTTP/1 response");
        return -EAGAIN;
    }
    size_t le = (size_t)(lf - p);
    if (le == 0 || p[le - 1] != '\r')
        return resp_fail(why, "bare LF in status-line");
    if (le + 1 > l.head_max_bytes)
        return resp_fail(why, "response head too large");
    ssize_t rc = resp_line(r, p, le - 1, why);
    if (rc < 0)
        return rc;

    size_t end = len < l.head_max_bytes ? len : l.head_max_bytes;
    ssize_t n = h1_fields_scan(p, le + 1, len, end, l.headers_max, r->headers, &r->nheaders,
                               &fi, &st, why);
    if (n < 0)
        return n;
    rc = resp_framing(r, &fi, head_request, why);
    if (rc < 0)
        return rc;
    if (r->version_minor == 1)
        r->keep_alive = !fi.conn_close;
    else
        r->keep_alive = fi.conn_keep_alive && !fi.conn_close;
    if (r->framing == H1_FRAMING_CLOSE)
        r->keep_alive = false;
    r->upgrade_websocket = r->status == 101 && fi.upgrade_websocket;
    if (fi.conn_names_fields)
        h1_fields_mark_connection(r->headers, r->nheaders);
    r->head_len = (size_t)n;
    return n;
}

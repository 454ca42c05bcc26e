/*
 * http/h1_request.c: the request-head parser (9112 §2-§6). Validates the request-line,
 * the target form, Host and the body framing of one request and reports the status the
 * proxy must answer when it refuses one. Field lines are scanned by h1_fields.c; bodies
 * are not touched here.
 */
#include "http/h1.h"

#include <errno.h>
#include <string.h>

#include "http/internal.h"

static ssize_t
req_fail(struct h1_request *r, const char **why, int status, const char *msg)
{
    r->error_status = status;
    *why = msg;
    return -EBADMSG;
}

/* uri-host [ ":" port ] with uri-host = IP-literal / IPv4address / reg-name (RFC 3986
 * §3.2.2). Rejects userinfo ('@'), paths, whitespace, CTLs, empty hosts and bad ports. */
static bool
req_host_is_valid(struct slice h)
{
    size_t i = 0;

    if (h.len == 0)
        return false;
    if (h.p[0] == '[') {
        for (i = 1; i < h.len && h.p[i] != ']'; i++)
            if (!h1_common_is(h.p[i], H1_C_HEX) && h.p[i] != ':' && h.p[i] != '.')
                return false;
        if (i >= h.len || i == 1)
            return false;
        i++;
    } else {
        for (; i < h.len && h.p[i] != ':'; i++) {
            if (!h1_common_is(h.p[i], H1_C_HOST))
                return false;
            if (h.p[i] == '%' && (i + 2 >= h.len || !h1_common_is(h.p[i + 1], H1_C_HEX) ||
                                  !h1_common_is(h.p[i + 2], H1_C_HEX)))
                return false;
        }
        if (i == 0)
            return false;
    }
    if (i == h.len)
        return true;
    if (h.p[i] != ':' || h.len - i < 2 || h.len - i > 6)
        return false;
    unsigned port = 0;
    for (i++; i < h.len; i++) {
        if (!h1_common_is(h.p[i], H1_C_DIGIT))
            return false;
        port = port * 10 + (unsigned)(h.p[i] - '0');
    }
    return port <= 65535;
}

static void
req_split_path(struct h1_request *r, const char *s, size_t n)
{
    const char *q = memchr(s, '?', n);

    if (q) {
        r->path = slice_make(s, (size_t)(q - s));
        r->query = slice_make(q + 1, n - (size_t)(q - s) - 1);
    } else {
        r->path = slice_make(s, n);
        r->query = slice_make(s + n, 0);
    }
}

/* Classifies the target (9112 §3.2) and sets path, query and, for absolute-form, host.
 * Returns 0 or an error status. The bytes are already known to be VCHAR without '#'. */
static int
req_target(struct h1_request *r)
{
    const char *t = r->target.p;
    size_t n = r->target.len;

    if (t[0] == '/') {
        req_split_path(r, t, n);
        return 0;
    }
    if (t[0] == '*') {
        if (n != 1 || !slice_eq(r->method, SLICE_LIT("OPTIONS")))
            return 400;
        r->path = r->target;
        r->query = slice_make(t + 1, 0);
        return 0;
    }
    size_t skip = 0;
    if (n >= 7 && slice_eq_nocase(slice_make(t, 7), SLICE_LIT("http://")))
        skip = 7;
    else if (n >= 8 && slice_eq_nocase(slice_make(t, 8), SLICE_LIT("https://")))
        skip = 8;
    else
        return 400;                     /* authority-form without CONNECT, other schemes */
    size_t a = skip;
    while (a < n && t[a] != '/' && t[a] != '?')
        a++;
    r->host = slice_make(t + skip, a - skip);
    if (!req_host_is_valid(r->host))
        return 400;
    r->absolute_form = true;
    if (a == n || t[a] == '?') {
        r->path = slice_make(h1_common_slash, 1);
        r->query = a == n ? slice_make(t + n, 0) : slice_make(t + a + 1, n - a - 1);
    } else {
        req_split_path(r, t + a, n - a);
    }
    return 0;
}

/* Parses "method SP target SP HTTP/1.x" in p[ls..ce) (no CRLF). Returns 0 or a status. */
static int
req_line(struct h1_request *r, const char *p, size_t ls, size_t ce, const char **why)
{
    size_t i = ls;

    while (i < ce && h1_common_is(p[i], H1_C_TCHAR))
        i++;
    if (i == ls || i == ce || p[i] != ' ') {
        *why = "malformed method";
        return 400;
    }
    r->method = slice_make(p + ls, i - ls);
    size_t ts = ++i;
    /* Skip words of plain target bytes: no CTL, SP, DEL, '#' or non-ASCII. */
    while (i + 8 <= ce) {
        uint64_t x = h1_common_load8(p + i);
        if ((x & H1_HIGHS) | h1_common_has_less(x, 0x21) | h1_common_has_byte(x, 0x7f) |
            h1_common_has_byte(x, '#'))
            break;
        i += 8;
    }
    while (i < ce && h1_common_is(p[i], H1_C_TARGET))
        i++;
    if (i == ts) {
        *why = "empty request-target or extra whitespace";
        return 400;
    }
    if (i == ce) {
        *why = "missing HTTP version (HTTP/0.9 is not supported)";
        return 400;
    }
    if (p[i] != ' ') {
        *why = "invalid character in request-target";
        return 400;
    }
    r->target = slice_make(p + ts, i - ts);
    const char *v = p + i + 1;
    if (ce - (i + 1) != 8 || memcmp(v, "HTTP/", 5) != 0 || !h1_common_is(v[5], H1_C_DIGIT) ||
        v[6] != '.' || !h1_common_is(v[7], H1_C_DIGIT)) {
        *why = "malformed HTTP version";
        return 400;
    }
    if (v[5] != '1' || v[7] > '1') {
        *why = "unsupported HTTP version";
        return 505;
    }
    r->version_minor = v[7] - '0';
    if (slice_eq(r->method, SLICE_LIT("CONNECT"))) {
        *why = "CONNECT is not offered by a reverse proxy";
        return 405;
    }
    if (req_target(r) != 0) {
        *why = "invalid request-target";
        return 400;
    }
    return 0;
}

/* Body framing of a request (9112 §6.3): never close-delimited, every ambiguity refused. */
static int
req_framing(struct h1_request *r, const struct h1_fields_info *fi, const char **why)
{
    if (fi->nte) {
        if (r->version_minor == 0) {
            *why = "Transfer-Encoding in an HTTP/1.0 request";
            return 400;
        }
        if (fi->ncl) {
            *why = "both Transfer-Encoding and Content-Length";
            return 400;
        }
        if (fi->te_chunked > 1) {
            *why = "chunked applied more than once";
            return 400;
        }
        if (fi->te_chunked == 1 && !fi->te_chunked_final) {
            *why = "chunked is not the final transfer coding";
            return 400;
        }
        if (fi->te_chunked == 0) {
            *why = fi->te_unknown ? "unknown transfer coding" : "body length unknown";
            return fi->te_unknown ? 501 : 400;
        }
        r->framing = H1_FRAMING_CHUNKED;
    } else if (fi->ncl) {
        r->framing = H1_FRAMING_LENGTH;
        r->content_length = fi->content_length;
    }
    return 0;
}

ssize_t
h1_parse_request(const char *p, size_t len, const struct h1_limits *lim,
                 struct h1_request *r, const char **why)
{
    struct h1_limits l;
    struct h1_fields_info fi;
    size_t pos = 0;
    int st;

    h1_common_limits(lim, &l);
    r->method = r->target = r->path = r->query = r->host = slice_make(p, 0);
    r->version_minor = 1;
    r->framing = H1_FRAMING_NONE;
    r->content_length = 0;
    r->keep_alive = r->expect_continue = r->upgrade_websocket = r->absolute_form = false;
    r->head_len = 0;
    r->nheaders = 0;
    r->error_status = 0;

    size_t end = len < l.head_max_bytes ? len : l.head_max_bytes;
    while (pos + 1 < end && p[pos] == '\r' && p[pos + 1] == '\n')
        pos += 2;                       /* empty lines before the request-line (9112 §2.2) */

    /* The request-line: find its LF within the line limit, then validate it whole. */
    size_t ls = pos;
    size_t span = len - ls;
    if (span > l.line_max_bytes + 2)
        span = l.line_max_bytes + 2;
    const char *lf = span ? memchr(p + ls, '\n', span) : NULL;
    if (!lf) {
        size_t have = len - ls;
        if (have > 0 && p[len - 1] == '\r')
            have--;
        if (have > l.line_max_bytes)
            return req_fail(r, why, 414, "request-line too long");
        if (len > l.head_max_bytes)
            return req_fail(r, why, 431, "header section too large");
        return -EAGAIN;
    }
    size_t le = (size_t)(lf - p);
    if (le == ls || p[le - 1] != '\r')
        return req_fail(r, why, 400, "bare LF in request-line");
    if (le - 1 - ls > l.line_max_bytes)
        return req_fail(r, why, 414, "request-line too long");
    if (le + 1 > l.head_max_bytes)
        return req_fail(r, why, 431, "header section too large");
    st = req_line(r, p, ls, le - 1, why);
    if (st)
        return req_fail(r, why, st, *why);

    ssize_t n = h1_fields_scan(p, le + 1, len, end, l.headers_max, r->headers, &r->nheaders,
                               &fi, &st, why);
    if (n == -EAGAIN)
        return n;
    if (n < 0)
        return req_fail(r, why, st, *why);

    if (fi.nhost > 1)
        return req_fail(r, why, 400, "more than one Host field");
    if (fi.nhost == 0 && r->version_minor == 1)
        return req_fail(r, why, 400, "missing Host field");
    if (fi.nhost && (fi.host.len || !r->absolute_form) && !req_host_is_valid(fi.host))
        return req_fail(r, why, 400, "invalid Host field");
    if (!r->absolute_form && fi.nhost)
        r->host = fi.host;

    st = req_framing(r, &fi, why);
    if (st)
        return req_fail(r, why, st, *why);

    if (r->version_minor == 1) {
        if (fi.nexpect) {
            if (fi.expect_other)
                return req_fail(r, why, 417, "unsupported expectation");
            r->expect_continue = true;
        }
        r->keep_alive = !fi.conn_close;
        r->upgrade_websocket = fi.conn_upgrade && fi.upgrade_websocket &&
                               slice_eq(r->method, SLICE_LIT("GET"));
    } else {
        r->keep_alive = fi.conn_keep_alive && !fi.conn_close;
    }
    if (fi.conn_names_fields)
        h1_fields_mark_connection(r->headers, r->nheaders);
    r->head_len = (size_t)n;
    return n;
}

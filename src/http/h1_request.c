/*
 * http/h1_request.c: the request-head parser (9112 §2-§6). Validates the request-line,
 * the target form, Host and the body framing of one request and reports the status the
 * proxy must answer when it refuses one; also checks a head that is still arriving, byte
 * by byte and resumable, so that what can never become a request is refused at once.
 * Field lines are scanned by h1_fields.c; bodies are not touched here. The rules, per
 * method and target form, are in docs/internals/http-request-line.md.
 */
#include "http/h1.h"

#include <errno.h>
#include <string.h>

#include "core/err.h"
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

/* What a request-line says: filled by req_line(), copied into struct h1_request by the
 * full parser; the prefix check only wants the verdict. */
struct req_start {
    struct slice method, target, path, query, host;
    int version_minor;
    bool absolute_form;
};

static void
req_split_path(struct req_start *r, const char *s, size_t n)
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
 * Returns 0 or an error status. The bytes are already known to be VCHAR without '#'.
 * origin-form goes with every method; asterisk-form only with OPTIONS (§3.2.4);
 * authority-form only with CONNECT, which never gets here (§3.2.3); absolute-form with
 * any method, http and https only (§3.2.2). */
static int
req_target(struct req_start *r)
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
    if (a == n && slice_eq(r->method, SLICE_LIT("OPTIONS"))) {
        /* "OPTIONS http://h:8001" asks about the server: the last hop sends "*" (9112
         * §3.2.4), so it is routed and forwarded exactly as "OPTIONS *". */
        r->path = slice_make(h1_common_star, 1);
        r->query = slice_make(t + n, 0);
    } else if (a == n || t[a] == '?') {
        r->path = slice_make(h1_common_slash, 1);
        r->query = a == n ? slice_make(t + n, 0) : slice_make(t + a + 1, n - a - 1);
    } else {
        req_split_path(r, t + a, n - a);
    }
    return 0;
}

/* Parses "method SP target SP HTTP/1.x" in p[ls..ce) (no CRLF). Returns 0 or a status. */
static int
req_line(struct req_start *r, const char *p, size_t ls, size_t ce, const char **why)
{
    size_t i = ls;

    memset(r, 0, sizeof(*r));
    r->query = r->host = slice_make(p + ls, 0);
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
        /* 9110 §9.3.6: CONNECT asks a forward proxy for a tunnel; a reverse proxy offers
         * none, for any target (authority-form included). */
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

/* Max-Forwards = 1*DIGIT (9110 §7.6.2), looked at for OPTIONS and TRACE only: an
 * intermediary must answer itself at 0 and forward value - 1 otherwise, so a value it
 * cannot read, or two values, cannot be forwarded honestly: 400. Other methods forward
 * the field untouched (the RFC lets recipients ignore it there). */
static int
req_max_forwards(struct h1_request *r, const char **why)
{
    if (!slice_eq(r->method, SLICE_LIT("OPTIONS")) && !slice_eq(r->method, SLICE_LIT("TRACE")))
        return 0;
    for (unsigned k = 0; k < r->nheaders; k++) {
        struct h1_header *h = &r->headers[k];
        if (h->name.len != 12 || !slice_eq_nocase(h->name, SLICE_LIT("Max-Forwards")))
            continue;
        if (r->max_forwards >= 0) {
            *why = "more than one Max-Forwards field";
            return 400;
        }
        uint64_t v = 0;
        for (size_t i = 0; i < h->value.len; i++) {
            if (!h1_common_is(h->value.p[i], H1_C_DIGIT)) {
                *why = "invalid Max-Forwards";
                return 400;
            }
            v = v * 10 + (uint64_t)(h->value.p[i] - '0');
            if (v > UINT32_MAX)
                v = UINT32_MAX;         /* saturate: no hop count is that long */
        }
        if (h->value.len == 0) {
            *why = "invalid Max-Forwards";
            return 400;
        }
        r->max_forwards = (int64_t)v;
        h->flags |= H1_HDR_HOP;         /* the proxy sends its own, decremented */
    }
    return 0;
}

/* ------------------------------------------------------------------ prefix check */

/* States of struct h1_request_prefix: one per place in the head grammar (9112 §2.2, §3,
 * §5) where the set of acceptable next bytes changes. */
enum {
    PFX_LEAD = 0,               /* before the request-line: empty lines may come first */
    PFX_LEAD_CR,                /* CR of such an empty line */
    PFX_METHOD,
    PFX_TARGET0,                /* after the SP that ends the method */
    PFX_TARGET,
    PFX_VERSION,                /* after the SP that ends the target; vers bytes seen */
    PFX_LINE_CR,                /* CR that ends the request-line */
    PFX_FIELD,                  /* at the start of a field line or of the blank line */
    PFX_NAME,
    PFX_VALUE,
    PFX_VALUE_CR,
    PFX_END_CR,                 /* CR of the blank line */
    PFX_DONE,
    PFX_REFUSED,
};

void
h1_request_prefix_init(struct h1_request_prefix *s)
{
    memset(s, 0, sizeof(*s));
}

static ssize_t
pfx_refuse(struct h1_request_prefix *s, int *status, const char **why, int st,
           const char *msg)
{
    s->state = PFX_REFUSED;
    s->status = (uint16_t)st;
    s->why = msg;
    *status = st;
    *why = msg;
    return -EBADMSG;
}

#define PFX_REFUSE(st, msg) return pfx_refuse(s, status, why, (st), (msg))

ssize_t
h1_request_prefix_check(struct h1_request_prefix *s, const char *p, size_t len,
                        const struct h1_limits *lim, int *status, const char **why)
{
    struct h1_limits l;
    struct req_start rs;
    int st;

    if (s->state == PFX_REFUSED) {
        *status = s->status;
        *why = s->why;
        return -EBADMSG;
    }
    if (s->state == PFX_DONE)
        return (ssize_t)s->pos;
    h1_common_limits(lim, &l);
    /* The same bounds as h1_parse_request(): nothing past head_max can belong to a head. */
    size_t end = len < l.head_max_bytes ? len : l.head_max_bytes;
    size_t i = s->pos;

    for (; i < end; i++) {
        char ch = p[i];
        switch (s->state) {
        case PFX_LEAD:
            if (ch == '\r') {
                s->state = PFX_LEAD_CR;
                break;
            }
            if (!h1_common_is(ch, H1_C_TCHAR))
                PFX_REFUSE(400, ch == '\n' ? "bare LF before the request-line"
                                           : "not an HTTP request: invalid method");
            s->line = (uint32_t)i;
            s->state = PFX_METHOD;
            break;
        case PFX_LEAD_CR:
            if (ch != '\n')
                PFX_REFUSE(400, "bare CR before the request-line");
            s->state = PFX_LEAD;
            break;
        case PFX_METHOD:
            if (ch == ' ')
                s->state = PFX_TARGET0;
            else if (!h1_common_is(ch, H1_C_TCHAR))
                PFX_REFUSE(400, "malformed method");
            break;
        case PFX_TARGET0:
            if (!h1_common_is(ch, H1_C_TARGET))
                PFX_REFUSE(400, ch == ' ' ? "empty request-target or extra whitespace"
                                          : "invalid character in request-target");
            s->state = PFX_TARGET;
            break;
        case PFX_TARGET:
            /* Same word skip as req_line(): plain target bytes only. */
            while (i + 8 <= end) {
                uint64_t x = h1_common_load8(p + i);
                if ((x & H1_HIGHS) | h1_common_has_less(x, 0x21) |
                    h1_common_has_byte(x, 0x7f) | h1_common_has_byte(x, '#'))
                    break;
                i += 8;
            }
            if (i - s->line > l.line_max_bytes)
                PFX_REFUSE(414, "request-line too long");
            if (i == end)
                goto out;
            ch = p[i];
            if (ch == ' ') {
                s->state = PFX_VERSION;
                s->vers = 0;
            } else if (ch == '\r') {
                PFX_REFUSE(400, "missing HTTP version (HTTP/0.9 is not supported)");
            } else if (!h1_common_is(ch, H1_C_TARGET)) {
                PFX_REFUSE(400, "invalid character in request-target");
            }
            break;
        case PFX_VERSION:
            if (s->vers == 8) {
                if (ch != '\r')
                    PFX_REFUSE(400, "malformed HTTP version");
                s->state = PFX_LINE_CR;
                break;
            }
            if (s->vers < 5 ? ch != "HTTP/"[s->vers]
                            : s->vers == 6 ? ch != '.' : !h1_common_is(ch, H1_C_DIGIT))
                PFX_REFUSE(400, "malformed HTTP version");
            s->vers++;
            break;
        case PFX_LINE_CR:
            if (ch != '\n')
                PFX_REFUSE(400, "bare CR in request-line");
            /* The line is whole: give it the full parser's verdict now (505, 405, a bad
             * target form), as nginx does, rather than after the header section. */
            st = req_line(&rs, p, s->line, i - 1, why);
            if (st)
                PFX_REFUSE(st, *why);
            s->state = PFX_FIELD;
            break;
        case PFX_FIELD:
            if (ch == '\r') {
                s->state = PFX_END_CR;
                break;
            }
            if (s->nfields >= l.headers_max)
                PFX_REFUSE(431, "too many header fields");
            if (h1_common_is(ch, H1_C_TCHAR))
                s->state = PFX_NAME;
            else if (ch == ' ' || ch == '\t')
                PFX_REFUSE(400, "obs-fold or whitespace-prefixed field line");
            else if (ch == '\n')
                PFX_REFUSE(400, "bare LF in header section");
            else if (ch == ':')
                PFX_REFUSE(400, "empty field name");
            else
                PFX_REFUSE(400, "invalid character in field name");
            break;
        case PFX_NAME:
            if (ch == ':')
                s->state = PFX_VALUE;
            else if (ch == ' ' || ch == '\t')
                PFX_REFUSE(400, "whitespace between field name and colon");
            else if (ch == '\n')
                PFX_REFUSE(400, "bare LF in header section");
            else if (ch == '\r')
                PFX_REFUSE(400, "field line without colon");
            else if (!h1_common_is(ch, H1_C_TCHAR))
                PFX_REFUSE(400, "invalid character in field name");
            break;
        case PFX_VALUE:
            /* Same word skip as h1_fields_scan(): no CTL or DEL in the word. */
            while (i + 8 <= end) {
                uint64_t x = h1_common_load8(p + i);
                if (h1_common_has_less(x, 0x20) | h1_common_has_byte(x, 0x7f))
                    break;
                i += 8;
            }
            if (i == end)
                goto out;
            ch = p[i];
            if (ch == '\r')
                s->state = PFX_VALUE_CR;
            else if (ch == '\n')
                PFX_REFUSE(400, "bare LF in field value");
            else if (!h1_common_is(ch, H1_C_VALUE))
                PFX_REFUSE(400, "invalid character in field value");
            break;
        case PFX_VALUE_CR:
            if (ch != '\n')
                PFX_REFUSE(400, "bare CR in field value");
            s->nfields++;
            s->state = PFX_FIELD;
            break;
        case PFX_END_CR:
            if (ch != '\n')
                PFX_REFUSE(400, "bare CR in header section");
            s->state = PFX_DONE;
            s->pos = (uint32_t)(i + 1);
            return (ssize_t)s->pos;
        default:
            BUG_ON(1);
        }
        /* Each byte of the request-line counts against its limit; the CR does not. */
        if (s->state >= PFX_METHOD && s->state <= PFX_VERSION &&
            i + 1 - s->line > l.line_max_bytes)
            PFX_REFUSE(414, "request-line too long");
    }
out:
    s->pos = (uint32_t)i;
    if (end < len) {
        if (s->state <= PFX_LINE_CR && s->state >= PFX_METHOD &&
            len - s->line > l.line_max_bytes)
            PFX_REFUSE(414, "request-line too long");
        PFX_REFUSE(431, "header section too large");
    }
    return -EAGAIN;
}

#undef PFX_REFUSE

/* ------------------------------------------------------------------ whole heads */

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
    r->max_forwards = -1;
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
        /* Incomplete request-line: refuse now what can never become one (same rules, and
         * same code, as the incremental check the proxy runs while a head arrives). */
        struct h1_request_prefix s;
        int pst;
        h1_request_prefix_init(&s);
        if (h1_request_prefix_check(&s, p, len, &l, &pst, why) == -EBADMSG)
            return req_fail(r, why, pst, *why);
        return -EAGAIN;
    }
    size_t le = (size_t)(lf - p);
    if (le == ls || p[le - 1] != '\r')
        return req_fail(r, why, 400, "bare LF in request-line");
    if (le - 1 - ls > l.line_max_bytes)
        return req_fail(r, why, 414, "request-line too long");
    if (le + 1 > l.head_max_bytes)
        return req_fail(r, why, 431, "header section too large");
    struct req_start rs;
    st = req_line(&rs, p, ls, le - 1, why);
    if (st)
        return req_fail(r, why, st, *why);
    r->method = rs.method;
    r->target = rs.target;
    r->path = rs.path;
    r->query = rs.query;
    r->version_minor = rs.version_minor;
    r->absolute_form = rs.absolute_form;
    if (rs.absolute_form)
        r->host = rs.host;

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
    st = req_max_forwards(r, why);
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

bool
h1_request_field_get(const struct h1_request *r, const char *name, struct slice *v)
{
    for (unsigned i = 0; i < r->nheaders; i++)
        if (slice_eq_lit_nocase(r->headers[i].name, name)) {
            *v = r->headers[i].value;
            return true;
        }
    return false;
}

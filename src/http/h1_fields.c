/*
 * http/h1_fields.c: field-line scanning shared by the request and response parsers (9112
 * §5): strict syntax, per-field flags, and the values that decide framing (Content-Length,
 * Transfer-Encoding), routing (Host) and reuse (Connection). Decides no status by itself
 * beyond syntax: each parser turns the collected facts into its own verdict.
 */
#include "http/internal.h"

#include <errno.h>
#include <string.h>

#include "http/h1_list.h"

/* Compares a token against a lower-case literal of the same length, ASCII case folding.
 * OR-ing 0x20 folds A-Z; no other tchar folds onto [a-z0-9-], so this is exact. */
static inline bool
name_is(const char *p, const char *lit, size_t n)
{
    for (size_t i = 0; i < n; i++)
        if ((p[i] | 0x20) != lit[i])
            return false;
    return true;
}

#define NAME_IS(p, lit) name_is((p), (lit), sizeof(lit) - 1)

static uint32_t
fields_flags(const char *p, size_t n)
{
    switch (n) {
    case 2:
        return NAME_IS(p, "te") ? H1_HDR_HOP : 0;
    case 3:
        return NAME_IS(p, "via") ? H1_HDR_VIA : 0;
    case 4:
        return NAME_IS(p, "host") ? H1_HDR_HOST | H1_HDR_HOP : 0;
    case 6:
        return NAME_IS(p, "expect") ? H1_HDR_EXPECT | H1_HDR_HOP : 0;
    case 7:
        if (NAME_IS(p, "upgrade"))
            return H1_HDR_UPGRADE | H1_HDR_HOP;
        if (NAME_IS(p, "trailer"))
            return H1_HDR_HOP;
        return NAME_IS(p, "referer") ? H1_HDR_REFERER : 0;
    case 10:
        if (NAME_IS(p, "connection"))
            return H1_HDR_CONNECTION | H1_HDR_HOP;
        if (NAME_IS(p, "keep-alive"))
            return H1_HDR_KEEP_ALIVE | H1_HDR_HOP;
        return NAME_IS(p, "user-agent") ? H1_HDR_USER_AGENT : 0;
    case 12:
        return NAME_IS(p, "x-request-id") ? H1_HDR_X_REQUEST_ID : 0;
    case 14:
        if (NAME_IS(p, "content-length"))
            return H1_HDR_CONTENT_LENGTH | H1_HDR_HOP;
        return NAME_IS(p, "http2-settings") ? H1_HDR_HOP : 0;
    case 15:
        return NAME_IS(p, "x-forwarded-for") ? H1_HDR_X_FORWARDED_FOR : 0;
    case 16:
        if (NAME_IS(p, "proxy-connection"))
            return H1_HDR_HOP;
        if (NAME_IS(p, "x-forwarded-port") || NAME_IS(p, "x-forwarded-host"))
            return H1_HDR_X_FORWARDED_PROTO;
        return 0;
    case 17:
        if (NAME_IS(p, "transfer-encoding"))
            return H1_HDR_TRANSFER_ENCODING | H1_HDR_HOP;
        return NAME_IS(p, "x-forwarded-proto") ? H1_HDR_X_FORWARDED_PROTO : 0;
    default:
        return 0;
    }
}

/* Content-Length = 1*DIGIT, or a list of identical such values (9110 §8.6). Values at or
 * above 2^63 do not fit an off_t and are rejected. */
static int
fields_content_length(struct slice v, struct h1_fields_info *fi)
{
    size_t i = 0;
    bool any = false;

    for (;;) {
        uint64_t n = 0;
        size_t start = i;
        while (i < v.len && h1_common_is(v.p[i], H1_C_DIGIT)) {
            unsigned d = (unsigned)(v.p[i] - '0');
            if (n > (UINT64_C(0x7fffffffffffffff) - d) / 10)
                return -EBADMSG;
            n = n * 10 + d;
            i++;
        }
        if (i == start)
            return -EBADMSG;            /* empty member, sign, space inside, "0x" */
        if (any || fi->ncl > 0) {
            if (n != fi->content_length)
                return -EBADMSG;
        }
        fi->content_length = n;
        any = true;
        while (i < v.len && (v.p[i] == ' ' || v.p[i] == '\t'))
            i++;
        if (i == v.len)
            return 0;
        if (v.p[i] != ',')
            return -EBADMSG;
        i++;
        while (i < v.len && (v.p[i] == ' ' || v.p[i] == '\t'))
            i++;
    }
}

static size_t
skip_ows(struct slice v, size_t i)
{
    while (i < v.len && (v.p[i] == ' ' || v.p[i] == '\t'))
        i++;
    return i;
}

static size_t
skip_token(struct slice v, size_t i)
{
    while (i < v.len && h1_common_is(v.p[i], H1_C_TCHAR))
        i++;
    return i;
}

/* Returns the index after a quoted-string starting at v.p[i] == '"', or 0 if malformed. */
static size_t
skip_quoted(struct slice v, size_t i)
{
    for (i++; i < v.len; i++) {
        if (v.p[i] == '"')
            return i + 1;
        if (v.p[i] == '\\') {
            if (++i >= v.len || !h1_common_is(v.p[i], H1_C_VALUE))
                return 0;
        } else if (!h1_common_is(v.p[i], H1_C_QDTEXT)) {
            return 0;
        }
    }
    return 0;
}

/*
 * Transfer-Encoding = #( token *( OWS ";" OWS token BWS "=" BWS ( token / quoted-string ) ) )
 * (9112 §6.1, §7.3). Records, over all TE lines in order, how often chunked appears and
 * whether it is last. Other codings may carry parameters; chunked may not ("chunked;x=1"
 * is an error, 9112 §7.1: hops disagree on whether it still means chunked).
 */
static int
fields_transfer_encoding(struct slice v, struct h1_fields_info *fi)
{
    size_t i = 0;
    bool any = false;

    for (;;) {
        while (i < v.len && (v.p[i] == ' ' || v.p[i] == '\t' || v.p[i] == ','))
            i++;                        /* empty list elements are allowed (9110 §5.6.1) */
        if (i >= v.len)
            return any ? 0 : -EBADMSG;
        size_t start = i;
        i = skip_token(v, i);
        if (i == start)
            return -EBADMSG;            /* "\"chunked\"", "\x0bchunked", ... */
        size_t n = i - start;
        const char *name = v.p + start;
        bool is_chunked = n == 7 && NAME_IS(name, "chunked");
        if (is_chunked) {
            fi->te_chunked++;
            fi->te_chunked_final = true;
        } else {
            fi->te_chunked_final = false;
            if (!((n == 4 && NAME_IS(name, "gzip")) || (n == 6 && NAME_IS(name, "x-gzip")) ||
                  (n == 7 && NAME_IS(name, "deflate")) ||
                  (n == 8 && NAME_IS(name, "compress")) ||
                  (n == 10 && NAME_IS(name, "x-compress"))))
                fi->te_unknown = true;
        }
        any = true;
        for (;;) {
            i = skip_ows(v, i);
            if (i >= v.len || v.p[i] != ';')
                break;
            if (is_chunked)
                return -EBADMSG;
            i = skip_ows(v, i + 1);
            size_t ps = i;
            i = skip_token(v, i);
            if (i == ps)
                return -EBADMSG;
            i = skip_ows(v, i);
            if (i >= v.len || v.p[i] != '=')
                return -EBADMSG;
            i = skip_ows(v, i + 1);
            if (i < v.len && v.p[i] == '"') {
                i = skip_quoted(v, i);
                if (i == 0)
                    return -EBADMSG;
            } else {
                size_t vs = i;
                i = skip_token(v, i);
                if (i == vs)
                    return -EBADMSG;
            }
        }
        if (i < v.len && v.p[i] != ',')
            return -EBADMSG;
    }
}

static void
fields_connection(struct slice v, struct h1_fields_info *fi)
{
    struct slice t;
    size_t i = 0;

    while (h1_list_next(v, &i, &t)) {
        if (t.len == 5 && NAME_IS(t.p, "close"))
            fi->conn_close = true;
        else if (t.len == 10 && NAME_IS(t.p, "keep-alive"))
            fi->conn_keep_alive = true;
        else if (t.len == 7 && NAME_IS(t.p, "upgrade"))
            fi->conn_upgrade = true;
        else
            fi->conn_names_fields = true;
    }
}

static void
fields_upgrade(struct slice v, struct h1_fields_info *fi)
{
    struct slice t;
    size_t i = 0;

    while (h1_list_next(v, &i, &t))
        if (t.len == 9 && NAME_IS(t.p, "websocket"))
            fi->upgrade_websocket = true;
}

static void
fields_expect(struct slice v, struct h1_fields_info *fi)
{
    struct slice t;
    size_t i = 0;
    bool any = false;

    fi->nexpect++;
    while (h1_list_next(v, &i, &t)) {
        any = true;
        if (!(t.len == 12 && NAME_IS(t.p, "100-continue")))
            fi->expect_other = true;
    }
    if (!any)
        fi->expect_other = true;
}

static ssize_t
fail(int *status, const char **why, int st, const char *msg)
{
    *status = st;
    *why = msg;
    return -EBADMSG;
}

/* Only these fields need a look at their value while scanning. */
#define FIELDS_NOTED                                                                      \
    (H1_HDR_HOST | H1_HDR_CONTENT_LENGTH | H1_HDR_TRANSFER_ENCODING | H1_HDR_CONNECTION |  \
     H1_HDR_UPGRADE | H1_HDR_EXPECT)

ssize_t
h1_fields_scan(const char *p, size_t pos, size_t len, size_t end, unsigned max,
               struct h1_header *hdrs, unsigned *nh, struct h1_fields_info *fi, int *status,
               const char **why)
{
    unsigned n = 0;

    memset(fi, 0, sizeof(*fi));
    for (;;) {
        if (pos >= end)
            goto incomplete;
        if (p[pos] == '\r') {
            if (pos + 1 >= end)
                goto incomplete;
            if (p[pos + 1] != '\n')
                return fail(status, why, 400, "bare CR in header section");
            *nh = n;
            return (ssize_t)(pos + 2);
        }
        if (n >= max)
            return fail(status, why, 431, "too many header fields");
        size_t ns = pos;
        while (pos < end && h1_common_is(p[pos], H1_C_TCHAR))
            pos++;
        if (pos >= end)
            goto incomplete;
        if (p[pos] != ':') {
            char c = p[pos];
            if (pos == ns && (c == ' ' || c == '\t'))
                return fail(status, why, 400, "obs-fold or whitespace-prefixed field line");
            if (c == ' ' || c == '\t')
                return fail(status, why, 400, "whitespace between field name and colon");
            if (c == '\n')
                return fail(status, why, 400, "bare LF in header section");
            if (c == '\r')
                return fail(status, why, 400, "field line without colon");
            return fail(status, why, 400, "invalid character in field name");
        }
        if (pos == ns)
            return fail(status, why, 400, "empty field name");
        struct slice name = slice_make(p + ns, pos - ns);
        pos++;
        while (pos < end && (p[pos] == ' ' || p[pos] == '\t'))
            pos++;
        size_t vs = pos;
        /* Values are most of a head (cookies, user agents): skip words free of CTLs. */
        while (pos + 8 <= end) {
            uint64_t x = h1_common_load8(p + pos);
            if (h1_common_has_less(x, 0x20) | h1_common_has_byte(x, 0x7f))
                break;
            pos += 8;
        }
        while (pos < end && h1_common_is(p[pos], H1_C_VALUE))
            pos++;
        if (pos >= end)
            goto incomplete;
        if (p[pos] != '\r') {
            if (p[pos] == '\n')
                return fail(status, why, 400, "bare LF in field value");
            return fail(status, why, 400, "invalid character in field value");
        }
        if (pos + 1 >= end)
            goto incomplete;
        if (p[pos + 1] != '\n')
            return fail(status, why, 400, "bare CR in field value");
        size_t ve = pos;
        while (ve > vs && (p[ve - 1] == ' ' || p[ve - 1] == '\t'))
            ve--;
        pos += 2;

        struct h1_header *h = &hdrs[n++];
        h->name = name;
        h->value = slice_make(p + vs, ve - vs);
        h->flags = fields_flags(name.p, name.len);
        if (!(h->flags & FIELDS_NOTED))
            continue;
        if (h->flags & H1_HDR_HOST) {
            if (fi->nhost++ == 0)
                fi->host = h->value;
        } else if (h->flags & H1_HDR_CONTENT_LENGTH) {
            if (fields_content_length(h->value, fi) < 0)
                return fail(status, why, 400, "invalid or conflicting Content-Length");
            fi->ncl++;
        } else if (h->flags & H1_HDR_TRANSFER_ENCODING) {
            fi->nte++;
            if (fields_transfer_encoding(h->value, fi) < 0)
                return fail(status, why, 400, "malformed Transfer-Encoding");
        } else if (h->flags & H1_HDR_CONNECTION) {
            fields_connection(h->value, fi);
        } else if (h->flags & H1_HDR_UPGRADE) {
            fields_upgrade(h->value, fi);
        } else {
            fields_expect(h->value, fi);
        }
    }

incomplete:
    if (end < len)
        return fail(status, why, 431, "header section too large");
    return -EAGAIN;
}

void
h1_fields_mark_connection(struct h1_header *hdrs, unsigned nh)
{
    for (unsigned k = 0; k < nh; k++) {
        if (!(hdrs[k].flags & H1_HDR_CONNECTION))
            continue;
        struct slice t;
        size_t i = 0;
        while (h1_list_next(hdrs[k].value, &i, &t)) {
            if ((t.len == 4 && NAME_IS(t.p, "host")) ||
                (t.len == 14 && NAME_IS(t.p, "content-length")) ||
                (t.len == 17 && NAME_IS(t.p, "transfer-encoding")))
                continue;               /* hop-by-hop abuse: never drop these */
            for (unsigned j = 0; j < nh; j++)
                if (hdrs[j].name.len == t.len && slice_eq_nocase(hdrs[j].name, t))
                    hdrs[j].flags |= H1_HDR_HOP;
        }
    }
}

/*
 * http/fcgi.c: FastCGI records (parse what an application sends, write what a client
 * sends) and the CGI response head (fcgi.h). The framing of STDOUT into the body and the
 * connection's life are edge/uproto_fcgi.c's; this file only checks and encodes bytes.
 */
#include "http/fcgi.h"

#include <errno.h>
#include <string.h>

#include "http/internal.h"

static ssize_t
fcgi_fail(const char **why, const char *msg)
{
    *why = msg;
    return -EBADMSG;
}

ssize_t
fcgi_header_parse(const void *p, size_t len, uint16_t id, struct fcgi_header *h,
                  const char **why)
{
    const uint8_t *b = p;

    if (len < FCGI_HEADER_LEN)
        return -EAGAIN;
    if (b[0] != 1)
        return fcgi_fail(why, "FastCGI record version is not 1");
    h->type = b[1];
    h->request_id = (uint16_t)(b[2] << 8 | b[3]);
    h->content_len = (uint16_t)(b[4] << 8 | b[5]);
    h->padding_len = b[6];
    if (h->type != FCGI_STDOUT && h->type != FCGI_STDERR && h->type != FCGI_END_REQUEST)
        return fcgi_fail(why, "FastCGI record type an application may not send");
    if (h->request_id != id)
        return fcgi_fail(why, "FastCGI record for another request");
    if (h->type == FCGI_END_REQUEST && h->content_len != 8)
        return fcgi_fail(why, "FastCGI END_REQUEST is not 8 bytes long");
    return FCGI_HEADER_LEN;
}

int
fcgi_header_put(struct buf *out, uint8_t type, uint16_t id, uint16_t content_len,
                uint8_t padding_len)
{
    uint8_t h[FCGI_HEADER_LEN] = { 1, type, (uint8_t)(id >> 8), (uint8_t)id,
                                   (uint8_t)(content_len >> 8), (uint8_t)content_len,
                                   padding_len, 0 };

    return buf_append(out, h, sizeof(h));
}

int
fcgi_begin_put(struct buf *out, uint16_t id, bool keep_conn)
{
    uint8_t body[8] = { 0, FCGI_RESPONDER, keep_conn ? FCGI_KEEP_CONN : 0, 0, 0, 0, 0, 0 };

    if (fcgi_header_put(out, FCGI_BEGIN_REQUEST, id, sizeof(body), 0) < 0)
        return -ENOMEM;
    return buf_append(out, body, sizeof(body));
}

static int
fcgi_len_put(struct buf *out, size_t n)
{
    if (n < 128) {
        uint8_t b = (uint8_t)n;
        return buf_append(out, &b, 1);
    }
    uint8_t b[4] = { (uint8_t)(0x80 | ((n >> 24) & 0x7f)), (uint8_t)(n >> 16), (uint8_t)(n >> 8),
                     (uint8_t)n };
    return buf_append(out, b, 4);
}

int
fcgi_pair_put(struct buf *out, const char *name, size_t nlen, const char *value, size_t vlen)
{
    if (fcgi_len_put(out, nlen) < 0 || fcgi_len_put(out, vlen) < 0 ||
        buf_append(out, name, nlen) < 0 || buf_append(out, value, vlen) < 0)
        return -ENOMEM;
    return 0;
}

int
fcgi_stream_put(struct buf *out, uint8_t type, uint16_t id, const void *p, size_t n)
{
    const char *s = p;

    if (n == 0)
        return fcgi_header_put(out, type, id, 0, 0);
    while (n) {
        size_t k = n > FCGI_CONTENT_MAX ? FCGI_CONTENT_MAX : n;
        if (buf_reserve(out, k + FCGI_HEADER_LEN) < 0)
            return -ENOMEM;
        fcgi_header_put(out, type, id, (uint16_t)k, 0);
        buf_append(out, s, k);
        s += k;
        n -= k;
    }
    return 0;
}

int
fcgi_end_parse(const void *p, uint32_t *app_status, const char **why)
{
    const uint8_t *b = p;

    *app_status = (uint32_t)b[0] << 24 | (uint32_t)b[1] << 16 | (uint32_t)b[2] << 8 | b[3];
    if (b[4] != FCGI_REQUEST_COMPLETE) {
        *why = b[4] == 2 ? "the application is overloaded (FCGI_OVERLOADED)"
                         : "the application refused the request (FastCGI protocolStatus)";
        return -EBADMSG;
    }
    return 0;
}

static bool
fcgi_name_is(struct slice n, const char *lit)
{
    size_t l = strlen(lit);

    if (n.len != l)
        return false;
    for (size_t i = 0; i < l; i++) {
        char c = n.p[i];
        if (c >= 'A' && c <= 'Z')
            c = (char)(c + 32);
        if (c != lit[i])
            return false;
    }
    return true;
}

/* "NNN" or "NNN reason" (RFC 3875 §6.3.3). */
static ssize_t
fcgi_status_value(struct h1_response *r, struct slice v, const char **why)
{
    if (v.len < 3 || v.p[0] < '1' || v.p[0] > '5' || !h1_common_is(v.p[1], H1_C_DIGIT) ||
        !h1_common_is(v.p[2], H1_C_DIGIT) || (v.len > 3 && v.p[3] != ' '))
        return fcgi_fail(why, "invalid Status field in the CGI response");
    r->status = (v.p[0] - '0') * 100 + (v.p[1] - '0') * 10 + (v.p[2] - '0');
    r->reason = v.len > 4 ? slice_make(v.p + 4, v.len - 4) : slice_make(v.p + 3, 0);
    return 0;
}

ssize_t
fcgi_cgi_head_parse(const char *p, size_t len, const struct h1_limits *lim, bool head_request,
                    struct h1_response *r, const char **why)
{
    struct h1_limits l;
    struct h1_fields_info fi;
    int st;
    bool has_status = false, has_location = false;

    h1_common_limits(lim, &l);
    memset(&fi, 0, sizeof(fi));
    r->status = 200;
    r->version_minor = 1;
    r->reason = slice_make(p, 0);
    r->framing = H1_FRAMING_NONE;
    r->content_length = 0;
    r->keep_alive = true;
    r->upgrade_websocket = false;
    r->head_len = 0;
    r->nheaders = 0;

    size_t end = len < l.head_max_bytes ? len : l.head_max_bytes;
    ssize_t n = h1_fields_scan(p, 0, len, end, l.headers_max, r->headers, &r->nheaders, &fi,
                               &st, why);
    if (n < 0)
        return n;
    for (unsigned i = 0; i < r->nheaders; i++) {
        struct h1_header *h = &r->headers[i];
        if (fcgi_name_is(h->name, "status")) {
            if (has_status)
                return fcgi_fail(why, "more than one Status field in the CGI response");
            has_status = true;
            if (fcgi_status_value(r, h->value, why) < 0)
                return -EBADMSG;
            h->flags |= H1_HDR_HOP;
        } else if (fcgi_name_is(h->name, "location")) {
            has_location = true;
        }
    }
    if (fi.nte)
        return fcgi_fail(why, "Transfer-Encoding in a CGI response");
    if (r->status < 200)     /* no 101 (no tunnel over FastCGI), no interim answers */
        return fcgi_fail(why, "a CGI response cannot have a 1xx status");
    if (!has_status && has_location)
        r->status = 302;    /* RFC 3875 §6.2.3 client redirect; PHP says 302 itself */
    if (fi.ncl) {
        r->framing = H1_FRAMING_LENGTH;
        r->content_length = fi.content_length;
    } else {
        r->framing = H1_FRAMING_CLOSE;
    }
    if (head_request || r->status == 204 || r->status == 304)
        r->framing = H1_FRAMING_NONE;
    if (fi.conn_names_fields)
        h1_fields_mark_connection(r->headers, r->nheaders);
    r->head_len = (size_t)n;
    return n;
}

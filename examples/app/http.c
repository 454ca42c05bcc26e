/*
 * examples/app/http.c: HTTP/1.x request parsing: finding the end of a head, parsing the
 * request line and headers into struct http_req, query lookups, and incremental chunked-body
 * decoding. Pure functions over bytes; no sockets, no allocation.
 *
 * Lenient where a backend can afford it (bare LF line ends, absolute-form targets, chunk
 * extensions, trailers), strict where ambiguity would be unsafe: Content-Length together with
 * Transfer-Encoding, conflicting lengths, codings other than chunked, obsolete line folding
 * and control bytes are all rejected.
 */
#include "http.h"

#include <errno.h>
#include <string.h>
#include <strings.h>

#define HTTP_CHUNK_LINE_MAX_BYTES 4096
#define HTTP_TRAILERS_MAX_BYTES   (64 * 1024)

enum http_ck_state {
    HTTP_CK_SIZE = 0,        /* first hex digit of a chunk size */
    HTTP_CK_SIZE_MORE,       /* more digits, an extension, or the line end */
    HTTP_CK_EXT,             /* chunk extension: skipped up to LF */
    HTTP_CK_SIZE_LF,         /* saw CR after the size line */
    HTTP_CK_DATA,
    HTTP_CK_DATA_END,        /* CRLF after the data */
    HTTP_CK_DATA_LF,
    HTTP_CK_TRAILER,         /* start of a trailer line, or the final empty line */
    HTTP_CK_TRAILER_LINE,
    HTTP_CK_END_LF,
    HTTP_CK_DONE,
};

static bool
http_is_tchar(unsigned char ch)
{
    if ((ch >= 'a' && ch <= 'z') || (ch >= 'A' && ch <= 'Z') || (ch >= '0' && ch <= '9'))
        return true;
    switch (ch) {
    case '!': case '#': case '$': case '%': case '&': case '\'': case '*': case '+':
    case '-': case '.': case '^': case '_': case '`': case '|': case '~':
        return true;
    default:
        return false;
    }
}

bool
http_slice_eq(struct http_slice s, const char *lit)
{
    size_t n = strlen(lit);

    return s.n == n && memcmp(s.p, lit, n) == 0;
}

bool
http_slice_ieq(struct http_slice s, const char *lit)
{
    size_t n = strlen(lit);

    return s.n == n && strncasecmp(s.p, lit, n) == 0;
}

/* True if the comma-separated list in value holds tok (case-insensitive). */
static bool
http_has_token(struct http_slice value, const char *tok)
{
    size_t i = 0;

    while (i < value.n) {
        while (i < value.n && (value.p[i] == ' ' || value.p[i] == '\t' || value.p[i] == ','))
            i++;
        size_t start = i;
        while (i < value.n && value.p[i] != ',')
            i++;
        size_t end = i;
        while (end > start && (value.p[end - 1] == ' ' || value.p[end - 1] == '\t'))
            end--;
        if (http_slice_ieq((struct http_slice){ value.p + start, end - start }, tok))
            return true;
    }
    return false;
}

/* Decimal digits only, at most 19 of them so the value cannot overflow. */
static int
http_parse_u64(struct http_slice s, uint64_t *out)
{
    uint64_t v = 0;

    if (s.n == 0 || s.n > 19)
        return -EBADMSG;
    for (size_t i = 0; i < s.n; i++) {
        if (s.p[i] < '0' || s.p[i] > '9')
            return -EBADMSG;
        v = v * 10 + (uint64_t)(s.p[i] - '0');
    }
    *out = v;
    return 0;
}

ssize_t
http_head_end(const char *p, size_t len, size_t *scan)
{
    size_t i = *scan;

    while (i < len) {
        const char *nl = memchr(p + i, '\n', len - i);
        if (!nl) {
            *scan = len;
            return -EAGAIN;
        }
        size_t j = (size_t)(nl - p) + 1;        /* first byte of the next line */
        if (j < len && p[j] == '\n')
            return (ssize_t)j + 1;
        if (j + 1 < len && p[j] == '\r' && p[j + 1] == '\n')
            return (ssize_t)j + 2;
        if (j >= len || (j + 1 >= len && p[j] == '\r')) {
            *scan = j - 1;                      /* look at this line end again */
            return -EAGAIN;
        }
        i = j;
    }
    *scan = len;
    return -EAGAIN;
}

int
http_header_next(const char *head, size_t len, size_t *pos, struct http_slice *name,
                 struct http_slice *value)
{
    size_t i = *pos;

    if (i >= len)
        return -EBADMSG;
    const char *nl = memchr(head + i, '\n', len - i);
    if (!nl)
        return -EBADMSG;
    size_t end = (size_t)(nl - head);
    *pos = end + 1;
    if (end > i && head[end - 1] == '\r')
        end--;
    if (end == i)
        return 0;                               /* the empty line */
    if (head[i] == ' ' || head[i] == '\t')
        return -EBADMSG;                        /* obsolete line folding */

    size_t n = i;
    while (n < end && http_is_tchar((unsigned char)head[n]))
        n++;
    if (n == i || n >= end || head[n] != ':')
        return -EBADMSG;
    *name = (struct http_slice){ head + i, n - i };

    size_t v = n + 1;
    while (v < end && (head[v] == ' ' || head[v] == '\t'))
        v++;
    size_t ve = end;
    while (ve > v && (head[ve - 1] == ' ' || head[ve - 1] == '\t'))
        ve--;
    for (size_t k = v; k < ve; k++) {
        unsigned char ch = (unsigned char)head[k];
        if ((ch < 0x20 && ch != '\t') || ch == 0x7f)
            return -EBADMSG;
    }
    *value = (struct http_slice){ head + v, ve - v };
    return 1;
}

/* Splits the request line "METHOD SP target SP HTTP/1.x" into req. */
static int
http_parse_line(struct http_req *req, const char **why)
{
    const char *p = req->line.p;
    size_t len = req->line.n, i = 0;

    while (i < len && http_is_tchar((unsigned char)p[i]))
        i++;
    if (i == 0 || i > 32 || i >= len || p[i] != ' ')
        return *why = "bad method", -EBADMSG;
    req->method = (struct http_slice){ p, i };
    size_t t = ++i;
    while (i < len && (unsigned char)p[i] > ' ' && p[i] != 0x7f)
        i++;
    if (i == t || i >= len || p[i] != ' ')
        return *why = "bad request target", -EBADMSG;
    req->target = (struct http_slice){ p + t, i - t };
    struct http_slice version = { p + i + 1, len - i - 1 };
    if (http_slice_eq(version, "HTTP/1.1"))
        req->minor = 1;
    else if (http_slice_eq(version, "HTTP/1.0"))
        req->minor = 0;
    else
        return *why = "unsupported HTTP version", -EBADMSG;

    /* Absolute-form ("http://host/path?q"): keep only the path and query. */
    struct http_slice path = req->target;
    const char *scheme = memchr(path.p, ':', path.n);
    if (path.p[0] != '/' && scheme && scheme + 2 < path.p + path.n && scheme[1] == '/' &&
        scheme[2] == '/') {
        const char *host = scheme + 3;
        const char *slash = memchr(host, '/', (size_t)(path.p + path.n - host));
        path = slash ? (struct http_slice){ slash, (size_t)(path.p + path.n - slash) }
                     : (struct http_slice){ "/", 1 };
    }
    const char *q = memchr(path.p, '?', path.n);
    if (q) {
        req->query = (struct http_slice){ q + 1, (size_t)(path.p + path.n - q - 1) };
        path.n = (size_t)(q - path.p);
    } else {
        req->query = (struct http_slice){ path.p + path.n, 0 };
    }
    req->path = path;
    req->is_get = http_slice_eq(req->method, "GET");
    req->is_head = http_slice_eq(req->method, "HEAD");
    return 0;
}

int
http_parse_head(const char *p, size_t len, struct http_req *req, const char **why)
{
    *req = (struct http_req){ .head = { p, len } };

    const char *nl = memchr(p, '\n', len);
    if (!nl)
        return *why = "no request line", -EBADMSG;
    size_t line_n = (size_t)(nl - p);
    if (line_n > 0 && p[line_n - 1] == '\r')
        line_n--;
    req->line = (struct http_slice){ p, line_n };
    req->headers_at = (size_t)(nl - p) + 1;
    if (http_parse_line(req, why) < 0)
        return -EBADMSG;

    bool close = false, keep = false, te = false;
    size_t pos = req->headers_at;
    struct http_slice name, value;
    int rc;
    while ((rc = http_header_next(p, len, &pos, &name, &value)) == 1) {
        if (http_slice_ieq(name, "content-length")) {
            uint64_t n;
            if (http_parse_u64(value, &n) < 0)
                return *why = "bad Content-Length", -EBADMSG;
            if (req->has_length && n != req->length)
                return *why = "conflicting Content-Length", -EBADMSG;
            req->has_length = true;
            req->length = n;
        } else if (http_slice_ieq(name, "transfer-encoding")) {
            /* Only "chunked", once: anything else would need a decoder we do not have. */
            if (te || !http_slice_ieq(value, "chunked"))
                return *why = "unsupported Transfer-Encoding", -EBADMSG;
            te = true;
        } else if (http_slice_ieq(name, "connection")) {
            close |= http_has_token(value, "close");
            keep |= http_has_token(value, "keep-alive");
            req->conn_upgrade |= http_has_token(value, "upgrade");
        } else if (http_slice_ieq(name, "upgrade")) {
            req->upgrade_ws |= http_has_token(value, "websocket");
        } else if (http_slice_ieq(name, "expect")) {
            req->expect_continue = http_slice_ieq(value, "100-continue");
        } else if (http_slice_ieq(name, "sec-websocket-key")) {
            req->ws_key = value;
        } else if (http_slice_ieq(name, "sec-websocket-version")) {
            req->ws_version = value;
        }
    }
    if (rc < 0)
        return *why = "bad header line", -EBADMSG;
    if (te && req->has_length)
        return *why = "both Content-Length and Transfer-Encoding", -EBADMSG;
    req->chunked = te;
    req->keepalive = !close && (req->minor == 1 || keep);
    return 0;
}

int
http_query_u64(struct http_slice query, const char *key, uint64_t *out)
{
    size_t klen = strlen(key), i = 0;

    while (i < query.n) {
        const char *amp = memchr(query.p + i, '&', query.n - i);
        size_t end = amp ? (size_t)(amp - query.p) : query.n;
        struct http_slice pair = { query.p + i, end - i };
        if (pair.n > klen && memcmp(pair.p, key, klen) == 0 && pair.p[klen] == '=') {
            struct http_slice v = { pair.p + klen + 1, pair.n - klen - 1 };
            return http_parse_u64(v, out) < 0 ? -EBADMSG : 1;
        }
        i = end + 1;
    }
    return 0;
}

static int
http_hex(unsigned char ch)
{
    if (ch >= '0' && ch <= '9')
        return ch - '0';
    ch |= 0x20;
    if (ch >= 'a' && ch <= 'f')
        return ch - 'a' + 10;
    return -1;
}

int
http_chunked_feed(struct http_chunked *ck, const char *p, size_t len, size_t *used,
                  struct http_slice *data)
{
    size_t i = 0;

    *data = (struct http_slice){ p, 0 };
    while (i < len && ck->state != HTTP_CK_DONE) {
        unsigned char ch = (unsigned char)p[i];
        int v;

        switch (ck->state) {
        case HTTP_CK_SIZE:
            if ((v = http_hex(ch)) < 0)
                return -EBADMSG;
            ck->left = (uint64_t)v;
            ck->digits = 1;
            ck->state = HTTP_CK_SIZE_MORE;
            i++;
            break;
        case HTTP_CK_SIZE_MORE:
            if ((v = http_hex(ch)) >= 0) {
                if (++ck->digits > 15)          /* keeps sizes far from overflow */
                    return -EBADMSG;
                ck->left = ck->left * 16 + (uint64_t)v;
            } else if (ch == ';' || ch == ' ' || ch == '\t') {
                ck->state = HTTP_CK_EXT;
                ck->line_bytes = 0;
            } else if (ch == '\r') {
                ck->state = HTTP_CK_SIZE_LF;
            } else if (ch == '\n') {
                ck->state = ck->left ? HTTP_CK_DATA : HTTP_CK_TRAILER;
            } else {
                return -EBADMSG;
            }
            i++;
            break;
        case HTTP_CK_EXT:
            if (ch == '\n')
                ck->state = ck->left ? HTTP_CK_DATA : HTTP_CK_TRAILER;
            else if (++ck->line_bytes > HTTP_CHUNK_LINE_MAX_BYTES || ch == 0)
                return -EBADMSG;
            i++;
            break;
        case HTTP_CK_SIZE_LF:
            if (ch != '\n')
                return -EBADMSG;
            ck->state = ck->left ? HTTP_CK_DATA : HTTP_CK_TRAILER;
            ck->line_bytes = 0;
            i++;
            break;
        case HTTP_CK_DATA: {
            size_t n = len - i < ck->left ? len - i : (size_t)ck->left;
            *data = (struct http_slice){ p + i, n };
            ck->left -= n;
            if (ck->left == 0)
                ck->state = HTTP_CK_DATA_END;
            *used = i + n;
            return 0;                           /* one data run per call */
        }
        case HTTP_CK_DATA_END:
            if (ch == '\r')
                ck->state = HTTP_CK_DATA_LF;
            else if (ch == '\n')
                ck->state = HTTP_CK_SIZE;
            else
                return -EBADMSG;
            i++;
            break;
        case HTTP_CK_DATA_LF:
            if (ch != '\n')
                return -EBADMSG;
            ck->state = HTTP_CK_SIZE;
            i++;
            break;
        case HTTP_CK_TRAILER:
            if (ch == '\r')
                ck->state = HTTP_CK_END_LF;
            else if (ch == '\n')
                ck->state = HTTP_CK_DONE;
            else
                ck->state = HTTP_CK_TRAILER_LINE;
            i++;
            break;
        case HTTP_CK_TRAILER_LINE:
            if (ch == '\n')
                ck->state = HTTP_CK_TRAILER;
            if (++ck->line_bytes > HTTP_TRAILERS_MAX_BYTES)
                return -EBADMSG;
            i++;
            break;
        case HTTP_CK_END_LF:
            if (ch != '\n')
                return -EBADMSG;
            ck->state = HTTP_CK_DONE;
            i++;
            break;
        default:
            return -EBADMSG;
        }
    }
    *used = i;
    return ck->state == HTTP_CK_DONE;
}

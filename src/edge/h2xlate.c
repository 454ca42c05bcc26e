/*
 * edge/h2xlate.c: an HTTP/2 request header block to an HTTP/1.1 request head (h2xlate.h).
 * nghttp2 already refuses most malformed blocks (its HTTP messaging checks); this file
 * checks again what would let bytes change meaning in HTTP/1.1 (CR, LF, NUL, spaces in the
 * request-line, connection-specific fields), because the translated head is what the
 * targets see. What HTTP/1.1 itself forbids is left to h1_parse_request(), which reads the
 * result exactly as it reads a client's head. Owns the strings and buffers in struct h2xlate.
 */
#include "edge/h2xlate.h"

#include <stdlib.h>
#include <string.h>
#include <strings.h>

#include "http/h1.h"

static bool
xl_is(const uint8_t *p, size_t n, const char *s)
{
    return n == strlen(s) && memcmp(p, s, n) == 0;
}

/* Field values (9113 §8.2.1): no NUL, CR or LF; no leading or trailing space or tab. */
static bool
xl_value_ok(const uint8_t *v, size_t n)
{
    for (size_t i = 0; i < n; i++)
        if (v[i] == 0 || v[i] == '\r' || v[i] == '\n')
            return false;
    return !n || (v[0] != ' ' && v[0] != '\t' && v[n - 1] != ' ' && v[n - 1] != '\t');
}

/* Names: lowercase tchar (9110 §5.6.2, 9113 §8.2.1). */
static bool
xl_name_ok(const uint8_t *p, size_t n)
{
    if (!n)
        return false;
    for (size_t i = 0; i < n; i++) {
        unsigned char ch = p[i];
        if (ch <= 0x20 || ch >= 0x7f || (ch >= 'A' && ch <= 'Z') ||
            strchr("\"(),/:;<=>?@[\\]{}", ch))
            return false;
    }
    return true;
}

/* Pseudo-header values that go into the request-line: visible ASCII, no space. */
static bool
xl_line_ok(const uint8_t *p, size_t n)
{
    for (size_t i = 0; i < n; i++)
        if (p[i] <= 0x20 || p[i] >= 0x7f)
            return false;
    return n > 0;
}

void
h2xlate_init(struct h2xlate *x)
{
    memset(x, 0, sizeof(*x));
}

void
h2xlate_fini(struct h2xlate *x)
{
    buf_fini(&x->fields);
    buf_fini(&x->cookie);
    free(x->method);
    free(x->path);
    free(x->authority);
    free(x->scheme);
    memset(x, 0, sizeof(*x));
}

static enum h2xlate_result
xl_pseudo(struct h2xlate *x, const uint8_t *name, size_t nlen, const uint8_t *value,
          size_t vlen)
{
    char **slot;

    if (xl_is(name, nlen, ":method"))
        slot = &x->method;
    else if (xl_is(name, nlen, ":path"))
        slot = &x->path;
    else if (xl_is(name, nlen, ":authority"))
        slot = &x->authority;
    else if (xl_is(name, nlen, ":scheme"))
        slot = &x->scheme;
    else
        return H2XLATE_MALFORMED;       /* :protocol (RFC 8441) is not offered */
    /* Pseudo-headers come first and once each (9113 §8.3). */
    if (*slot || x->regular)
        return H2XLATE_MALFORMED;
    if (!xl_line_ok(value, vlen))
        return H2XLATE_MALFORMED;
    if (!(*slot = malloc(vlen + 1)))
        return H2XLATE_LIMIT;
    memcpy(*slot, value, vlen);
    (*slot)[vlen] = '\0';
    if (slot == &x->method)
        x->is_head = strcmp(x->method, "HEAD") == 0;
    return H2XLATE_OK;
}

/* Counts one field of a block against lim (9113 §6.5.2's size: name + value + 32). */
static bool
xl_count(struct h2xlate *x, const struct h2xlate_limits *lim, size_t nlen, size_t vlen)
{
    x->list_bytes += nlen + vlen + 32;
    x->nfields++;
    return x->list_bytes <= lim->list_bytes && x->nfields <= lim->fields;
}

/* "name: value\r\n" onto x->fields. */
static enum h2xlate_result
xl_field(struct h2xlate *x, const uint8_t *name, size_t nlen, const uint8_t *value,
         size_t vlen)
{
    if (buf_reserve(&x->fields, nlen + vlen + 4) < 0)
        return H2XLATE_LIMIT;
    buf_append(&x->fields, name, nlen);
    buf_append(&x->fields, ": ", 2);
    buf_append(&x->fields, value, vlen);
    buf_append(&x->fields, "\r\n", 2);
    return H2XLATE_OK;
}

enum h2xlate_result
h2xlate_add(struct h2xlate *x, const struct h2xlate_limits *lim, const uint8_t *name,
            size_t nlen, const uint8_t *value, size_t vlen)
{
    if (!xl_count(x, lim, nlen, vlen))
        return H2XLATE_LIMIT;
    if (nlen && name[0] == ':')
        return xl_pseudo(x, name, nlen, value, vlen);
    x->regular = true;
    if (!xl_name_ok(name, nlen) || !xl_value_ok(value, vlen))
        return H2XLATE_MALFORMED;
    /* Connection-specific fields make a message malformed (9113 §8.2.2); TE may only say
     * "trailers", and is hop-by-hop anyway. */
    if (xl_is(name, nlen, "connection") || xl_is(name, nlen, "keep-alive") ||
        xl_is(name, nlen, "proxy-connection") || xl_is(name, nlen, "transfer-encoding") ||
        xl_is(name, nlen, "upgrade"))
        return H2XLATE_MALFORMED;
    if (xl_is(name, nlen, "te"))
        return xl_is(value, vlen, "trailers") ? H2XLATE_OK : H2XLATE_MALFORMED;
    if (xl_is(name, nlen, "cookie")) {
        /* Crumbs are joined into one field for HTTP/1.1 (9113 §8.2.3). */
        if (buf_len(&x->cookie) && buf_append(&x->cookie, "; ", 2) < 0)
            return H2XLATE_LIMIT;
        return buf_append(&x->cookie, value, vlen) < 0 ? H2XLATE_LIMIT : H2XLATE_OK;
    }
    if (xl_is(name, nlen, "host")) {
        if (x->has_host)
            return H2XLATE_MALFORMED;
        x->has_host = true;
        x->host_off = (uint32_t)buf_len(&x->fields);
        x->host_len = (uint32_t)vlen;
        return buf_append(&x->fields, value, vlen) < 0 ? H2XLATE_LIMIT : H2XLATE_OK;
    }
    if (xl_is(name, nlen, "content-length"))
        x->has_length = true;
    return xl_field(x, name, nlen, value, vlen);
}

/* A trailer section as HTTP/1.1 carries it in a chunked body is at most 8 KiB
 * (h1_chunked.c): what goes over is refused there, so it is dropped here. */
#define H2XLATE_TRAILER_MAX_BYTES 8000

enum h2xlate_result
h2xlate_trailer(struct h2xlate *x, const struct h2xlate_limits *lim, const uint8_t *name,
                size_t nlen, const uint8_t *value, size_t vlen)
{
    if (!xl_count(x, lim, nlen, vlen))
        return H2XLATE_LIMIT;
    if (!xl_name_ok(name, nlen) || !xl_value_ok(value, vlen))
        return H2XLATE_MALFORMED;       /* pseudo-headers included (9113 §8.1) */
    /* The section is not read again by a head parser but by the chunked decoder, which
     * refuses controls mid-body: refuse them here, where the stream can still be reset. */
    for (size_t i = 0; i < vlen; i++)
        if ((value[i] < 0x20 && value[i] != '\t') || value[i] == 0x7f)
            return H2XLATE_MALFORMED;
    if (!h1_trailer_allowed(slice_make((const char *)name, nlen)) ||
        buf_len(&x->fields) + nlen + vlen + 4 > H2XLATE_TRAILER_MAX_BYTES)
        return H2XLATE_OK;
    return xl_field(x, name, nlen, value, vlen);
}

enum h2xlate_result
h2xlate_head(struct h2xlate *x, bool end_stream, struct buf *out, bool *chunked)
{
    size_t flen = buf_len(&x->fields);
    const char *fields = flen ? buf_head(&x->fields) : "";
    const char *host = x->has_host ? fields + x->host_off : NULL;

    *chunked = false;
    if (!x->method)
        return H2XLATE_MALFORMED;
    bool connect = strcmp(x->method, "CONNECT") == 0;
    if (connect ? (!x->authority || x->path || x->scheme) : (!x->path || !x->scheme))
        return H2XLATE_MALFORMED;
    if (!connect && x->path[0] != '/' && strcmp(x->path, "*") != 0)
        return H2XLATE_MALFORMED;
    if (x->authority && host &&
        (strlen(x->authority) != x->host_len || strncasecmp(x->authority, host, x->host_len)))
        return H2XLATE_MALFORMED;       /* 9113 §8.3.1: they must name the same origin */
    if (buf_reserve(out, flen + buf_len(&x->cookie) + 256 + strlen(x->method) +
                    (x->path ? strlen(x->path) : 0) + (x->authority ? strlen(x->authority) : 0)) <
        0)
        return H2XLATE_LIMIT;
    buf_append_str(out, x->method);
    buf_append(out, " ", 1);
    buf_append_str(out, connect ? x->authority : x->path);
    buf_append_str(out, " HTTP/1.1\r\n");
    if (x->authority || host) {
        buf_append_str(out, "host: ");
        if (x->authority)
            buf_append_str(out, x->authority);
        else
            buf_append(out, host, x->host_len);
        buf_append(out, "\r\n", 2);
    }
    /* The fields, minus the host value kept in their middle. */
    size_t from = 0;
    if (host) {
        buf_append(out, fields, x->host_off);
        from = x->host_off + x->host_len;
    }
    buf_append(out, fields + from, flen - from);
    if (buf_len(&x->cookie)) {
        buf_append_str(out, "cookie: ");
        buf_append(out, buf_head(&x->cookie), buf_len(&x->cookie));
        buf_append(out, "\r\n", 2);
    }
    if (!end_stream && !x->has_length) {
        buf_append_str(out, "transfer-encoding: chunked\r\n");
        *chunked = true;
    }
    buf_append(out, "\r\n", 2);
    return H2XLATE_OK;
}

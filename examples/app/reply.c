/*
 * examples/app/reply.c: response heads. Every response carries Server and X-Instance, then
 * exactly one of Content-Length, Transfer-Encoding: chunked or nothing (close-delimited or
 * bodiless), and "Connection: close" when the connection closes after it. Heads are built with
 * memcpy straight into the output buffer: this is the hot path of every benchmark.
 */
#include "reply.h"
#include "conn.h"

#include <stdio.h>
#include <string.h>

const char *
reply_reason(int status)
{
    switch (status) {
    case 100: return "Continue";
    case 101: return "Switching Protocols";
    case 200: return "OK";
    case 201: return "Created";
    case 202: return "Accepted";
    case 204: return "No Content";
    case 206: return "Partial Content";
    case 301: return "Moved Permanently";
    case 302: return "Found";
    case 303: return "See Other";
    case 304: return "Not Modified";
    case 307: return "Temporary Redirect";
    case 308: return "Permanent Redirect";
    case 400: return "Bad Request";
    case 401: return "Unauthorized";
    case 403: return "Forbidden";
    case 404: return "Not Found";
    case 405: return "Method Not Allowed";
    case 408: return "Request Timeout";
    case 409: return "Conflict";
    case 413: return "Content Too Large";
    case 414: return "URI Too Long";
    case 426: return "Upgrade Required";
    case 429: return "Too Many Requests";
    case 431: return "Request Header Fields Too Large";
    case 500: return "Internal Server Error";
    case 501: return "Not Implemented";
    case 502: return "Bad Gateway";
    case 503: return "Service Unavailable";
    case 504: return "Gateway Timeout";
    case 505: return "HTTP Version Not Supported";
    default:  return "Unknown";
    }
}

static char *
reply_put(char *w, const char *s, size_t n)
{
    memcpy(w, s, n);
    return w + n;
}

#define REPLY_PUT_LIT(w, lit) reply_put((w), (lit), sizeof(lit) - 1)

static char *
reply_put_u64(char *w, uint64_t v)
{
    char tmp[20];
    int i = 0;

    do {
        tmp[i++] = (char)('0' + v % 10);
        v /= 10;
    } while (v);
    while (i > 0)
        *w++ = tmp[--i];
    return w;
}

void
reply_head(struct conn *c, int status, const char *type, enum reply_framing framing,
           uint64_t length, const char *extra)
{
    const char *reason = reply_reason(status);
    size_t reason_n = strlen(reason);
    size_t type_n = type ? strlen(type) : 0;
    size_t extra_n = extra ? strlen(extra) : 0;

    if (framing == REPLY_CLOSE)
        c->keepalive = false;
    char *w0 = conn_out_reserve(c, 160 + reason_n + app.common_len + type_n + extra_n);
    if (!w0)
        return;
    char *w = REPLY_PUT_LIT(w0, "HTTP/1.1 ");
    w = reply_put_u64(w, (uint64_t)status);
    *w++ = ' ';
    w = reply_put(w, reason, reason_n);
    w = REPLY_PUT_LIT(w, "\r\n");
    w = reply_put(w, app.common, app.common_len);
    if (type) {
        w = REPLY_PUT_LIT(w, "Content-Type: ");
        w = reply_put(w, type, type_n);
        w = REPLY_PUT_LIT(w, "\r\n");
    }
    if (framing == REPLY_LENGTH) {
        w = REPLY_PUT_LIT(w, "Content-Length: ");
        w = reply_put_u64(w, length);
        w = REPLY_PUT_LIT(w, "\r\n");
    } else if (framing == REPLY_CHUNKED) {
        w = REPLY_PUT_LIT(w, "Transfer-Encoding: chunked\r\n");
    }
    if (!c->keepalive)
        w = REPLY_PUT_LIT(w, "Connection: close\r\n");
    else if (c->minor == 0)
        w = REPLY_PUT_LIT(w, "Connection: keep-alive\r\n");
    if (extra)
        w = reply_put(w, extra, extra_n);
    w = REPLY_PUT_LIT(w, "\r\n");
    conn_out_commit(c, (size_t)(w - w0));
}

void
reply_text(struct conn *c, int status, const char *body, size_t n)
{
    reply_head(c, status, "text/plain", REPLY_LENGTH, n, NULL);
    if (!c->is_head)
        conn_out(c, body, n);
}

void
reply_error(struct conn *c, int status, const char *why)
{
    char body[256];
    int n = snprintf(body, sizeof(body), "%d %s: %s\n", status, reply_reason(status), why);

    reply_text(c, status, body, (size_t)n < sizeof(body) ? (size_t)n : sizeof(body) - 1);
}

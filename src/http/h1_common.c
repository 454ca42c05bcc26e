/*
 * http/h1_common.c: what every h1 parser shares: the byte class table, default limits,
 * finding the end of a head, reason phrases and method properties. Parses nothing itself.
 */
#include "http/h1.h"

#include <string.h>

#include "http/internal.h"

/* Generated from the H1_C_* definitions in internal.h; 0x80-0xff are obs-text. */
const uint8_t h1_common_class[256] = {
    0x00, 0x00, 0x00, 0x00, 0x00, 0x00, 0x00, 0x00, 0x00, 0x42, 0x00, 0x00, 0x00, 0x00, 0x00, 0x00,
    0x00, 0x00, 0x00, 0x00, 0x00, 0x00, 0x00, 0x00, 0x00, 0x00, 0x00, 0x00, 0x00, 0x00, 0x00, 0x00,
    0x42, 0x67, 0x06, 0x43, 0x67, 0x67, 0x67, 0x67, 0x66, 0x66, 0x67, 0x67, 0x66, 0x67, 0x67, 0x46,
    0x7f, 0x7f, 0x7f, 0x7f, 0x7f, 0x7f, 0x7f, 0x7f, 0x7f, 0x7f, 0x46, 0x66, 0x46, 0x66, 0x46, 0x46,
    0x46, 0x6f, 0x6f, 0x6f, 0x6f, 0x6f, 0x6f, 0x67, 0x67, 0x67, 0x67, 0x67, 0x67, 0x67, 0x67, 0x67,
    0x67, 0x67, 0x67, 0x67, 0x67, 0x67, 0x67, 0x67, 0x67, 0x67, 0x67, 0x46, 0x06, 0x46, 0x47, 0x67,
    0x47, 0x6f, 0x6f, 0x6f, 0x6f, 0x6f, 0x6f, 0x67, 0x67, 0x67, 0x67, 0x67, 0x67, 0x67, 0x67, 0x67,
    0x67, 0x67, 0x67, 0x67, 0x67, 0x67, 0x67, 0x67, 0x67, 0x67, 0x67, 0x46, 0x47, 0x46, 0x67, 0x00,
    0x42, 0x42, 0x42, 0x42, 0x42, 0x42, 0x42, 0x42, 0x42, 0x42, 0x42, 0x42, 0x42, 0x42, 0x42, 0x42,
    0x42, 0x42, 0x42, 0x42, 0x42, 0x42, 0x42, 0x42, 0x42, 0x42, 0x42, 0x42, 0x42, 0x42, 0x42, 0x42,
    0x42, 0x42, 0x42, 0x42, 0x42, 0x42, 0x42, 0x42, 0x42, 0x42, 0x42, 0x42, 0x42, 0x42, 0x42, 0x42,
    0x42, 0x42, 0x42, 0x42, 0x42, 0x42, 0x42, 0x42, 0x42, 0x42, 0x42, 0x42, 0x42, 0x42, 0x42, 0x42,
    0x42, 0x42, 0x42, 0x42, 0x42, 0x42, 0x42, 0x42, 0x42, 0x42, 0x42, 0x42, 0x42, 0x42, 0x42, 0x42,
    0x42, 0x42, 0x42, 0x42, 0x42, 0x42, 0x42, 0x42, 0x42, 0x42, 0x42, 0x42, 0x42, 0x42, 0x42, 0x42,
    0x42, 0x42, 0x42, 0x42, 0x42, 0x42, 0x42, 0x42, 0x42, 0x42, 0x42, 0x42, 0x42, 0x42, 0x42, 0x42,
    0x42, 0x42, 0x42, 0x42, 0x42, 0x42, 0x42, 0x42, 0x42, 0x42, 0x42, 0x42, 0x42, 0x42, 0x42, 0x42,
};

const char h1_common_slash[] = "/";
const char h1_common_star[] = "*";

void
h1_limits_default(struct h1_limits *lim)
{
    lim->line_max_bytes = 8192;
    lim->head_max_bytes = 16384;
    lim->headers_max = 100;
}

void
h1_common_limits(const struct h1_limits *lim, struct h1_limits *out)
{
    if (lim)
        *out = *lim;
    else
        h1_limits_default(out);
    if (out->headers_max > H1_HEADERS_MAX)
        out->headers_max = H1_HEADERS_MAX;
}

/*
 * Every LF is a candidate end; it ends the head when the line it closes is empty ("\r\n" or
 * a bare "\n"). Empty lines before the first byte of a start-line are not an end: the
 * request parser skips them.
 */
ssize_t
h1_head_end(const char *p, size_t len, size_t from)
{
    size_t lead = 0;

    while (lead < len && (p[lead] == '\r' || p[lead] == '\n'))
        lead++;
    if (from < lead)
        from = lead;
    while (from < len) {
        const char *lf = memchr(p + from, '\n', len - from);
        if (!lf)
            return -1;
        size_t i = (size_t)(lf - p);
        if (i >= 1 && p[i - 1] == '\n')
            return (ssize_t)(i + 1);
        if (i >= 2 && p[i - 1] == '\r' && p[i - 2] == '\n')
            return (ssize_t)(i + 1);
        from = i + 1;
    }
    return -1;
}

const char *
h1_reason(int status)
{
    switch (status) {
    case 100: return "Continue";
    case 101: return "Switching Protocols";
    case 103: return "Early Hints";
    case 200: return "OK";
    case 201: return "Created";
    case 202: return "Accepted";
    case 203: return "Non-Authoritative Information";
    case 204: return "No Content";
    case 205: return "Reset Content";
    case 206: return "Partial Content";
    case 300: return "Multiple Choices";
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
    case 406: return "Not Acceptable";
    case 408: return "Request Timeout";
    case 409: return "Conflict";
    case 410: return "Gone";
    case 411: return "Length Required";
    case 412: return "Precondition Failed";
    case 413: return "Content Too Large";
    case 414: return "URI Too Long";
    case 415: return "Unsupported Media Type";
    case 416: return "Range Not Satisfiable";
    case 417: return "Expectation Failed";
    case 421: return "Misdirected Request";
    case 422: return "Unprocessable Content";
    case 425: return "Too Early";
    case 426: return "Upgrade Required";
    case 428: return "Precondition Required";
    case 429: return "Too Many Requests";
    case 431: return "Request Header Fields Too Large";
    case 500: return "Internal Server Error";
    case 501: return "Not Implemented";
    case 502: return "Bad Gateway";
    case 503: return "Service Unavailable";
    case 504: return "Gateway Timeout";
    case 505: return "HTTP Version Not Supported";
    default: return "Unknown";
    }
}

/* Methods are case-sensitive (9110 §9.1): "get" is not idempotent, it is unknown. */
bool
h1_method_is_idempotent(struct slice m)
{
    switch (m.len) {
    case 3:
        return memcmp(m.p, "GET", 3) == 0 || memcmp(m.p, "PUT", 3) == 0;
    case 4:
        return memcmp(m.p, "HEAD", 4) == 0;
    case 5:
        return memcmp(m.p, "TRACE", 5) == 0;
    case 6:
        return memcmp(m.p, "DELETE", 6) == 0;
    case 7:
        return memcmp(m.p, "OPTIONS", 7) == 0;
    default:
        return false;
    }
}

/*
 * shield/analyze_parse.c: one access-log line into fields, for `tierd analyze`.
 *
 * Formats: nginx "combined" (and "common", which lacks the referer and user agent),
 * "combined_host" (the virtual host first, as Apache's vhost_combined `%v:%p %h %l %u %t
 * ...` and CrowdSec's nginx vhost layout `$host $remote_addr - ...`), and tierd's json
 * lines. The hot path is memchr over the line with no allocation: fields are slices into
 * the line, or into the parser's scratch buffer when a quoted field holds escapes (nginx's
 * \xHH, Apache's \" and \\, JSON's \uXXXX). Timestamps are converted by arithmetic, once
 * per distinct second. Odd json lines (nested values) go through jansson instead.
 * It does not read files (analyze_input.c) or keep anything across lines but the cache.
 */
#include "shield/analyze.h"

#include <arpa/inet.h>
#include <errno.h>
#include <stdlib.h>
#include <string.h>

#include <jansson.h>

#include "core/hex.h"

#define BAD(reason)                                                                       \
    do {                                                                                  \
        *why = (reason);                                                                  \
        return -EBADMSG;                                                                  \
    } while (0)

void
analyze_parse_init(struct analyze_parser *p, enum analyze_format f)
{
    memset(p, 0, sizeof(*p));
    p->format = f;
}

void
analyze_parse_fini(struct analyze_parser *p)
{
    free(p->scratch);
    if (p->json)
        json_decref(p->json);
    p->scratch = NULL;
    p->json = NULL;
}

int
analyze_parse_format(const char *name, enum analyze_format *out)
{
    static const struct {
        const char *name;
        enum analyze_format f;
    } names[] = { { "auto", ANALYZE_AUTO },
                  { "combined", ANALYZE_COMBINED },
                  { "combined_host", ANALYZE_COMBINED_HOST },
                  { "combined_host_last", ANALYZE_COMBINED_HOST_LAST },
                  { "json", ANALYZE_JSON } };

    for (size_t i = 0; i < sizeof(names) / sizeof(names[0]); i++) {
        if (strcmp(name, names[i].name) == 0) {
            *out = names[i].f;
            return 0;
        }
    }
    return -EINVAL;
}

const char *
analyze_parse_format_name(enum analyze_format f)
{
    switch (f) {
    case ANALYZE_COMBINED: return "combined";
    case ANALYZE_COMBINED_HOST: return "combined_host";
    case ANALYZE_JSON: return "json";
    case ANALYZE_COMBINED_HOST_LAST: return "combined_host_last";
    case ANALYZE_LAYOUT: return "layout";
    case ANALYZE_AUTO: break;
    }
    return "auto";
}

static bool
parse_v4(const char *s, size_t n, uint8_t out[4])
{
    const char *end = s + n;
    for (int part = 0; part < 4; part++) {
        unsigned v = 0, digits = 0;
        while (s < end && *s >= '0' && *s <= '9' && digits < 4) {
            v = v * 10 + (unsigned)(*s++ - '0');
            digits++;
        }
        if (digits == 0 || digits > 3 || v > 255)
            return false;
        out[part] = (uint8_t)v;
        if (part < 3) {
            if (s == end || *s != '.')
                return false;
            s++;
        }
    }
    return s == end;
}

bool
analyze_parse_addr(struct slice text, struct shield_addr *out)
{
    char buf[64];

    memset(out, 0, sizeof(*out));
    if (text.len >= 7 && text.len <= 15 && parse_v4(text.p, text.len, out->b + 12)) {
        out->b[10] = out->b[11] = 0xff;
        return true;
    }
    if (text.len < 2 || text.len >= sizeof(buf) || !memchr(text.p, ':', text.len))
        return false;
    memcpy(buf, text.p, text.len);
    buf[text.len] = '\0';
    return inet_pton(AF_INET6, buf, out->b) == 1;
}

static int64_t
days_from_civil(int y, unsigned m, unsigned d)
{
    y -= m <= 2;
    int64_t era = (y >= 0 ? y : y - 399) / 400;
    unsigned yoe = (unsigned)(y - era * 400);
    unsigned doy = (153 * (m > 2 ? m - 3 : m + 9) + 2) / 5 + d - 1;
    unsigned doe = yoe * 365 + yoe / 4 - yoe / 100 + doy;
    return era * 146097 + (int64_t)doe - 719468;
}

static bool
digits(const char *s, int n, int *out)
{
    int v = 0;
    for (int i = 0; i < n; i++) {
        if (s[i] < '0' || s[i] > '9')
            return false;
        v = v * 10 + (s[i] - '0');
    }
    *out = v;
    return true;
}

static int
month_number(const char *m)
{
    static const char names[] = "JanFebMarAprMayJunJulAugSepOctNovDec";
    for (int i = 0; i < 12; i++)
        if (m[0] == names[3 * i] && m[1] == names[3 * i + 1] && m[2] == names[3 * i + 2])
            return i + 1;
    return 0;
}

/* Seconds from y-m-d H:M:S (validated), or -1. */
static int64_t
civil_seconds(int y, int mo, int d, int h, int mi, int sec)
{
    if (y < 1970 || y > 9999 || mo < 1 || mo > 12 || d < 1 || d > 31 || h > 23 || mi > 59 ||
        sec > 60)
        return -1;
    return days_from_civil(y, (unsigned)mo, (unsigned)d) * 86400 + h * 3600 + mi * 60 + sec;
}

bool
analyze_parse_clf_time(struct slice t, uint64_t *ms)
{
    const char *s = t.p;
    int d, y, h, mi, sec, zh, zm, mo;

    /* 24/Nov/2026:21:59:58 +0000 */
    if (t.len != 26 || s[2] != '/' || s[6] != '/' || s[11] != ':' || s[14] != ':' ||
        s[17] != ':' || s[20] != ' ' || (s[21] != '+' && s[21] != '-'))
        return false;
    if (!digits(s, 2, &d) || !(mo = month_number(s + 3)) || !digits(s + 7, 4, &y) ||
        !digits(s + 12, 2, &h) || !digits(s + 15, 2, &mi) || !digits(s + 18, 2, &sec) ||
        !digits(s + 22, 2, &zh) || !digits(s + 24, 2, &zm))
        return false;
    int64_t v = civil_seconds(y, mo, d, h, mi, sec);
    int64_t off = (zh * 3600 + zm * 60) * (s[21] == '-' ? -1 : 1);
    if (v < 0 || v - off < 0 || zm > 59)
        return false;
    *ms = (uint64_t)(v - off) * 1000;
    return true;
}

bool
analyze_parse_iso_time(struct slice t, uint64_t *ms)
{
    const char *s = t.p, *end = t.p + t.len;
    int y, mo, d, h, mi, sec;

    /* 2026-11-24T21:59:58[.123](Z|+01:00|+0100) */
    if (t.len < 20 || s[4] != '-' || s[7] != '-' || (s[10] != 'T' && s[10] != ' ') ||
        s[13] != ':' || s[16] != ':')
        return false;
    if (!digits(s, 4, &y) || !digits(s + 5, 2, &mo) || !digits(s + 8, 2, &d) ||
        !digits(s + 11, 2, &h) || !digits(s + 14, 2, &mi) || !digits(s + 17, 2, &sec))
        return false;
    int64_t v = civil_seconds(y, mo, d, h, mi, sec);
    if (v < 0)
        return false;
    const char *p = s + 19;
    unsigned frac = 0, scale = 1000;
    if (p < end && *p == '.') {
        p++;
        if (p == end || *p < '0' || *p > '9')
            return false;
        while (p < end && *p >= '0' && *p <= '9') {
            if (scale > 1) {
                scale /= 10;
                frac += (unsigned)(*p - '0') * scale;
            }
            p++;
        }
    }
    int64_t off = 0;
    if (p < end && *p == 'Z') {
        p++;
    } else if (p < end && (*p == '+' || *p == '-')) {
        int zh, zm;
        size_t left = (size_t)(end - p);
        if (left == 6 && p[3] == ':' && digits(p + 1, 2, &zh) && digits(p + 4, 2, &zm))
            off = zh * 3600 + zm * 60;
        else if (left == 5 && digits(p + 1, 2, &zh) && digits(p + 3, 2, &zm))
            off = zh * 3600 + zm * 60;
        else
            return false;
        if (*p == '-')
            off = -off;
        p = end;
    } else {
        return false;
    }
    if (p != end || v - off < 0)
        return false;
    *ms = (uint64_t)(v - off) * 1000 + frac;
    return true;
}

/* The timestamp through the one-entry cache: log lines mostly share the previous line's. */
bool
analyze_parse_time(struct analyze_parser *p, struct slice t, bool iso, uint64_t *ms)
{
    if (t.len == p->time_key_len && memcmp(t.p, p->time_key, t.len) == 0) {
        *ms = p->time_ms;
        return true;
    }
    if (!(iso ? analyze_parse_iso_time(t, ms) : analyze_parse_clf_time(t, ms)))
        return false;
    if (t.len <= sizeof(p->time_key)) {
        memcpy(p->time_key, t.p, t.len);
        p->time_key_len = t.len;
        p->time_ms = *ms;
    }
    return true;
}

/* Returns the closing quote of a field starting at s (after its opening quote), skipping
 * quotes preceded by an odd number of backslashes; NULL when there is none. */
const char *
analyze_parse_quote_end(const char *s, const char *end, bool *escaped)
{
    const char *q = s;

    for (;;) {
        q = memchr(q, '"', (size_t)(end - q));
        if (!q)
            return NULL;
        size_t n = 0;
        while (q - n > s && q[-1 - (ptrdiff_t)n] == '\\')
            n++;
        if (!(n & 1))
            break;
        q++;
    }
    *escaped = memchr(s, '\\', (size_t)(q - s)) != NULL;
    return q;
}

/* nginx (\xHH) and Apache (\" \\) escapes, into the scratch buffer. */
struct slice
analyze_parse_unescape(struct analyze_parser *p, const char *s, size_t n)
{
    char *o = p->scratch + p->scratch_len, *start = o;

    for (size_t i = 0; i < n;) {
        if (s[i] == '\\' && i + 1 < n) {
            int hi, lo;
            if (s[i + 1] == 'x' && i + 3 < n && (hi = hex_digit(s[i + 2])) >= 0 &&
                (lo = hex_digit(s[i + 3])) >= 0) {
                *o++ = (char)(hi << 4 | lo);
                i += 4;
                continue;
            }
            if (s[i + 1] == '"' || s[i + 1] == '\\') {
                *o++ = s[i + 1];
                i += 2;
                continue;
            }
        }
        *o++ = s[i++];
    }
    p->scratch_len += (size_t)(o - start);
    return slice_make(start, (size_t)(o - start));
}

static void
put_utf8(char **o, unsigned cp)
{
    char *q = *o;
    if (cp < 0x80) {
        *q++ = (char)cp;
    } else if (cp < 0x800) {
        *q++ = (char)(0xc0 | cp >> 6);
        *q++ = (char)(0x80 | (cp & 0x3f));
    } else if (cp < 0x10000) {
        *q++ = (char)(0xe0 | cp >> 12);
        *q++ = (char)(0x80 | ((cp >> 6) & 0x3f));
        *q++ = (char)(0x80 | (cp & 0x3f));
    } else {
        *q++ = (char)(0xf0 | cp >> 18);
        *q++ = (char)(0x80 | ((cp >> 12) & 0x3f));
        *q++ = (char)(0x80 | ((cp >> 6) & 0x3f));
        *q++ = (char)(0x80 | (cp & 0x3f));
    }
    *o = q;
}

static bool
hex4(const char *s, unsigned *out)
{
    unsigned v = 0;
    for (int i = 0; i < 4; i++) {
        int h = hex_digit(s[i]);
        if (h < 0)
            return false;
        v = v << 4 | (unsigned)h;
    }
    *out = v;
    return true;
}

/* JSON string escapes, into the scratch buffer (the output is never longer). */
static bool
unescape_json(struct analyze_parser *p, const char *s, size_t n, struct slice *out)
{
    char *o = p->scratch + p->scratch_len, *start = o;

    for (size_t i = 0; i < n;) {
        if (s[i] != '\\') {
            *o++ = s[i++];
            continue;
        }
        if (i + 1 >= n)
            return false;
        char c = s[i + 1];
        i += 2;
        switch (c) {
        case '"': case '\\': case '/': *o++ = c; break;
        case 'b': *o++ = '\b'; break;
        case 'f': *o++ = '\f'; break;
        case 'n': *o++ = '\n'; break;
        case 'r': *o++ = '\r'; break;
        case 't': *o++ = '\t'; break;
        case 'u': {
            unsigned cp, lo;
            if (i + 4 > n || !hex4(s + i, &cp))
                return false;
            i += 4;
            if (cp >= 0xd800 && cp < 0xdc00 && i + 6 <= n && s[i] == '\\' && s[i + 1] == 'u' &&
                hex4(s + i + 2, &lo) && lo >= 0xdc00 && lo < 0xe000) {
                cp = 0x10000 + ((cp - 0xd800) << 10) + (lo - 0xdc00);
                i += 6;
            }
            put_utf8(&o, cp);
            break;
        }
        default:
            return false;
        }
    }
    p->scratch_len += (size_t)(o - start);
    *out = slice_make(start, (size_t)(o - start));
    return true;
}

/* "GET /a/b?x=1 HTTP/1.1" -> method, path, query. Anything else (nginx logs "-" for an
 * empty request and \xHH bytes for TLS on a plain port) leaves path empty. */
void
analyze_parse_request(struct slice r, struct analyze_line *out)
{
    const char *end = r.p + r.len;
    const char *sp = memchr(r.p, ' ', r.len);

    out->method = out->path = out->query = slice_make("", 0);
    if (!sp)
        return;
    out->method = slice_make(r.p, (size_t)(sp - r.p));
    const char *t = sp + 1, *te = end;
    /* The protocol is the last word; a target may hold spaces in broken requests. */
    for (const char *q = end; q > t; q--) {
        if (q[-1] == ' ') {
            if (end - q >= 5 && memcmp(q, "HTTP/", 5) == 0)
                te = q - 1;
            break;
        }
    }
    const char *qm = memchr(t, '?', (size_t)(te - t));
    if (qm) {
        out->path = slice_make(t, (size_t)(qm - t));
        out->query = slice_make(qm + 1, (size_t)(te - qm - 1));
    } else {
        out->path = slice_make(t, (size_t)(te - t));
    }
}

bool
analyze_parse_u64(const char *s, const char *e, uint64_t *out)
{
    uint64_t v = 0;
    if (s == e || e - s > 19)
        return false;
    for (; s < e; s++) {
        if (*s < '0' || *s > '9')
            return false;
        v = v * 10 + (uint64_t)(*s - '0');
    }
    *out = v;
    return true;
}

/* A quoted field at *s (which must be '"'), into *out; advances *s past the quote. */
static bool
quoted(struct analyze_parser *p, const char **s, const char *end, struct slice *out)
{
    bool esc;
    const char *q;

    if (*s >= end || **s != '"' || !(q = analyze_parse_quote_end(*s + 1, end, &esc)))
        return false;
    *out = esc ? analyze_parse_unescape(p, *s + 1, (size_t)(q - *s - 1))
               : slice_make(*s + 1, (size_t)(q - *s - 1));
    *s = q + 1;
    return true;
}

/* rest (may be NULL): where the fields after the user agent start. */
static int
parse_combined(struct analyze_parser *p, const char *s, const char *end,
               struct analyze_line *out, const char **rest, const char **why)
{
    const char *sp = memchr(s, ' ', (size_t)(end - s));
    struct slice req;

    if (!sp || sp == s)
        BAD("no client address");
    out->addr_text = slice_make(s, (size_t)(sp - s));
    if (!analyze_parse_addr(out->addr_text, &out->addr))
        BAD("client address is not an IP address");
    const char *lb = memchr(sp, '[', (size_t)(end - sp));
    if (!lb)
        BAD("no [time]");
    const char *rb = memchr(lb, ']', (size_t)(end - lb));
    if (!rb)
        BAD("no closing ] after the time");
    if (!analyze_parse_time(p, slice_make(lb + 1, (size_t)(rb - lb - 1)), false, &out->time_ms))
        BAD("time is not dd/Mon/yyyy:HH:MM:SS +zzzz");
    s = rb + 1;
    if (end - s < 2 || s[0] != ' ' || s[1] != '"')
        BAD("no quoted request after the time");
    s++;
    if (!quoted(p, &s, end, &req))
        BAD("request has no closing quote");
    analyze_parse_request(req, out);
    if (end - s < 5 || s[0] != ' ')
        BAD("no status after the request");
    int st;
    if (!digits(s + 1, 3, &st) || (s + 4 < end && s[4] != ' '))
        BAD("status is not three digits");
    out->status = st;
    s += 4;
    if (s == end || s[0] != ' ')
        BAD("no body size after the status");
    const char *b = ++s;
    sp = memchr(s, ' ', (size_t)(end - s));
    s = sp ? sp : end;
    if (!(s - b == 1 && *b == '-') && !analyze_parse_u64(b, s, &out->body_bytes))
        BAD("body size is not a number");
    out->referer = out->user_agent = slice_make("", 0);
    if (rest)
        *rest = end;
    if (s == end)
        return 0;       /* common log format */
    s++;
    if (!quoted(p, &s, end, &out->referer))
        BAD("referer is not a quoted field");
    if (s == end)
        return 0;
    if (end - s < 2 || s[0] != ' ')
        BAD("no user agent after the referer");
    s++;
    if (!quoted(p, &s, end, &out->user_agent))
        BAD("user agent is not a quoted field");
    if (rest)
        *rest = s;
    /* Fields nginx users append ("$http_x_forwarded_for", $request_time, ...) are ignored. */
    if (out->referer.len == 1 && out->referer.p[0] == '-')
        out->referer.len = 0;
    if (out->user_agent.len == 1 && out->user_agent.p[0] == '-')
        out->user_agent.len = 0;
    return 0;
}

struct slice
analyze_parse_strip_port(struct slice h)
{
    const char *s = h.p, *e = h.p + h.len;

    /* example.com:443 or [2001:db8::1]:443: drop the port. */
    for (const char *c = e; c > s; c--) {
        if (c[-1] == ':') {
            bool bracketed = s[0] == '[';
            if (c < e && (!bracketed || (c - 1 > s && c[-2] == ']')))
                return slice_make(s, (size_t)(c - 1 - s));
            break;
        }
        if (c[-1] < '0' || c[-1] > '9')
            break;
    }
    return h;
}

static int
parse_combined_host(struct analyze_parser *p, const char *s, const char *end,
                    struct analyze_line *out, const char **why)
{
    const char *sp = memchr(s, ' ', (size_t)(end - s));

    if (!sp || sp == s)
        BAD("no virtual host before the client address");
    struct slice h = analyze_parse_strip_port(slice_make(s, (size_t)(sp - s)));
    int rc = parse_combined(p, sp + 1, end, out, NULL, why);
    if (rc == 0)
        out->host = (h.len == 1 && *s == '-') ? slice_make("", 0) : h;
    return rc;
}

/* A host name as $host / %v write it: letters, digits, '-', '.', '_', an optional :port, or
 * a bracketed IPv6 address. X-Forwarded-For lists and "-" are not. */
static bool
host_like(struct slice h, bool *letters)
{
    *letters = false;
    if (h.len == 0 || (h.len == 1 && h.p[0] == '-'))
        return false;
    if (h.p[0] == '[')
        return memchr(h.p, ']', h.len) != NULL;
    for (size_t i = 0; i < h.len; i++) {
        char c = h.p[i];
        if ((c >= 'a' && c <= 'z') || (c >= 'A' && c <= 'Z'))
            *letters = true;
        else if (!((c >= '0' && c <= '9') || c == '-' || c == '.' || c == '_' || c == ':'))
            return false;
    }
    return true;
}

/* combined, then anything, then the host as the last field ("$host" or $host): nginx's
 * `... "$http_user_agent" "$host"`, often with $request_time or the upstream between. */
static int
parse_combined_host_last(struct analyze_parser *p, const char *s, const char *end,
                         struct analyze_line *out, const char **why)
{
    const char *rest;
    int rc = parse_combined(p, s, end, out, &rest, why);
    bool letters;

    if (rc != 0)
        return rc;
    const char *e = end;
    while (e > rest && (e[-1] == ' ' || e[-1] == '\t'))
        e--;
    if (e == rest)
        BAD("no host after the user agent");
    const char *b = e;
    if (e[-1] == '"') {
        b = e - 1;
        while (b > rest && b[-1] != '"')
            b--;
        if (b == rest || b - 1 == rest - 1)
            BAD("the last field (the host) has no opening quote");
        e--;
    } else {
        while (b > rest && b[-1] != ' ')
            b--;
    }
    struct slice h = slice_make(b, (size_t)(e - b));
    if (!host_like(h, &letters))
        BAD("the last field is not a host name");
    out->host = analyze_parse_strip_port(h);
    return 0;
}

static void
skip_ws(const char **s, const char *end)
{
    while (*s < end && (**s == ' ' || **s == '\t'))
        (*s)++;
}

/* tierd's keys, and the names nginx users give their escape=json log_format keys (the
 * variables' own names, mostly). */
enum json_key { K_OTHER = 0, K_TIME, K_TIME_CLF, K_TIME_MSEC, K_ADDR, K_REQUEST, K_METHOD,
                K_URI, K_HOST, K_STATUS, K_BYTES, K_REFERER, K_UA, K_LAST = K_UA };

static enum json_key
json_key(const char *k, size_t n)
{
#define KEY(lit, v)                                                                       \
    if (n == sizeof(lit) - 1 && memcmp(k, lit, n) == 0)                                   \
        return v;
    KEY("time", K_TIME)
    KEY("remote_addr", K_ADDR)
    KEY("request", K_REQUEST)
    KEY("host", K_HOST)
    KEY("status", K_STATUS)
    KEY("body_bytes_sent", K_BYTES)
    KEY("referer", K_REFERER)
    KEY("user_agent", K_UA)
    KEY("time_iso8601", K_TIME)
    KEY("timestamp", K_TIME)
    KEY("@timestamp", K_TIME)
    KEY("time_local", K_TIME_CLF)
    KEY("msec", K_TIME_MSEC)
    KEY("client_ip", K_ADDR)
    KEY("request_method", K_METHOD)
    KEY("method", K_METHOD)
    KEY("request_uri", K_URI)
    KEY("uri", K_URI)
    KEY("http_host", K_HOST)
    KEY("http_referer", K_REFERER)
    KEY("http_user_agent", K_UA)
#undef KEY
    return K_OTHER;
}

/* Fields found in a json line, before validation. */
struct json_fields {
    struct slice v[K_LAST + 1];
    bool is_string[K_LAST + 1];
    bool have[K_LAST + 1];
};

/* nginx's $msec: "1795557598.123" (seconds, milliseconds). */
static bool
parse_msec(struct slice t, uint64_t *ms)
{
    const char *dot = memchr(t.p, '.', t.len);
    const char *e = t.p + t.len;
    uint64_t sec, frac = 0;

    if (!analyze_parse_u64(t.p, dot ? dot : e, &sec) || sec > (1ull << 40))
        return false;
    if (dot) {
        unsigned n = 0;
        for (const char *c = dot + 1; c < e; c++, n++) {
            if (*c < '0' || *c > '9')
                return false;
            if (n < 3)
                frac = frac * 10 + (uint64_t)(*c - '0');
        }
        if (n == 0)
            return false;
        for (; n < 3; n++)
            frac *= 10;
    }
    *ms = sec * 1000 + frac;
    return true;
}

static int
json_finish(struct analyze_parser *p, struct json_fields *f, struct analyze_line *out,
            const char **why)
{
    if (!f->have[K_TIME] && !f->have[K_TIME_CLF] && !f->have[K_TIME_MSEC])
        BAD("json: no \"time\" (nor time_local, time_iso8601, msec)");
    if (!f->have[K_ADDR])
        BAD("json: no \"remote_addr\"");
    bool request = f->have[K_REQUEST] && f->is_string[K_REQUEST];
    if (!request && !(f->have[K_URI] && f->is_string[K_URI]))
        BAD("json: no \"request\" string (nor request_uri)");
    if (!f->have[K_STATUS])
        BAD("json: no \"status\"");
    out->addr_text = f->v[K_ADDR];
    if (!analyze_parse_addr(out->addr_text, &out->addr))
        BAD("json: remote_addr is not an IP address");
    if (f->have[K_TIME]) {
        if (!analyze_parse_time(p, f->v[K_TIME], true, &out->time_ms))
            BAD("json: time is not an ISO 8601 UTC time");
    } else if (f->have[K_TIME_CLF]) {
        if (!analyze_parse_time(p, f->v[K_TIME_CLF], false, &out->time_ms))
            BAD("json: time_local is not dd/Mon/yyyy:HH:MM:SS +zzzz");
    } else if (!parse_msec(f->v[K_TIME_MSEC], &out->time_ms)) {
        BAD("json: msec is not seconds.milliseconds");
    }
    int st;
    if (f->v[K_STATUS].len != 3 || !digits(f->v[K_STATUS].p, 3, &st))
        BAD("json: status is not three digits");
    out->status = st;
    if (f->have[K_BYTES] && !analyze_parse_u64(f->v[K_BYTES].p,
                                               f->v[K_BYTES].p + f->v[K_BYTES].len,
                                               &out->body_bytes))
        BAD("json: body_bytes_sent is not a number");
    if (request) {
        analyze_parse_request(f->v[K_REQUEST], out);
    } else {
        struct slice u = f->v[K_URI];
        const char *qm = memchr(u.p, '?', u.len);
        out->method = f->have[K_METHOD] ? f->v[K_METHOD] : slice_make("", 0);
        out->path = qm ? slice_make(u.p, (size_t)(qm - u.p)) : u;
        out->query = qm ? slice_make(qm + 1, (size_t)(u.p + u.len - qm - 1))
                        : slice_make("", 0);
    }
    out->host = f->have[K_HOST] ? analyze_parse_strip_port(f->v[K_HOST]) : slice_make("", 0);
    out->referer = f->have[K_REFERER] ? f->v[K_REFERER] : slice_make("", 0);
    out->user_agent = f->have[K_UA] ? f->v[K_UA] : slice_make("", 0);
    /* nginx writes "-" for an absent header. */
    if (out->referer.len == 1 && out->referer.p[0] == '-')
        out->referer.len = 0;
    if (out->user_agent.len == 1 && out->user_agent.p[0] == '-')
        out->user_agent.len = 0;
    if (out->host.len == 1 && out->host.p[0] == '-')
        out->host.len = 0;
    return 0;
}

/* jansson, for json lines the scanner does not handle (nested values). */
static int
parse_json_slow(struct analyze_parser *p, const char *s, size_t len, struct analyze_line *out,
                const char **why)
{
    struct json_fields f = { 0 };
    json_error_t err;
    const char *name;
    json_t *v;

    p->scratch_len = 0;     /* what the fast scan unescaped is not used */
    if (p->json)
        json_decref(p->json);
    p->json = json_loadb(s, len, 0, &err);
    if (!p->json)
        BAD("json: syntax error");
    if (!json_is_object((json_t *)p->json))
        BAD("json: not an object");
    json_object_foreach((json_t *)p->json, name, v) {
        enum json_key k = json_key(name, strlen(name));
        if (k == K_OTHER || f.have[k])
            continue;
        if (json_is_string(v)) {
            f.v[k] = slice_make(json_string_value(v), json_string_length(v));
            f.have[k] = f.is_string[k] = true;
        } else if (json_is_integer(v) && json_integer_value(v) >= 0) {
            /* Rendered into the scratch buffer, which is at least the line's size. */
            char *o = p->scratch + p->scratch_len;
            char tmp[24];
            int n = 0;
            for (json_int_t x = json_integer_value(v); n == 0 || x > 0; x /= 10)
                tmp[n++] = (char)('0' + x % 10);
            for (int i = 0; i < n; i++)
                o[i] = tmp[n - 1 - i];
            p->scratch_len += (size_t)n;
            f.v[k] = slice_make(o, (size_t)n);
            f.have[k] = true;
        }
    }
    return json_finish(p, &f, out, why);
}

static int
parse_json(struct analyze_parser *p, const char *s, const char *end, struct analyze_line *out,
           const char **why)
{
    const char *line = s;
    struct json_fields f = { 0 };

    skip_ws(&s, end);
    if (s == end || *s != '{')
        BAD("json: line does not start with {");
    s++;
    for (;;) {
        skip_ws(&s, end);
        if (s < end && *s == '}')
            break;
        bool esc;
        const char *ke;
        if (s == end || *s != '"' || !(ke = analyze_parse_quote_end(s + 1, end, &esc)))
            BAD("json: expected a quoted key");
        enum json_key k = esc ? K_OTHER : json_key(s + 1, (size_t)(ke - s - 1));
        s = ke + 1;
        skip_ws(&s, end);
        if (s == end || *s != ':')
            BAD("json: expected : after a key");
        s++;
        skip_ws(&s, end);
        if (s == end)
            BAD("json: line ends before a value");
        struct slice v;
        bool str = false;
        if (*s == '"') {
            const char *q = analyze_parse_quote_end(s + 1, end, &esc);
            if (!q)
                BAD("json: string has no closing quote");
            v = slice_make(s + 1, (size_t)(q - s - 1));
            if (esc && k != K_OTHER && !unescape_json(p, s + 1, v.len, &v))
                BAD("json: bad escape in a string");
            str = true;
            s = q + 1;
        } else if (*s == '{' || *s == '[') {
            return parse_json_slow(p, line, (size_t)(end - line), out, why);
        } else {
            const char *b = s;
            while (s < end && *s != ',' && *s != '}' && *s != ' ' && *s != '\t')
                s++;
            v = slice_make(b, (size_t)(s - b));
            if (v.len == 0)
                BAD("json: empty value");
        }
        if (k != K_OTHER && !f.have[k]) {
            f.v[k] = v;
            f.is_string[k] = str;
            f.have[k] = true;
        }
        skip_ws(&s, end);
        if (s < end && *s == ',') {
            s++;
            continue;
        }
        if (s < end && *s == '}')
            break;
        BAD("json: expected , or } after a value");
    }
    s++;
    skip_ws(&s, end);
    if (s != end)
        BAD("json: text after the closing }");
    return json_finish(p, &f, out, why);
}

enum analyze_format
analyze_parse_sniff(const char *line, size_t len)
{
    const char *s = line, *end = line + len;
    struct shield_addr a;

    skip_ws(&s, end);
    if (s < end && *s == '{')
        return ANALYZE_JSON;
    /* combined has three words before " [" (address, ident, user), combined_host four,
     * the second of which is the address; the host may itself be an address. */
    const char *lb = memchr(s, '[', (size_t)(end - s));
    const char *sp = memchr(s, ' ', (size_t)(end - s));
    unsigned words = 0;
    for (const char *c = s; lb && c < lb; c++)
        words += *c == ' ';
    if (!sp || (words != 4 && analyze_parse_addr(slice_make(s, (size_t)(sp - s)), &a)))
        return ANALYZE_COMBINED;
    const char *t = sp + 1;
    const char *sp2 = memchr(t, ' ', (size_t)(end - t));
    if (sp2 && analyze_parse_addr(slice_make(t, (size_t)(sp2 - t)), &a))
        return ANALYZE_COMBINED_HOST;
    return ANALYZE_COMBINED;
}

enum analyze_format
analyze_parse_detect(const struct slice *lines, size_t n, size_t *fit)
{
    /* In order of preference on a tie: the more fields a layout reads, the earlier. */
    static const enum analyze_format cand[] = { ANALYZE_JSON, ANALYZE_COMBINED_HOST,
                                                ANALYZE_COMBINED_HOST_LAST, ANALYZE_COMBINED };
    enum analyze_format best = ANALYZE_COMBINED;
    size_t best_fit = 0;
    bool have = false;

    for (size_t c = 0; c < sizeof(cand) / sizeof(cand[0]); c++) {
        struct analyze_parser p;
        struct analyze_line l;
        const char *why;
        size_t ok = 0, letters = 0;
        analyze_parse_init(&p, cand[c]);
        for (size_t i = 0; i < n; i++) {
            if (analyze_parse_line(&p, lines[i].p, lines[i].len, &l, &why) != 0)
                continue;
            ok++;
            bool lt = false;
            host_like(l.host, &lt);
            letters += lt;
        }
        analyze_parse_fini(&p);
        /* The last field of `... "$http_user_agent" "$http_x_forwarded_for"` is often an
         * address: take it for the host only when most of them hold a name. */
        if (cand[c] == ANALYZE_COMBINED_HOST_LAST && letters * 2 < ok)
            continue;
        if (!have || ok > best_fit) {
            best = cand[c];
            best_fit = ok;
            have = true;
        }
    }
    *fit = best_fit;
    return best;
}

int
analyze_parse_line(struct analyze_parser *p, const char *line, size_t len,
                   struct analyze_line *out, const char **why)
{
    const char *end = line + len;

    /* Unescaped fields never grow, so the line's length bounds the scratch space. */
    if (p->scratch_cap < len + 64) {
        size_t cap = p->scratch_cap ? p->scratch_cap : 4096;
        while (cap < len + 64)
            cap *= 2;
        char *n = realloc(p->scratch, cap);
        if (!n)
            BAD("out of memory");
        p->scratch = n;
        p->scratch_cap = cap;
    }
    p->scratch_len = 0;
    memset(out, 0, sizeof(*out));
    if (len == 0)
        BAD("empty line");
    switch (p->format) {
    case ANALYZE_COMBINED_HOST: return parse_combined_host(p, line, end, out, why);
    case ANALYZE_JSON: return parse_json(p, line, end, out, why);
    case ANALYZE_COMBINED_HOST_LAST: return parse_combined_host_last(p, line, end, out, why);
    case ANALYZE_LAYOUT: return analyze_layout_parse(p, line, len, out, why);
    case ANALYZE_COMBINED:
    case ANALYZE_AUTO: break;
    }
    return parse_combined(p, line, end, out, NULL, why);
}

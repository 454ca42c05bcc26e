/*
 * http/h1_chunked.c: the incremental chunked-body decoder (9112 §7.1). A byte-driven state
 * machine, so input may be split anywhere; payload is handed out as spans of the caller's
 * input, never copied. Chunk extensions are validated and discarded; trailers are
 * validated as field lines and handed out as spans too (c->trailer), which the caller
 * collects, walks with h1_trailer_next() and filters with h1_trailer_allowed() (RFC 9110
 * §6.5.1). Re-encoding for the upstream is not done here.
 */
#include "http/h1.h"

#include <errno.h>
#include <string.h>
#include <strings.h>

#include "core/err.h"
#include "http/internal.h"

#define CHUNKED_LINE_MAX_BYTES 4096     /* one size line, extensions included */
#define CHUNKED_EXT_MAX_BYTES 4096      /* all extensions of one body */
#define CHUNKED_TRAILER_MAX_BYTES 8192  /* the whole trailer section */
#define CHUNKED_DIGITS_MAX 16           /* significant hex digits: 64 bits */

/*
 * States. A size line is   1*HEXDIG *( BWS ";" BWS name [ BWS "=" BWS value ] ) CRLF;
 * BWS may only precede ';' or '=' (so "5 \r\n" and "5;a \r\n" are errors), never the end.
 */
enum chunked_state {
    CH_SIZE_FIRST = 0,  /* first hex digit of a size */
    CH_SIZE,            /* more hex digits */
    CH_SIZE_WS,         /* BWS after the size: only ';' may follow */
    CH_EXT_PRE_NAME,    /* after ';': BWS, then a name */
    CH_EXT_NAME,
    CH_EXT_NAME_WS,     /* BWS after a name: '=' or ';' */
    CH_EXT_PRE_VAL,     /* after '=': BWS, then a token or a quoted-string */
    CH_EXT_VAL,         /* token value */
    CH_EXT_QUOTED,
    CH_EXT_QUOTED_PAIR,
    CH_EXT_VAL_END,     /* after a closing quote: ';', CR or BWS */
    CH_EXT_VAL_WS,      /* BWS after a value: only ';' */
    CH_SIZE_LF,
    CH_DATA,
    CH_DATA_CR,
    CH_DATA_LF,
    CH_TRAILER_LINE,    /* start of a trailer line, or the final CRLF */
    CH_TRAILER_NAME,
    CH_TRAILER_VALUE,
    CH_TRAILER_LF,
    CH_END_LF,
    CH_DONE,
    CH_ERROR,
};

void
h1_chunked_init(struct h1_chunked *c, uint64_t max_total)
{
    *c = (struct h1_chunked){ .state = CH_SIZE_FIRST, .max_total = max_total };
}

static ssize_t
chunked_fail(struct h1_chunked *c, const char **why, const char *msg, int rc)
{
    c->state = CH_ERROR;
    *why = msg;
    return rc;
}

static inline int
hexval(char ch)
{
    return ch <= '9' ? ch - '0' : (ch | 0x20) - 'a' + 10;
}

static inline bool
is_ws(char ch)
{
    return ch == ' ' || ch == '\t';
}

ssize_t
h1_chunked_parse(struct h1_chunked *c, const char *in, size_t len, struct slice *data,
                 bool *done, const char **why)
{
    size_t i = 0;

    *data = slice_make(in, 0);
    c->trailer = slice_make(in, 0);
    *done = c->state == CH_DONE;
    if (c->state == CH_ERROR)
        return -EBADMSG;

    while (i < len && c->state != CH_DONE) {
        if (c->state == CH_DATA) {
            size_t n = len - i;
            if (n > c->remaining)
                n = (size_t)c->remaining;
            *data = slice_make(in + i, n);
            c->remaining -= n;
            if (c->remaining == 0)
                c->state = CH_DATA_CR;
            return (ssize_t)(i + n);    /* one payload span per call */
        }

        char ch = in[i++];
        /* Trailer field-line bytes (not the final CRLF) form one span per call. */
        if ((c->state == CH_TRAILER_LINE && ch != '\r') ||
            (c->state > CH_TRAILER_LINE && c->state <= CH_TRAILER_LF)) {
            if (!c->trailer.len)
                c->trailer.p = in + i - 1;
            c->trailer.len = (size_t)(in + i - c->trailer.p);
        }
        if (c->state < CH_SIZE_LF) {
            /* Everything on a size line up to the CR. */
            if (++c->line_bytes > CHUNKED_LINE_MAX_BYTES)
                return chunked_fail(c, why, "chunk size line too long", -EBADMSG);
            if (c->state >= CH_SIZE_WS && ++c->ext_bytes > CHUNKED_EXT_MAX_BYTES)
                return chunked_fail(c, why, "chunk extensions too long", -EBADMSG);
        } else if (c->state >= CH_TRAILER_LINE && c->state <= CH_END_LF) {
            if (++c->trailer_bytes > CHUNKED_TRAILER_MAX_BYTES)
                return chunked_fail(c, why, "trailer section too large", -EBADMSG);
        }

        switch ((enum chunked_state)c->state) {
        case CH_SIZE_FIRST:
        case CH_SIZE:
            if (h1_common_is(ch, H1_C_HEX)) {
                if (c->digits == 0 && ch == '0') {
                    c->state = CH_SIZE;         /* leading zeros are not significant */
                    break;
                }
                if (++c->digits > CHUNKED_DIGITS_MAX)
                    return chunked_fail(c, why, "chunk size overflow", -EBADMSG);
                c->remaining = (c->remaining << 4) | (uint64_t)hexval(ch);
                c->state = CH_SIZE;
                break;
            }
            if (c->state == CH_SIZE_FIRST)
                return chunked_fail(c, why, "chunk size is not hex", -EBADMSG);
            if (ch == '\r')
                c->state = CH_SIZE_LF;
            else if (ch == ';')
                c->state = CH_EXT_PRE_NAME;
            else if (is_ws(ch))
                c->state = CH_SIZE_WS;
            else
                return chunked_fail(c, why, "invalid character after chunk size", -EBADMSG);
            if (c->state != CH_SIZE_LF && ++c->ext_bytes > CHUNKED_EXT_MAX_BYTES)
                return chunked_fail(c, why, "chunk extensions too long", -EBADMSG);
            break;
        case CH_SIZE_WS:
        case CH_EXT_VAL_WS:
            if (ch == ';')
                c->state = CH_EXT_PRE_NAME;
            else if (!is_ws(ch))
                return chunked_fail(c, why, "malformed chunk extension", -EBADMSG);
            break;
        case CH_EXT_PRE_NAME:
            if (h1_common_is(ch, H1_C_TCHAR))
                c->state = CH_EXT_NAME;
            else if (!is_ws(ch))
                return chunked_fail(c, why, "malformed chunk extension name", -EBADMSG);
            break;
        case CH_EXT_NAME:
        case CH_EXT_VAL:
            if (h1_common_is(ch, H1_C_TCHAR))
                break;
            if (ch == '\r')
                c->state = CH_SIZE_LF;
            else if (ch == ';')
                c->state = CH_EXT_PRE_NAME;
            else if (ch == '=' && c->state == CH_EXT_NAME)
                c->state = CH_EXT_PRE_VAL;
            else if (is_ws(ch))
                c->state = c->state == CH_EXT_NAME ? CH_EXT_NAME_WS : CH_EXT_VAL_WS;
            else
                return chunked_fail(c, why, "malformed chunk extension", -EBADMSG);
            break;
        case CH_EXT_NAME_WS:
            if (ch == '=')
                c->state = CH_EXT_PRE_VAL;
            else if (ch == ';')
                c->state = CH_EXT_PRE_NAME;
            else if (!is_ws(ch))
                return chunked_fail(c, why, "malformed chunk extension", -EBADMSG);
            break;
        case CH_EXT_PRE_VAL:
            if (h1_common_is(ch, H1_C_TCHAR))
                c->state = CH_EXT_VAL;
            else if (ch == '"')
                c->state = CH_EXT_QUOTED;
            else if (!is_ws(ch))
                return chunked_fail(c, why, "malformed chunk extension value", -EBADMSG);
            break;
        case CH_EXT_QUOTED:
            if (ch == '"')
                c->state = CH_EXT_VAL_END;
            else if (ch == '\\')
                c->state = CH_EXT_QUOTED_PAIR;
            else if (!h1_common_is(ch, H1_C_QDTEXT))
                return chunked_fail(c, why, "control character in chunk extension", -EBADMSG);
            break;
        case CH_EXT_QUOTED_PAIR:
            if (!h1_common_is(ch, H1_C_VALUE))
                return chunked_fail(c, why, "control character in chunk extension", -EBADMSG);
            c->state = CH_EXT_QUOTED;
            break;
        case CH_EXT_VAL_END:
            if (ch == '\r')
                c->state = CH_SIZE_LF;
            else if (ch == ';')
                c->state = CH_EXT_PRE_NAME;
            else if (is_ws(ch))
                c->state = CH_EXT_VAL_WS;
            else
                return chunked_fail(c, why, "malformed chunk extension", -EBADMSG);
            break;
        case CH_SIZE_LF:
            if (ch != '\n')
                return chunked_fail(c, why, "bare CR in chunk size line", -EBADMSG);
            c->line_bytes = 0;
            c->digits = 0;
            if (c->remaining == 0) {
                c->state = CH_TRAILER_LINE;
                break;
            }
            if (c->max_total && (c->remaining > c->max_total ||
                                 c->total > c->max_total - c->remaining))
                return chunked_fail(c, why, "chunked body too large", -EMSGSIZE);
            if (c->remaining > UINT64_MAX - c->total)
                return chunked_fail(c, why, "chunked body too large", -EMSGSIZE);
            c->total += c->remaining;
            c->state = CH_DATA;
            break;
        case CH_DATA_CR:
            if (ch != '\r')
                return chunked_fail(c, why, "chunk data not followed by CRLF", -EBADMSG);
            c->state = CH_DATA_LF;
            break;
        case CH_DATA_LF:
            if (ch != '\n')
                return chunked_fail(c, why, "chunk data not followed by CRLF", -EBADMSG);
            c->state = CH_SIZE_FIRST;
            break;
        case CH_TRAILER_LINE:
            if (ch == '\r')
                c->state = CH_END_LF;
            else if (h1_common_is(ch, H1_C_TCHAR))
                c->state = CH_TRAILER_NAME;
            else
                return chunked_fail(c, why, "malformed trailer field", -EBADMSG);
            break;
        case CH_TRAILER_NAME:
            if (ch == ':')
                c->state = CH_TRAILER_VALUE;
            else if (!h1_common_is(ch, H1_C_TCHAR))
                return chunked_fail(c, why, "malformed trailer field", -EBADMSG);
            break;
        case CH_TRAILER_VALUE:
            if (ch == '\r')
                c->state = CH_TRAILER_LF;
            else if (!h1_common_is(ch, H1_C_VALUE))
                return chunked_fail(c, why, "invalid character in trailer field", -EBADMSG);
            break;
        case CH_TRAILER_LF:
            if (ch != '\n')
                return chunked_fail(c, why, "bare CR in trailer section", -EBADMSG);
            c->state = CH_TRAILER_LINE;
            break;
        case CH_END_LF:
            if (ch != '\n')
                return chunked_fail(c, why, "bare CR after last chunk", -EBADMSG);
            c->state = CH_DONE;
            *done = true;
            break;
        case CH_DATA:
        case CH_DONE:
        case CH_ERROR:
            BUG_ON(true);               /* handled before the switch */
        }
    }
    return (ssize_t)i;
}

bool
h1_trailer_next(struct slice *sec, struct slice *name, struct slice *value)
{
    const char *p = sec->p, *end = sec->p + sec->len;
    const char *colon, *eol;

    if (!sec->len)
        return false;
    for (colon = p; colon < end && *colon != ':'; colon++)
        ;
    for (eol = colon; eol < end && *eol != '\r'; eol++)
        ;
    if (colon == end || eol == end || eol + 1 == end)
        return false;           /* not a section the parser took: stop */
    const char *v = colon + 1, *ve = eol;
    while (v < ve && is_ws(*v))
        v++;
    while (ve > v && is_ws(ve[-1]))
        ve--;
    *name = slice_make(p, (size_t)(colon - p));
    *value = slice_make(v, (size_t)(ve - v));
    *sec = slice_make(eol + 2, (size_t)(end - eol - 2));
    return true;
}

/* Fields a trailer may not carry (RFC 9110 §6.5.1): framing, routing, request modifiers
 * (controls, conditionals), authentication, response control data, what the content is
 * and how to process it, hop-by-hop fields; HTTP/2's pseudo-headers have no place either. */
static const char *const trailer_forbidden[] = {
    "accept-ranges", "age", "authentication-info", "authorization", "cache-control",
    "connection", "content-encoding", "content-length", "content-location", "content-range",
    "content-type", "cookie", "date", "etag", "expect", "expires", "host", "if-match",
    "if-modified-since", "if-none-match", "if-range", "if-unmodified-since", "keep-alive",
    "last-modified", "location", "max-forwards", "pragma", "proxy-authenticate",
    "proxy-authentication-info", "proxy-authorization", "proxy-connection", "range",
    "retry-after", "set-cookie", "te", "trailer", "transfer-encoding", "upgrade", "vary",
    "via", "warning", "www-authenticate", "x-forwarded-for", "x-forwarded-host",
    "x-forwarded-port", "x-forwarded-proto", "x-real-ip", "forwarded",
};

bool
h1_trailer_allowed(struct slice name)
{
    if (!name.len || name.p[0] == ':')
        return false;
    for (size_t i = 0; i < sizeof(trailer_forbidden) / sizeof(trailer_forbidden[0]); i++) {
        const char *f = trailer_forbidden[i];
        if (strlen(f) == name.len && strncasecmp(f, name.p, name.len) == 0)
            return false;
    }
    return true;
}

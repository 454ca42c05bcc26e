/*
 * http/internal.h: what the h1 parsers share inside src/http/ and nothing else: the byte
 * class table, field-line scanning and list helpers. Not for other folders; they use h1.h.
 */
#ifndef HTTP_INTERNAL_H
#define HTTP_INTERNAL_H
#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>
#include <string.h>
#include <sys/types.h>

#include "core/slice.h"
#include "http/h1.h"

/* Bits of h1_common_class[]: one table lookup classifies a byte for every grammar rule. */
enum {
    H1_C_TCHAR = 1 << 0,   /* token character (9110 §5.6.2) */
    H1_C_VALUE = 1 << 1,   /* field-value byte: VCHAR, SP, HTAB, obs-text */
    H1_C_TARGET = 1 << 2,  /* request-target byte: VCHAR except '#' */
    H1_C_HEX = 1 << 3,
    H1_C_DIGIT = 1 << 4,
    H1_C_HOST = 1 << 5,    /* reg-name byte: unreserved, sub-delims, '%' */
    H1_C_QDTEXT = 1 << 6,  /* quoted-string text: qdtext (9110 §5.6.4) */
};

extern const uint8_t h1_common_class[256];
/* A static "/" for the path of an absolute-form target that has none. */
extern const char h1_common_slash[];
/* A static "*" for the path of "OPTIONS http://host" (asterisk-form, 9112 §3.2.4). */
extern const char h1_common_star[];

static inline bool
h1_common_is(char c, uint8_t cls)
{
    return (h1_common_class[(unsigned char)c] & cls) != 0;
}

/*
 * Word-at-a-time scanning (SWAR): the parsers skip eight ordinary bytes per step and fall
 * back to the table only near a delimiter or an unusual byte. Each test is exact about
 * whether some byte in the word matches; which byte it is, the byte loop finds.
 */
#define H1_ONES UINT64_C(0x0101010101010101)
#define H1_HIGHS UINT64_C(0x8080808080808080)

static inline uint64_t
h1_common_load8(const char *p)
{
    uint64_t x;

    memcpy(&x, p, 8);
    return x;
}

/* Nonzero when some byte of x is below n (n <= 128). */
static inline uint64_t
h1_common_has_less(uint64_t x, unsigned n)
{
    return (x - H1_ONES * n) & ~x & H1_HIGHS;
}

/* Nonzero when some byte of x equals c. */
static inline uint64_t
h1_common_has_byte(uint64_t x, unsigned c)
{
    uint64_t y = x ^ (H1_ONES * c);

    return (y - H1_ONES) & ~y & H1_HIGHS;
}

/* What the field scan learned about the fields that decide framing, routing and reuse. */
struct h1_fields_info {
    unsigned nhost;
    struct slice host;          /* the first Host value */
    unsigned ncl;               /* Content-Length lines */
    uint64_t content_length;    /* their common value */
    unsigned nte;               /* Transfer-Encoding lines */
    unsigned te_chunked;        /* times "chunked" appears over all TE lines */
    bool te_chunked_final;      /* the last coding is chunked */
    bool te_unknown;            /* a coding other than chunked, gzip, deflate, compress */
    bool conn_close;
    bool conn_keep_alive;
    bool conn_upgrade;
    bool conn_names_fields;     /* a Connection option that may name another field */
    bool upgrade_websocket;     /* an Upgrade field lists websocket */
    unsigned nexpect;
    bool expect_other;          /* an expectation other than 100-continue */
};

/*
 * Scans field lines from p[pos] up to and including the empty line that ends the section,
 * never reading at or past `end` (the head limit; end <= len). Fills hdrs[0..*nh) and *fi.
 * Returns the offset just past the empty line, -EAGAIN when the section is incomplete and
 * end == len, or -EBADMSG with *status 400 (malformed) or 431 (more than max lines, or
 * incomplete with end < len) and a reason in *why.
 */
ssize_t h1_fields_scan(const char *p, size_t pos, size_t len, size_t end, unsigned max,
                       struct h1_header *hdrs, unsigned *nh, struct h1_fields_info *fi,
                       int *status, const char **why);

/* Marks H1_HDR_HOP on every field named by a Connection option, except Host and framing
 * fields (a client must not make the proxy drop them: "hop-by-hop abuse"). */
void h1_fields_mark_connection(struct h1_header *hdrs, unsigned nh);

/* Clamps caller limits (NULL means defaults) into *out. */
void h1_common_limits(const struct h1_limits *lim, struct h1_limits *out);

#endif

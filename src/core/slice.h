/*
 * core/slice.h: a borrowed view of bytes (pointer + length), never NUL-terminated.
 * A slice dies with the buffer it points into; copy what you keep longer.
 */
#ifndef CORE_SLICE_H
#define CORE_SLICE_H
#include <stdbool.h>
#include <stddef.h>
#include <string.h>

struct slice {
    const char *p;
    size_t len;
};

#define SLICE_LIT(s) ((struct slice){ (s), sizeof(s) - 1 })

static inline struct slice
slice_make(const char *p, size_t len)
{
    return (struct slice){ p, len };
}

static inline bool
slice_eq(struct slice a, struct slice b)
{
    return a.len == b.len && (a.len == 0 || memcmp(a.p, b.p, a.len) == 0);
}

/* ASCII case-insensitive comparison (no locale, no Unicode folding). */
bool slice_eq_nocase(struct slice a, struct slice b);
bool slice_eq_lit_nocase(struct slice a, const char *lit);
/* True when the comma-separated list `list` holds `token` (ASCII case-insensitive, OWS trimmed). */
bool slice_list_has_token(struct slice list, const char *token);
/* True when s lies entirely within [base, base + len). */
bool slice_inside(struct slice s, const void *base, size_t len);
/* Returns a new NUL-terminated copy (malloc); NULL on allocation failure. */
char *slice_dup(struct slice s);

#endif

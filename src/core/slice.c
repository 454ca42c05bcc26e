/*
 * core/slice.c: comparisons over borrowed byte views. Owns nothing.
 */
#include "core/slice.h"

#include <stdint.h>
#include <stdlib.h>

static inline unsigned char
lower(unsigned char c)
{
    return (c >= 'A' && c <= 'Z') ? (unsigned char)(c | 0x20) : c;
}

bool
slice_eq_nocase(struct slice a, struct slice b)
{
    if (a.len != b.len)
        return false;
    for (size_t i = 0; i < a.len; i++)
        if (lower((unsigned char)a.p[i]) != lower((unsigned char)b.p[i]))
            return false;
    return true;
}

bool
slice_eq_lit_nocase(struct slice a, const char *lit)
{
    return slice_eq_nocase(a, slice_make(lit, strlen(lit)));
}

bool
slice_list_has_token(struct slice list, const char *token)
{
    size_t tlen = strlen(token);
    size_t i = 0;

    while (i < list.len) {
        while (i < list.len && (list.p[i] == ' ' || list.p[i] == '\t' || list.p[i] == ','))
            i++;
        size_t start = i;
        while (i < list.len && list.p[i] != ',')
            i++;
        size_t end = i;
        while (end > start && (list.p[end - 1] == ' ' || list.p[end - 1] == '\t'))
            end--;
        if (end - start == tlen &&
            slice_eq_nocase(slice_make(list.p + start, tlen), slice_make(token, tlen)))
            return true;
    }
    return false;
}

bool
slice_inside(struct slice s, const void *base, size_t len)
{
    uintptr_t b = (uintptr_t)base, p = (uintptr_t)s.p;

    if (s.len == 0)
        return true;
    return p >= b && p + s.len <= b + len && p + s.len >= p;
}

char *
slice_dup(struct slice s)
{
    char *d = malloc(s.len + 1);

    if (d) {
        if (s.len)
            memcpy(d, s.p, s.len);
        d[s.len] = '\0';
    }
    return d;
}

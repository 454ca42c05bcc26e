/*
 * http/h1_range.c: byte-range parsing (h1_range.h). Owns nothing.
 */
#include "http/h1_range.h"

#include <stdbool.h>

static bool
is_ows(char c)
{
    return c == ' ' || c == '\t';
}

static bool
range_num(struct slice v, size_t *i, uint64_t *n)
{
    size_t start = *i;

    *n = 0;
    for (; *i < v.len && v.p[*i] >= '0' && v.p[*i] <= '9'; (*i)++) {
        if (*n > (UINT64_MAX - 9) / 10)
            return false;
        *n = *n * 10 + (uint64_t)(v.p[*i] - '0');
    }
    return *i > start;
}

enum h1_range_result
h1_range_parse(struct slice v, uint64_t size, uint64_t *start, uint64_t *len)
{
    unsigned found = 0;
    size_t i = 6;

    if (v.len < 6 || !slice_eq_lit_nocase(slice_make(v.p, 6), "bytes="))
        return H1_RANGE_WHOLE;
    for (;;) {
        uint64_t a = 0, b = 0;
        bool suffix = false, open_end = false;

        while (i < v.len && is_ows(v.p[i]))
            i++;
        if (i < v.len && v.p[i] == '-') {
            suffix = true;
            i++;
            while (i < v.len && is_ows(v.p[i]))
                i++;
            if (!range_num(v, &i, &b))
                return H1_RANGE_NONE;
        } else {
            if (!range_num(v, &i, &a))
                return H1_RANGE_NONE;
            while (i < v.len && is_ows(v.p[i]))
                i++;
            if (i >= v.len || v.p[i++] != '-')
                return H1_RANGE_NONE;
            while (i < v.len && is_ows(v.p[i]))
                i++;
            if (!range_num(v, &i, &b))
                open_end = true;
            else if (b < a)
                return H1_RANGE_NONE;
        }
        while (i < v.len && is_ows(v.p[i]))
            i++;
        if (i < v.len && v.p[i] != ',')
            return H1_RANGE_NONE;

        bool ok = false;
        if (suffix) {
            if (b > 0 && size > 0) {    /* "-0" selects nothing */
                a = b >= size ? 0 : size - b;
                b = size - 1;
                ok = true;
            }
        } else if (a < size) {
            if (open_end || b >= size)
                b = size - 1;
            ok = true;
        }
        if (ok && found++ == 0) {
            *start = a;
            *len = b - a + 1;
        }
        if (i >= v.len)
            break;
        i++;                            /* ',' */
    }
    if (found == 0)
        return H1_RANGE_NONE;
    return found == 1 ? H1_RANGE_ONE : H1_RANGE_WHOLE;
}

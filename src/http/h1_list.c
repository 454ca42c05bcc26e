/*
 * http/h1_list.c: h1_list_next(). Elements without a quote, the common case, are found
 * with memchr; the quote-aware walk runs only when a '"' comes before the next comma.
 */
#include "http/h1_list.h"

#include <string.h>

static bool
is_ows(char c)
{
    return c == ' ' || c == '\t';
}

bool
h1_list_next(struct slice list, size_t *i, struct slice *item)
{
    size_t k = *i;

    while (k < list.len && (is_ows(list.p[k]) || list.p[k] == ','))
        k++;
    if (k >= list.len) {
        *i = k;
        return false;
    }
    size_t start = k;
    const char *comma = memchr(list.p + k, ',', list.len - k);
    size_t stop = comma ? (size_t)(comma - list.p) : list.len;
    if (memchr(list.p + k, '"', stop - k)) {
        bool quoted = false;
        for (; k < list.len && (quoted || list.p[k] != ','); k++)
            if (list.p[k] == '"')
                quoted = !quoted;
        stop = k;
    }
    size_t e = stop;
    while (e > start && is_ows(list.p[e - 1]))
        e--;
    *item = slice_make(list.p + start, e - start);
    *i = stop;
    return true;
}

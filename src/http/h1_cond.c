/*
 * http/h1_cond.c: conditional request evaluation (h1_cond.h). Reads fields and dates,
 * owns nothing, decides no response beyond the status.
 */
#include "http/h1_cond.h"

#include <string.h>

#include "http/h1_date.h"
#include "http/h1_list.h"

bool
h1_cond_etag_eq(struct slice tag, const char *ours, bool weak_ok)
{
    if (tag.len >= 2 && tag.p[0] == 'W' && tag.p[1] == '/') {
        if (!weak_ok)
            return false;               /* strong comparison: a weak tag never matches */
        tag.p += 2;
        tag.len -= 2;
    }
    return slice_eq(tag, slice_make(ours, strlen(ours)));
}

bool
h1_cond_etag_match(const struct h1_request *r, const char *name, const char *etag,
                   bool weak_ok)
{
    for (unsigned i = 0; i < r->nheaders; i++) {
        if (!slice_eq_lit_nocase(r->headers[i].name, name))
            continue;
        struct slice v = r->headers[i].value, e;
        size_t pos = 0;
        while (h1_list_next(v, &pos, &e))
            if ((e.len == 1 && e.p[0] == '*') || h1_cond_etag_eq(e, etag, weak_ok))
                return true;
    }
    return false;
}

int
h1_cond_check(const struct h1_request *r, const char *etag, int64_t mtime)
{
    struct slice v;
    int64_t t;

    if (h1_request_field_get(r, "If-Match", &v)) {
        if (!h1_cond_etag_match(r, "If-Match", etag, false))
            return 412;
    } else if (h1_request_field_get(r, "If-Unmodified-Since", &v)) {
        t = h1_date_parse(v);
        if (t >= 0 && mtime > t)
            return 412;
    }
    if (h1_request_field_get(r, "If-None-Match", &v)) {
        if (h1_cond_etag_match(r, "If-None-Match", etag, true))
            return 304;
    } else if (h1_request_field_get(r, "If-Modified-Since", &v)) {
        t = h1_date_parse(v);
        if (t >= 0 && mtime <= t)
            return 304;
    }
    return 0;
}

bool
h1_cond_if_range(struct slice v, const char *etag, int64_t mtime)
{
    if (v.len && (v.p[0] == '"' || v.p[0] == 'W'))
        return h1_cond_etag_eq(v, etag, false);
    return h1_date_parse(v) == mtime;
}

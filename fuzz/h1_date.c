/*
 * fuzz/h1_date.c: the HTTP-date parser on arbitrary bytes (If-Modified-Since,
 * If-Unmodified-Since and If-Range reach it from any client). Properties: no crash; a
 * parsed date is at or after 1970 and formats to an IMF-fixdate that parses back to the
 * same second; the first eight bytes, read as seconds below year 10000, format and parse
 * back to themselves.
 */
#include <stdint.h>
#include <stdlib.h>
#include <string.h>

#include "http/h1_date.h"

#define H1_DATE_FUZZ_MAX_S INT64_C(253402300799)     /* 9999-12-31 23:59:59 */

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size);

int
LLVMFuzzerTestOneInput(const uint8_t *data, size_t size)
{
    char d[H1_DATE_LEN];
    int64_t t = h1_date_parse(slice_make((const char *)data, size));

    if (t < -1)
        abort();
    if (t >= 0) {
        h1_date_format(t, d);
        if (h1_date_parse(slice_make(d, sizeof(d))) != t)
            abort();
    }
    if (size >= 8) {
        uint64_t u;
        memcpy(&u, data, 8);
        int64_t s = (int64_t)(u % (uint64_t)(H1_DATE_FUZZ_MAX_S + 1));
        h1_date_format(s, d);
        if (h1_date_parse(slice_make(d, sizeof(d))) != s)
            abort();
    }
    return 0;
}

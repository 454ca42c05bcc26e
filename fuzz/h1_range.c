/*
 * fuzz/h1_range.c: the Range parser on arbitrary bytes, against a size taken from the
 * input. Properties: no crash; a single range lies inside the representation and is not
 * empty; the verdict does not depend on the out-parameters' prior contents.
 */
#include <stdint.h>
#include <stdlib.h>
#include <string.h>

#include "http/h1_range.h"

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size);

int
LLVMFuzzerTestOneInput(const uint8_t *data, size_t size)
{
    uint64_t sizes[3] = { 0, 1, 1048576 };

    if (size >= 8) {
        memcpy(&sizes[0], data, 8);     /* any size, including ones near UINT64_MAX */
        data += 8;
        size -= 8;
    }
    struct slice v = slice_make((const char *)data, size);
    for (int k = 0; k < 3; k++) {
        uint64_t s1 = 0, l1 = 0, s2 = UINT64_MAX, l2 = UINT64_MAX;
        enum h1_range_result a = h1_range_parse(v, sizes[k], &s1, &l1);
        enum h1_range_result b = h1_range_parse(v, sizes[k], &s2, &l2);
        if (a != b)
            abort();
        if (a == H1_RANGE_ONE) {
            if (l1 == 0 || s1 >= sizes[k] || l1 > sizes[k] - s1 || s1 != s2 || l1 != l2)
                abort();
        }
    }
    return 0;
}

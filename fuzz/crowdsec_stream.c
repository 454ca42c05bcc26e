/*
 * fuzz/crowdsec_stream.c: the body of the LAPI's GET /v1/decisions/stream, which tierd
 * reads from the network (shield/crowdsec.c), and the Go durations inside it. Input: the
 * body. Properties: no crash or leak; every decision handed over has a type, a scope and a
 * value; parsing twice hands over the same decisions; a duration is read the same from a
 * NUL-terminated copy of the input.
 */
#include <stdint.h>
#include <stdlib.h>
#include <string.h>

#include "core/err.h"
#include "shield/crowdsec.h"

struct tally {
    unsigned n;
    int64_t sum;
};

static void
on_decision(void *ctx, const struct crowdsec_decision *d)
{
    struct tally *t = ctx;

    BUG_ON(!d->type || !d->scope || !d->value);
    t->n++;
    t->sum += d->duration_s;
}

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t len);

int
LLVMFuzzerTestOneInput(const uint8_t *data, size_t len)
{
    struct tally a = { 0 }, b = { 0 };
    int na = crowdsec_parse_stream((const char *)data, len, on_decision, &a);
    int nb = crowdsec_parse_stream((const char *)data, len, on_decision, &b);

    BUG_ON(na != nb || a.n != b.n || a.sum != b.sum);
    BUG_ON(na >= 0 && (unsigned)na != a.n);
    char *s = malloc(len + 1);
    if (!s)
        return 0;
    memcpy(s, data, len);
    s[len] = '\0';
    BUG_ON(crowdsec_duration_s(s) != crowdsec_duration_s(s));
    free(s);
    return 0;
}

/*
 * fleet/termination.c: the default termination order (see termination.h).
 */
#include "fleet/termination.h"

bool
termination_before(const struct termination_key *a, const struct termination_key *b)
{
    if (a->version != b->version)
        return a->version < b->version;
    return a->seq < b->seq;
}

/* Insertion sort: groups hold at most a thousand instances and usually a handful. */
void
termination_sort(const struct termination_key *keys, unsigned *idx, unsigned n)
{
    for (unsigned i = 1; i < n; i++) {
        unsigned v = idx[i], j = i;
        while (j > 0 && termination_before(&keys[v], &keys[idx[j - 1]])) {
            idx[j] = idx[j - 1];
            j--;
        }
        idx[j] = v;
    }
}

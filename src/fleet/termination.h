/*
 * fleet/termination.h: which instance goes first on scale-in or refresh, by AWS's default
 * termination policy reduced to one server: instances of the oldest launch template
 * version first, then the oldest instance (there are no zones to balance and no billing
 * hours, so "closest to the next instance hour" and "random" become launch order).
 * Pure; owns nothing.
 */
#ifndef FLEET_TERMINATION_H
#define FLEET_TERMINATION_H
#include <stdbool.h>
#include <stdint.h>

struct termination_key {
    unsigned version;           /* launch template version */
    uint64_t seq;               /* launch order in the group: smaller = older */
};

/* True when a should be terminated before b. */
bool termination_before(const struct termination_key *a, const struct termination_key *b);
/* Sorts idx[0..n) (indexes into keys) into termination order. */
void termination_sort(const struct termination_key *keys, unsigned *idx, unsigned n);

#endif

/*
 * edge/balance.c: target choice per algorithm (round_robin, least_outstanding_requests,
 * weighted_random), slow start, fail-open, and whether a group is still starting. Owns
 * nothing.
 *
 * round_robin is nginx's smooth weighted round robin: each eligible target's current
 * weight grows by its effective weight, the largest wins and pays the total back. With
 * equal weights it is plain rotation; with weights it interleaves instead of bursting;
 * slow start scales a new target's effective weight linearly from ~0 to its full weight.
 */
#include "edge/balance.h"

bool
balance_is_routable(const struct target *t)
{
    return target_state_get(t) == TARGET_HEALTHY;
}

/* Unhealthy before it ever answered a probe: it has not started listening yet (an app
 * slower to start than unhealthy_threshold intervals), or never will. Either way
 * failing open to it only turns a wait into a 502. One that answered with the wrong
 * status, or was healthy once, is a fail-open candidate as on ALB. */
static bool
never_answered(const struct target *t)
{
    return !atomic_load_explicit(&t->answered, memory_order_relaxed) &&
           atomic_load_explicit(&t->healthy_since_ms, memory_order_relaxed) == 0;
}

bool
balance_starting(struct target *const *targets, unsigned n)
{
    bool starting = false;

    for (unsigned i = 0; i < n; i++) {
        enum target_state s = target_state_get(targets[i]);
        if (s == TARGET_HEALTHY)
            return false;
        if (s == TARGET_UNHEALTHY && !never_answered(targets[i]))
            return false;
        starting |= s == TARGET_INITIAL || s == TARGET_UNHEALTHY;
    }
    return starting;
}

static bool
is_fail_open_candidate(const struct target *t)
{
    enum target_state s = target_state_get(t);

    return s == TARGET_HEALTHY || s == TARGET_UNHEALTHY || s == TARGET_INITIAL;
}

uint64_t
balance_weight_milli(const struct target *t, uint64_t now_ms, uint64_t slow_start_ms)
{
    uint64_t w = (uint64_t)(t->weight ? t->weight : 1) * 1000u;
    uint64_t since = atomic_load_explicit(&t->healthy_since_ms, memory_order_relaxed);

    if (slow_start_ms && since && now_ms >= since && now_ms - since < slow_start_ms) {
        w = w * (now_ms - since) / slow_start_ms;
        if (w == 0)
            w = 1;
    }
    return w;
}

/* Marks the eligible targets in `ok` (n <= BALANCE_MAX) and returns how many. */
static unsigned
eligible(const struct balance_in *in, bool *ok, bool *failed_open)
{
    unsigned k = 0, healthy = 0;

    for (unsigned i = 0; i < in->n; i++)
        healthy += balance_is_routable(in->targets[i]);
    *failed_open = healthy == 0;
    for (unsigned i = 0; i < in->n; i++) {
        ok[i] = healthy ? balance_is_routable(in->targets[i])
                        : is_fail_open_candidate(in->targets[i]);
        k += ok[i];
    }
    if (in->avoid >= 0 && (unsigned)in->avoid < in->n && ok[in->avoid] && k > 1) {
        ok[in->avoid] = false;
        k--;
    }
    return k;
}

/* Slow start applies only while some eligible target is past it: a group whose targets
 * all became healthy together (a fresh start) gets full weights at once, as ALB does
 * for targets registered into an empty group. */
static bool
slow_start_applies(const struct balance_in *in, const bool *ok)
{
    if (!in->slow_start_ms)
        return false;
    for (unsigned i = 0; i < in->n; i++) {
        if (!ok[i])
            continue;
        uint64_t since = atomic_load_explicit(&in->targets[i]->healthy_since_ms,
                                              memory_order_relaxed);
        if (!since || in->now_ms - since >= in->slow_start_ms)
            return true;
    }
    return false;
}

#define BALANCE_MAX 1024

int
balance_pick(const struct balance_in *in, bool *failed_open)
{
    bool ok[BALANCE_MAX];
    unsigned n = in->n > BALANCE_MAX ? BALANCE_MAX : in->n;
    struct balance_in clipped = *in;
    int best = -1;

    clipped.n = n;
    if (eligible(&clipped, ok, failed_open) == 0)
        return -1;

    switch (in->alg) {
    case EDGE_ALG_LEAST_OUTSTANDING: {
        /* Fewest requests in flight per unit of weight; ties go round from a random
         * start so that an idle group spreads evenly. */
        uint64_t best_load = UINT64_MAX;
        unsigned start = (unsigned)(in->rnd % n);
        for (unsigned k = 0; k < n; k++) {
            unsigned i = (start + k) % n;
            if (!ok[i])
                continue;
            const struct target *t = in->targets[i];
            uint64_t load = (uint64_t)atomic_load_explicit(&t->outstanding,
                                                           memory_order_relaxed) * 1000000u /
                            (t->weight ? t->weight : 1);
            if (load < best_load) {
                best_load = load;
                best = (int)i;
            }
        }
        return best;
    }
    case EDGE_ALG_WEIGHTED_RANDOM: {
        uint64_t total = 0;
        for (unsigned i = 0; i < n; i++)
            if (ok[i])
                total += in->targets[i]->weight ? in->targets[i]->weight : 1;
        uint64_t r = in->rnd % total;
        for (unsigned i = 0; i < n; i++) {
            if (!ok[i])
                continue;
            uint64_t w = in->targets[i]->weight ? in->targets[i]->weight : 1;
            if (r < w)
                return (int)i;
            r -= w;
        }
        return -1;  /* unreachable: r < total */
    }
    case EDGE_ALG_ROUND_ROBIN:
    default: {
        bool slow = slow_start_applies(&clipped, ok);
        int64_t total = 0;
        for (unsigned i = 0; i < n; i++) {
            if (!ok[i])
                continue;
            int64_t w = (int64_t)(slow ? balance_weight_milli(in->targets[i], in->now_ms,
                                                              in->slow_start_ms)
                                       : (uint64_t)(in->targets[i]->weight
                                                        ? in->targets[i]->weight : 1) * 1000u);
            in->cw[i] += w;
            total += w;
            if (best < 0 || in->cw[i] > in->cw[best])
                best = (int)i;
        }
        in->cw[best] -= total;
        return best;
    }
    }
}

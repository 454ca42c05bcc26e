/*
 * edge/target.c: the life of a target object (allocation, references) and the ALB names
 * of its states and reasons. Health transitions live in edge/health.c, balancing in the
 * workers; this file only creates, counts and frees.
 */
#include "edge/target.h"

#include <stdlib.h>

struct target *
target_new(const struct sock_addr *addr, unsigned weight, bool dynamic)
{
    struct target *t = calloc(1, sizeof(*t));

    if (!t)
        return NULL;
    atomic_init(&t->refs, 1);
    t->addr = *addr;
    sock_addr_format(addr, t->addr_text, sizeof(t->addr_text));
    t->weight = weight;
    t->dynamic = dynamic;
    atomic_init(&t->state, (uint8_t)TARGET_INITIAL);
    atomic_init(&t->reason, (uint8_t)TARGET_REASON_REGISTRATION_IN_PROGRESS);
    return t;
}

void
target_release(struct target *t)
{
    if (!t || atomic_fetch_sub_explicit(&t->refs, 1, memory_order_acq_rel) != 1)
        return;
    free(t);
}

const char *
target_state_name(enum target_state s)
{
    switch (s) {
    case TARGET_INITIAL:
        return "initial";
    case TARGET_HEALTHY:
        return "healthy";
    case TARGET_UNHEALTHY:
        return "unhealthy";
    case TARGET_DRAINING:
        return "draining";
    case TARGET_UNUSED:
        return "unused";
    }
    return "unknown";
}

const char *
target_reason_name(enum target_reason r)
{
    switch (r) {
    case TARGET_REASON_NONE:
        return "";
    case TARGET_REASON_REGISTRATION_IN_PROGRESS:
        return "Elb.RegistrationInProgress";
    case TARGET_REASON_INITIAL_HEALTH_CHECKING:
        return "Elb.InitialHealthChecking";
    case TARGET_REASON_RESPONSE_CODE_MISMATCH:
        return "Target.ResponseCodeMismatch";
    case TARGET_REASON_TIMEOUT:
        return "Target.Timeout";
    case TARGET_REASON_FAILED_HEALTH_CHECKS:
        return "Target.FailedHealthChecks";
    case TARGET_REASON_DEREGISTRATION_IN_PROGRESS:
        return "Target.DeregistrationInProgress";
    case TARGET_REASON_NOT_REGISTERED:
        return "Target.NotRegistered";
    }
    return "";
}

/*
 * edge/target.h: a target at run time, shared by every worker, the health checker and
 * the balancer. Targets outlive configuration generations: a reload or a runtime
 * (de)registration builds a new generation that reuses the target objects of the
 * addresses it keeps, so health state and in-flight counts carry over. Fields written
 * by several threads are atomics; the health-tracking fields belong to the health
 * thread alone.
 */
#ifndef EDGE_TARGET_H
#define EDGE_TARGET_H
#include <stdatomic.h>
#include <stdbool.h>
#include <stdint.h>

#include "core/sock.h"

/* ALB TargetHealth.State values. */
enum target_state {
    TARGET_INITIAL = 0,
    TARGET_HEALTHY,
    TARGET_UNHEALTHY,
    TARGET_DRAINING,
    TARGET_UNUSED,
};

/* ALB TargetHealth.Reason codes. */
enum target_reason {
    TARGET_REASON_NONE = 0,
    TARGET_REASON_REGISTRATION_IN_PROGRESS,     /* Elb.RegistrationInProgress */
    TARGET_REASON_INITIAL_HEALTH_CHECKING,      /* Elb.InitialHealthChecking */
    TARGET_REASON_RESPONSE_CODE_MISMATCH,       /* Target.ResponseCodeMismatch */
    TARGET_REASON_TIMEOUT,                      /* Target.Timeout */
    TARGET_REASON_FAILED_HEALTH_CHECKS,         /* Target.FailedHealthChecks */
    TARGET_REASON_DEREGISTRATION_IN_PROGRESS,   /* Target.DeregistrationInProgress */
    TARGET_REASON_NOT_REGISTERED,               /* Target.NotRegistered */
};

/* Consecutive results, kept by the health thread. */
struct health_track {
    unsigned ok_run;
    unsigned fail_run;
    uint64_t next_probe_ms;
    uint64_t retry_at_ms;       /* without active checks: when an ejected target is retried */
    uint64_t fail_counted_ms;   /* `initial`: when the last failure counted towards the run */
    bool probing;
    int last_status;            /* last probe's HTTP status, 0 if none */
};

struct target {
    atomic_int refs;
    struct sock_addr addr;
    char addr_text[64];
    unsigned weight;
    bool dynamic;               /* registered at run time: survives reloads */

    _Atomic uint8_t state;      /* enum target_state */
    _Atomic uint8_t reason;     /* enum target_reason */
    _Atomic uint64_t healthy_since_ms;  /* slow start counts from here */
    _Atomic uint64_t drain_deadline_ms; /* draining: connections closed after this */
    atomic_bool answered;       /* a probe got an HTTP answer since (re)registration */
    /* protocol https: why the last probe's TLS handshake failed (a string of OpenSSL's
     * tables, never freed), NULL once one succeeds; tls_verify: the certificate check. */
    _Atomic(const char *) tls_failure;
    atomic_bool tls_verify;

    atomic_uint outstanding;    /* requests in flight, all workers (least outstanding) */
    atomic_uint passive_failures;   /* failures on live traffic not yet seen by health */
    atomic_bool passive_success;    /* a live request succeeded since health last looked */
    atomic_bool hs_reset;       /* other threads ask the health thread to restart hs */
    _Atomic uint64_t requests;
    _Atomic uint64_t errors;        /* 5xx answered for it, including connect failures */
    _Atomic uint64_t latency_us_sum;    /* over `requests` */

    struct health_track hs;     /* health thread only */
};

/* Returns a new target (one reference) in state INITIAL, or NULL. */
struct target *target_new(const struct sock_addr *addr, unsigned weight, bool dynamic);
static inline struct target *
target_ref(struct target *t)
{
    atomic_fetch_add_explicit(&t->refs, 1, memory_order_relaxed);
    return t;
}
void target_release(struct target *t);

static inline enum target_state
target_state_get(const struct target *t)
{
    return (enum target_state)atomic_load_explicit(&t->state, memory_order_relaxed);
}

/* "initial", "healthy", ... as ALB spells them. */
const char *target_state_name(enum target_state s);
/* "Target.Timeout", ... ; "" for TARGET_REASON_NONE. */
const char *target_reason_name(enum target_reason r);

#endif

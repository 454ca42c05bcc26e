/*
 * acme/acme_renew.h: when to renew a certificate, when to ask the CA's renewalInfo
 * again, and how long to wait after a failure. Pure: the clock and the random draw are
 * the caller's, so tests inject both (tests/unit/acme/acme_renew_test.c).
 */
#ifndef ACME_ACME_RENEW_H
#define ACME_ACME_RENEW_H
#include <stdbool.h>
#include <stdint.h>

#define ACME_RENEW_BACKOFF_FIRST_S 60
#define ACME_RENEW_BACKOFF_MAX_S 86400
#define ACME_RENEW_ARI_DEFAULT_S 21600   /* no Retry-After: ask again in 6 h (RFC 9773 §4.3) */
#define ACME_RENEW_ARI_MIN_S 60
#define ACME_RENEW_ARI_MAX_S 86400

struct acme_renew_in {
    int64_t now_s;
    bool has_cert;
    int64_t not_before_s, not_after_s;
    bool has_window;                    /* a well-formed ARI suggestedWindow */
    int64_t win_start_s, win_end_s;
    double pick;                        /* uniform in [0, 1): where in the window to renew */
};

/* The Unix second at which to renew: now without a certificate; at the picked point of
 * the ARI window when there is one (now when that point has passed); else two thirds into the lifetime (now when that has passed). */
int64_t acme_renew_at(const struct acme_renew_in *in);
/* When to fetch renewalInfo again: now + Retry-After (seconds; below 0 = absent, then
 * 6 h) kept within 1 min .. 1 day. */
int64_t acme_renew_ari_next(int64_t now_s, int64_t retry_after_s);
/* The wait after `failures` consecutive failed attempts (1 = the first): 1 min doubling
 * to 1 day; never earlier than the CA's Retry-After when it gave one (retry_after_s >= 0). */
int64_t acme_renew_backoff_s(unsigned failures, int64_t retry_after_s);

#endif

/*
 * acme/acme_renew.c: the renewal schedule (see acme_renew.h). Decides, never does.
 */
#include "acme/acme_renew.h"

int64_t
acme_renew_at(const struct acme_renew_in *in)
{
    int64_t at;

    if (!in->has_cert || in->not_after_s <= in->now_s)
        return in->now_s;
    if (in->has_window && in->win_end_s > in->win_start_s) {
        double pick = in->pick < 0 || in->pick >= 1 ? 0 : in->pick;
        at = in->win_start_s + (int64_t)(pick * (double)(in->win_end_s - in->win_start_s));
    } else {
        int64_t life = in->not_after_s - in->not_before_s;
        at = in->not_before_s + (life > 0 ? life * 2 / 3 : 0);
    }
    return at < in->now_s ? in->now_s : at;
}

int64_t
acme_renew_ari_next(int64_t now_s, int64_t retry_after_s)
{
    int64_t d = retry_after_s < 0 ? ACME_RENEW_ARI_DEFAULT_S : retry_after_s;

    if (d < ACME_RENEW_ARI_MIN_S)
        d = ACME_RENEW_ARI_MIN_S;
    if (d > ACME_RENEW_ARI_MAX_S)
        d = ACME_RENEW_ARI_MAX_S;
    return now_s + d;
}

int64_t
acme_renew_backoff_s(unsigned failures, int64_t retry_after_s)
{
    int64_t d = ACME_RENEW_BACKOFF_FIRST_S;

    for (unsigned i = 1; i < failures && d < ACME_RENEW_BACKOFF_MAX_S; i++)
        d *= 2;
    if (d > ACME_RENEW_BACKOFF_MAX_S)
        d = ACME_RENEW_BACKOFF_MAX_S;
    /* A rate-limited CA says when to come back; waiting longer than it asks is fine, but
     * a failure with a later Retry-After must wait for it. */
    if (retry_after_s > d && retry_after_s <= ACME_RENEW_BACKOFF_MAX_S * 7)
        d = retry_after_s;
    return d;
}

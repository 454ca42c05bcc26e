/*
 * shield/crowdsec.h: shared bans through CrowdSec's local API (LAPI). One thread per
 * shield, started by shield_apply() when shield.crowdsec is set:
 *   - as a bouncer (X-Api-Key) it streams decisions (GET /v1/decisions/stream) every
 *     poll_interval and enforces bans of scope Ip or Range through shield_ban_add(), so at
 *     accept and in the nftables set; deleted decisions are unbanned; other types and
 *     scopes are logged and ignored;
 *   - as a source (machine login and password) it pushes the shield's own bans, with their
 *     evidence, as alerts (POST /v1/alerts), so that other hosts' tierd and stock CrowdSec
 *     bouncers enforce them.
 * An unreachable LAPI is logged (rate-limited) and retried at the next poll; local
 * enforcement never waits for it.
 */
#ifndef SHIELD_CROWDSEC_H
#define SHIELD_CROWDSEC_H
#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>

struct shield;
struct shield_conf;
struct crowdsec;

/* Starts the thread for conf's crowdsec settings (copied). NULL when they are absent or the
 * thread cannot start (logged). The shield must outlive it. */
struct crowdsec *crowdsec_start(struct shield *s, const struct shield_conf *conf);
/* Stops and joins the thread (at most one HTTP timeout), then frees. NULL is fine. */
void crowdsec_stop(struct crowdsec *cs);
/* True when a and b have the same crowdsec settings (no restart needed on reload). */
bool crowdsec_same(const struct shield_conf *a, const struct shield_conf *b);

/* One decision of a stream body, as crowdsec_parse_stream() hands it over: strings borrowed
 * for the call; duration_s as crowdsec_duration_s() read it (-1: unreadable). */
struct crowdsec_decision {
    bool deleted;               /* from "deleted" (else "new") */
    const char *type, *scope, *value, *scenario;
    int64_t duration_s;
};
typedef void (*crowdsec_decision_fn)(void *ctx, const struct crowdsec_decision *d);
/* Parses a GET /v1/decisions/stream body ({"new": [...] | null, "deleted": [...] | null})
 * and calls fn for each decision that has a type, a scope and a value: deleted ones first.
 * Returns the number handed over, or -EBADMSG when the body is not such an object. */
int crowdsec_parse_stream(const char *body, size_t len, crowdsec_decision_fn fn, void *ctx);

/* Go's duration text ("3h59m55.5s", "600s", "-1s") in whole seconds, or -1. */
int64_t crowdsec_duration_s(const char *s);

#endif

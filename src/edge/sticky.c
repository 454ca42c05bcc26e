/*
 * edge/sticky.c: stickiness as ALB's lb_cookie does it. A tierd_tg cookie names the
 * target by a hash of group and address (clients never see the network behind tierd);
 * it is honoured while that target may take traffic and refreshed on every response.
 */
#include "edge/sticky.h"

#include <string.h>
#include <time.h>

#include "core/clock.h"
#include "edge/balance.h"
#include "edge/gen.h"

/* The cookie value for a target: FNV-1a of group and address. */
uint64_t
sticky_key(const char *group, const struct target *t)
{
    uint64_t h = 1469598103934665603ULL;    /* FNV-1a */

    for (const char *p = group; *p; p++)
        h = (h ^ (unsigned char)*p) * 1099511628211ULL;
    h = (h ^ '|') * 1099511628211ULL;
    for (const char *p = t->addr_text; *p; p++)
        h = (h ^ (unsigned char)*p) * 1099511628211ULL;
    return h;
}

/* The target a request's stickiness cookie names, if it may take traffic now (healthy,
 * or any non-draining target while the group fails open); else -1, and the balancer
 * picks a new one whose cookie the response carries (ALB behaviour). */
int
sticky_lookup(const struct h1_request *r, const struct edge_tg_conf *tc, const struct tg_rt *rt)
{
    static const char name[] = STICKY_COOKIE "=";
    uint64_t want = 0;
    bool found = false;

    for (unsigned i = 0; i < r->nheaders && !found; i++) {
        if (!slice_eq_lit_nocase(r->headers[i].name, "Cookie"))
            continue;
        struct slice v = r->headers[i].value;
        for (size_t k = 0; k + sizeof(name) - 1 + 16 <= v.len; k++) {
            if ((k == 0 || v.p[k - 1] == ' ' || v.p[k - 1] == ';') &&
                memcmp(v.p + k, name, sizeof(name) - 1) == 0) {
                const char *hex = v.p + k + sizeof(name) - 1;
                found = true;
                for (int d = 0; d < 16 && found; d++) {
                    char ch = hex[d];
                    unsigned x = ch >= '0' && ch <= '9' ? (unsigned)(ch - '0')
                               : ch >= 'a' && ch <= 'f' ? (unsigned)(ch - 'a' + 10) : 16u;
                    if (x == 16)
                        found = false;
                    want = want << 4 | x;
                }
                break;
            }
        }
    }
    if (!found)
        return -1;
    bool any_healthy = false;
    for (unsigned i = 0; i < rt->n; i++)
        any_healthy |= balance_is_routable(rt->targets[i]);
    for (unsigned i = 0; i < rt->n; i++) {
        struct target *t = rt->targets[i];
        if (sticky_key(tc->name, t) != want)
            continue;
        enum target_state st = target_state_get(t);
        if (st == TARGET_HEALTHY || (!any_healthy && (st == TARGET_INITIAL ||
                                                      st == TARGET_UNHEALTHY)))
            return (int)i;
    }
    return -1;
}

void
sticky_set_cookie(struct buf *out, const struct edge_tg_conf *tc, const struct target *t)
{
    /* ALB refreshes the stickiness cookie's expiry on every response. */
    time_t exp = (time_t)(clock_wall_ms() / 1000 + tc->stickiness_ms / 1000);
    struct tm tm;
    char date[40], hex[17];
    uint64_t k = sticky_key(tc->name, t);

    gmtime_r(&exp, &tm);
    strftime(date, sizeof(date), "%a, %d %b %Y %H:%M:%S GMT", &tm);
    for (int i = 15; i >= 0; i--, k >>= 4)
        hex[i] = "0123456789abcdef"[k & 15];
    hex[16] = '\0';
    buf_append_str(out, "Set-Cookie: " STICKY_COOKIE "=");
    buf_append_str(out, hex);
    buf_append_str(out, "; Path=/; Expires=");
    buf_append_str(out, date);
    buf_append_str(out, "; HttpOnly\r\n");
}

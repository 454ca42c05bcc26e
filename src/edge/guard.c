/*
 * edge/guard.c: where the edge asks the shield for verdicts: at accept (deny list,
 * bans, connections per address), once a request is routed (rate rules, scanner
 * signals) and once its status is known (404 bursts, login failures). Everything is
 * skipped when the stack has no `shield:` section. Owns nothing.
 */
#include "edge/guard.h"

#include <arpa/inet.h>
#include <string.h>

#include "edge/conn.h"
#include "edge/gen.h"
#include "edge/txn.h"
#include "edge/worker.h"

static bool
guard_on(const struct worker *w)
{
    return w->edge->shield && shield_enabled(w->edge->shield);
}

static void
conn_shield_addr(const struct conn *c, struct shield_addr *a)
{
    memset(a, 0, sizeof(*a));
    if (c->peer_family == 6) {
        memcpy(a->b, c->peer_addr, 16);
    } else {
        a->b[10] = a->b[11] = 0xff;
        memcpy(a->b + 12, c->peer_addr, 4);
    }
}

bool
guard_accept(struct worker *w, const struct sockaddr_storage *peer, bool *counted)
{
    struct shield_addr a;

    *counted = false;
    if (!guard_on(w))
        return true;
    shield_addr_from_sockaddr(&a, peer);
    struct shield_decision d = shield_accept(w->edge->shield, &a, loop_now_ms(w->loop));
    if (d.verdict == SHIELD_DENY)
        return false;
    *counted = true;
    return true;
}

void
guard_release(struct worker *w, const struct conn *c)
{
    struct shield_addr a;

    if (!c->shield_counted || !w->edge->shield)
        return;
    conn_shield_addr(c, &a);
    shield_release(w->edge->shield, &a);
}

/* Splits "METHOD TARGET VERSION" (the kept request line) for the response event. */
static void
info_from_log(const struct txn *t, struct shield_request_info *info)
{
    const char *line = t->log_request ? t->log_request : "";
    const char *sp1 = strchr(line, ' ');
    const char *target = sp1 ? sp1 + 1 : "";
    const char *sp2 = strchr(target, ' ');
    size_t tlen = sp2 ? (size_t)(sp2 - target) : strlen(target);
    const char *q = memchr(target, '?', tlen);

    info->method = slice_make(line, sp1 ? (size_t)(sp1 - line) : 0);
    info->path = slice_make(target, q ? (size_t)(q - target) : tlen);
    info->query = q ? slice_make(q + 1, tlen - (size_t)(q + 1 - target)) : slice_make(NULL, 0);
    info->host = slice_make(t->log_host, t->log_host ? strlen(t->log_host) : 0);
    info->user_agent = slice_make(t->log_ua, t->log_ua ? strlen(t->log_ua) : 0);
}

int
guard_request(struct txn *t, const struct h1_request *r, bool static_asset)
{
    struct worker *w = t->c->w;
    struct shield_request_info info;
    struct slice xff[16];
    unsigned nxff = 0;

    if (!guard_on(w))
        return 0;
    memset(&info, 0, sizeof(info));
    for (unsigned i = 0; i < r->nheaders && nxff < 16; i++) {
        if (r->headers[i].flags & H1_HDR_X_FORWARDED_FOR)
            xff[nxff++] = r->headers[i].value;
        else if (r->headers[i].flags & H1_HDR_USER_AGENT)
            info.user_agent = r->headers[i].value;
    }
    conn_shield_addr(t->c, &info.peer);
    shield_client_addr(w->edge->shield, &info.peer, xff, nxff, &info.client);
    if (memcmp(&info.peer, &info.client, sizeof(info.peer)) == 0)
        memset(&info.peer, 0, sizeof(info.peer));
    info.method = r->method;
    info.path = r->path;
    info.query = r->query;
    info.host = r->host;
    info.static_asset = static_asset;
    if (t->lc && t->lc->name)
        info.listener = slice_make(t->lc->name, strlen(t->lc->name));
    t->client = info.client;
    t->static_asset = static_asset;
    struct shield_decision d = shield_request(w->edge->shield, &info, loop_now_ms(w->loop));
    memcpy(t->country, d.country, sizeof(t->country));
    if (d.verdict == SHIELD_DENY)
        return d.status ? d.status : 403;
    t->shield_seen = true;
    return 0;
}

void
guard_response(struct txn *t)
{
    struct worker *w = t->c->w;
    struct shield_request_info info;

    if (!t->shield_seen || !w->edge->shield)
        return;
    /* Detectors learn only from refusals and failures (404 bursts, login failures): the
     * other answers, nearly all of them, skip the shield's lock and lookups. */
    switch (t->status) {
    case 400: case 401: case 403: case 404: case 410: case 422:
        break;
    default:
        return;
    }
    memset(&info, 0, sizeof(info));
    info_from_log(t, &info);
    info.client = t->client;
    info.static_asset = t->static_asset;
    shield_response(w->edge->shield, &info, t->status, loop_now_ms(w->loop));
}

void
guard_abuse(struct worker *w, const struct conn *c)
{
    struct shield_request_info info;

    if (!guard_on(w))
        return;
    memset(&info, 0, sizeof(info));
    conn_shield_addr(c, &info.client);
    info.method = SLICE_LIT("PRI");
    info.path = SLICE_LIT("*");
    shield_response(w->edge->shield, &info, 400, loop_now_ms(w->loop));
}

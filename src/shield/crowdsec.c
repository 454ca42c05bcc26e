/*
 * shield/crowdsec.c: the CrowdSec LAPI client (see crowdsec.h). Its own thread, blocking
 * libcurl calls with short timeouts, jansson for the JSON; it touches the shield only through
 * shield_ban_add(), shield_ban_remove() and shield_bans_visit(), which lock.
 * Bans it made carry the reason "crowdsec" (or "crowdsec:<scenario>"), so that they are
 * never pushed back as this host's own.
 */
#include "shield/crowdsec.h"

#include <curl/curl.h>
#include <errno.h>
#include <jansson.h>
#include <pthread.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <time.h>

#include "conf/ref.h"
#include "core/log.h"
#include "core/mem.h"
#include "shield/internal.h"
#include "shield/shield.h"

#define CS_TIMEOUT_S 5L
#define CS_BODY_MAX (16u << 20)         /* a startup stream of many decisions */
#define CS_PUSHED_MAX 4096              /* remembered pushes (address and start) */
#define CS_REASON "crowdsec"
#ifndef TIERD_VERSION
#define TIERD_VERSION "0.1.0"
#endif

struct crowdsec {
    struct shield *shield;
    char *url, *api_key, *login, *password;     /* expanded; wiped at the end */
    char *conf_url, *conf_key, *conf_login, *conf_password; /* as written, for _same() */
    uint64_t poll_ms;
    pthread_t thread;
    pthread_mutex_t lock;
    pthread_cond_t cond;
    bool stopping;
    bool startup;                       /* the next stream asks for every decision */
    char *token;                        /* the machine's JWT, NULL until logged in */
    char (*pushed)[96];                 /* "addr|start_s" already pushed */
    unsigned npushed, next_pushed;
    unsigned failures;                  /* consecutive stream failures; logs every 2^k-th */
    unsigned push_failures;             /* the same for logins and pushes */
};

struct body {
    char *p;
    size_t n;
};

static size_t
on_data(char *ptr, size_t size, size_t n, void *ctx)
{
    struct body *b = ctx;
    size_t len = size * n;

    if (b->n + len > CS_BODY_MAX)
        return 0;
    b->p = mem_realloc_or_exit(b->p, b->n + len + 1);
    memcpy(b->p + b->n, ptr, len);
    b->n += len;
    b->p[b->n] = '\0';
    return len;
}

/* One request; returns the HTTP status (0 for a transport failure, logged by the caller)
 * and the body in *out (the caller frees out->p). */
static long
http(struct crowdsec *cs, const char *method, const char *path, const char *auth_header,
     const char *payload, struct body *out, char *err, size_t errlen)
{
    CURL *c = curl_easy_init();
    struct curl_slist *h = NULL;
    struct body b = { 0 };
    char url[2400];
    long status = 0;
    CURLcode rc;

    *out = (struct body){ 0 };
    if (!c) {
        snprintf(err, errlen, "curl_easy_init failed");
        return 0;
    }
    snprintf(url, sizeof(url), "%s%s", cs->url, path);
    h = curl_slist_append(h, "Accept: application/json");
    /* LAPI reads "name/version" from the agent and refuses a machine's login without it. */
    h = curl_slist_append(h, "User-Agent: tierd/" TIERD_VERSION);
    if (auth_header)
        h = curl_slist_append(h, auth_header);
    if (payload)
        h = curl_slist_append(h, "Content-Type: application/json");
    curl_easy_setopt(c, CURLOPT_URL, url);
    curl_easy_setopt(c, CURLOPT_HTTPHEADER, h);
    curl_easy_setopt(c, CURLOPT_CUSTOMREQUEST, method);
    if (payload)
        curl_easy_setopt(c, CURLOPT_POSTFIELDS, payload);
    curl_easy_setopt(c, CURLOPT_TIMEOUT, CS_TIMEOUT_S);
    curl_easy_setopt(c, CURLOPT_CONNECTTIMEOUT, 2L);
    curl_easy_setopt(c, CURLOPT_NOSIGNAL, 1L);
    curl_easy_setopt(c, CURLOPT_WRITEFUNCTION, on_data);
    curl_easy_setopt(c, CURLOPT_WRITEDATA, &b);
    rc = curl_easy_perform(c);
    if (rc != CURLE_OK)
        snprintf(err, errlen, "%s", curl_easy_strerror(rc));
    else
        curl_easy_getinfo(c, CURLINFO_RESPONSE_CODE, &status);
    *out = b;
    curl_slist_free_all(h);
    curl_easy_cleanup(c);
    return status;
}

int64_t
crowdsec_duration_s(const char *s)
{
    double total = 0;
    bool neg = false, any = false;

    if (!s || !*s)
        return -1;
    if (*s == '-') {
        neg = true;
        s++;
    }
    while (*s) {
        char *end;
        double v;
        /* Digits and a dot only: strtod would also take "inf", "nan", hex and signs. */
        if (!((*s >= '0' && *s <= '9') || *s == '.'))
            return -1;
        v = strtod(s, &end);
        if (end == s)
            return -1;
        s = end;
        if (strncmp(s, "ms", 2) == 0) {
            v /= 1000;
            s += 2;
        } else if (strncmp(s, "us", 2) == 0 || strncmp(s, "µs", 3) == 0 ||
                   strncmp(s, "ns", 2) == 0) {
            v = 0;
            s += s[0] == 'n' || s[0] == 'u' ? 2 : 3;
        } else if (*s == 'h') {
            v *= 3600;
            s++;
        } else if (*s == 'm') {
            v *= 60;
            s++;
        } else if (*s == 's') {
            s++;
        } else {
            return -1;
        }
        total += v;
        any = true;
    }
    /* Above a century is nonsense from a peer, and would overflow the cast. */
    if (!any || !(total <= 100.0 * 365 * 86400))
        return -1;
    return neg ? -(int64_t)total : (int64_t)total;
}

static void
transport_failed(struct crowdsec *cs, unsigned *failures, const char *what, const char *err,
                 long status)
{
    (*failures)++;
    /* 1, 2, 4, 8, ...: an LAPI that stays down does not flood the log. */
    if ((*failures & (*failures - 1)) == 0)
        log_warn("shield", "crowdsec %s failed url=%s%s%s status=%ld failures=%u; local "
                 "bans are enforced regardless", what, cs->url, err[0] ? " error=" : "", err,
                 status, *failures);
}

/* The addresses of the shield's own bans (not CrowdSec's), to keep their reason and
 * evidence when CrowdSec streams them back after a push. */
struct local_bans {
    char (*addr)[64];
    unsigned n, cap;
};

static void
collect_local(void *ctx, const struct shield_ban_info *b)
{
    struct local_bans *l = ctx;

    if (b->counted_only || strncmp(b->reason, CS_REASON, strlen(CS_REASON)) == 0)
        return;
    if (l->n == l->cap) {
        l->cap = l->cap ? l->cap * 2 : 32;
        l->addr = mem_realloc_or_exit(l->addr, l->cap * sizeof(*l->addr));
    }
    snprintf(l->addr[l->n++], 64, "%s", b->addr);
}

static bool
is_local(const struct local_bans *l, const char *addr)
{
    for (unsigned i = 0; i < l->n; i++)
        if (strcmp(l->addr[i], addr) == 0)
            return true;
    return false;
}

int
crowdsec_parse_stream(const char *body, size_t len, crowdsec_decision_fn fn, void *ctx)
{
    json_t *j = json_loadb(body, len, 0, NULL);
    int n = 0;

    if (!json_is_object(j)) {
        json_decref(j);
        return -EBADMSG;
    }
    static const char *const lists[] = { "deleted", "new" };
    for (unsigned l = 0; l < 2; l++) {
        json_t *arr = json_object_get(j, lists[l]), *d;
        size_t i;
        json_array_foreach(arr, i, d) {
            struct crowdsec_decision cd = {
                .deleted = l == 0,
                .type = json_string_value(json_object_get(d, "type")),
                .scope = json_string_value(json_object_get(d, "scope")),
                .value = json_string_value(json_object_get(d, "value")),
                .scenario = json_string_value(json_object_get(d, "scenario")),
                .duration_s = crowdsec_duration_s(json_string_value(json_object_get(d, "duration"))),
            };
            if (!cd.type || !cd.scope || !cd.value)
                continue;
            fn(ctx, &cd);
            n++;
        }
    }
    json_decref(j);
    return n;
}

struct stream_ctx {
    struct crowdsec *cs;
    struct local_bans local;
};

/* crowdsec_decision_fn: enforce (new) or lift (deleted) one decision. */
static void
apply_decision(void *ctx, const struct crowdsec_decision *d)
{
    struct stream_ctx *sc = ctx;

    if (strcmp(d->type, "ban") != 0 || (strcasecmp(d->scope, "ip") != 0 &&
                                        strcasecmp(d->scope, "range") != 0)) {
        log_info("shield", "crowdsec decision ignored type=%s scope=%s value=%s (tierd enforces "
                 "ban on Ip and Range)", d->type, d->scope, d->value);
        return;
    }
    if (d->deleted) {
        if (shield_ban_remove(sc->cs->shield, d->value) == 0)
            log_info("shield", "crowdsec unban addr=%s", d->value);
        return;
    }
    if (d->duration_s <= 0 || is_local(&sc->local, d->value))  /* ours, streamed back */
        return;
    if (shield_ban_add(sc->cs->shield, d->value, d->duration_s, CS_REASON) < 0)
        log_warn("shield", "crowdsec decision refused value=%s scope=%s", d->value, d->scope);
}

static void
stream(struct crowdsec *cs)
{
    char path[64], auth[400], err[256] = "";
    struct stream_ctx sc = { cs, { 0 } };
    struct body b = { 0 };
    long st;

    snprintf(path, sizeof(path), "/v1/decisions/stream?startup=%s",
             cs->startup ? "true" : "false");
    snprintf(auth, sizeof(auth), "X-Api-Key: %s", cs->api_key);
    st = http(cs, "GET", path, auth, NULL, &b, err, sizeof(err));
    /* Our own bans keep their reason when CrowdSec streams them back after a push. */
    if (st == 200 && b.n > 9)
        shield_bans_visit(cs->shield, collect_local, &sc.local);
    if (st != 200 || crowdsec_parse_stream(b.p ? b.p : "", b.n, apply_decision, &sc) < 0) {
        transport_failed(cs, &cs->failures, "decisions stream", err, st);
    } else {
        if (cs->failures)
            log_info("shield", "crowdsec reachable again url=%s", cs->url);
        cs->failures = 0;
        cs->startup = false;
    }
    free(sc.local.addr);
    free(b.p);
}

static bool
login(struct crowdsec *cs)
{
    char err[256] = "";
    struct body b;
    json_t *req = json_pack("{s:s, s:s, s:[]}", "machine_id", cs->login, "password",
                            cs->password, "scenarios");
    char *payload = json_dumps(req, JSON_COMPACT);
    long st = http(cs, "POST", "/v1/watchers/login", NULL, payload, &b, err, sizeof(err));
    json_t *j = b.p ? json_loadb(b.p, b.n, 0, NULL) : NULL;
    const char *tok = json_string_value(json_object_get(j, "token"));

    free(b.p);
    json_decref(req);
    if (payload) {
        memset(payload, 0, strlen(payload));
        free(payload);
    }
    if (st != 200 || !tok) {
        transport_failed(cs, &cs->push_failures, "machine login", err, st);
        json_decref(j);
        return false;
    }
    free(cs->token);
    cs->token = mem_strdup_or_exit(tok);
    json_decref(j);
    return true;
}

struct collect {
    struct crowdsec *cs;
    json_t *alerts;
    char (*keys)[96];
    unsigned nkeys;
};

static bool
was_pushed(const struct crowdsec *cs, const char *key)
{
    for (unsigned i = 0; i < cs->npushed; i++)
        if (strcmp(cs->pushed[i], key) == 0)
            return true;
    return false;
}

static void
rfc3339(int64_t s, char *buf, size_t len)
{
    time_t t = (time_t)s;
    struct tm tm;

    gmtime_r(&t, &tm);
    strftime(buf, len, "%Y-%m-%dT%H:%M:%SZ", &tm);
}

/* shield_ban_fn: the shield's own enforced bans not pushed yet become alerts. */
static void
collect_ban(void *ctx, const struct shield_ban_info *b)
{
    struct collect *c = ctx;
    char key[96], start[32], dur[32], scenario[96];
    int64_t now = (int64_t)time(NULL);

    if (b->counted_only || strncmp(b->reason, CS_REASON, strlen(CS_REASON)) == 0 ||
        b->expiry_s <= now || c->nkeys >= 64)
        return;
    snprintf(key, sizeof(key), "%s|%lld", b->addr, (long long)b->start_s);
    if (was_pushed(c->cs, key))
        return;
    bool range = strchr(b->addr, '/') != NULL;
    rfc3339(b->start_s, start, sizeof(start));
    snprintf(dur, sizeof(dur), "%llds", (long long)(b->expiry_s - now));
    snprintf(scenario, sizeof(scenario), "tierd/%s", b->reason);
    json_t *a = json_pack(
        "{s:s, s:s, s:s, s:s, s:i, s:s, s:s, s:i, s:s, s:b, s:[{s:s, s:[{s:s, s:s}]}],"
        " s:{s:s, s:s}, s:[{s:s, s:s, s:s, s:s, s:s, s:s}]}",
        "scenario", scenario, "scenario_hash", "", "scenario_version", "",
        "message", b->evidence[0] ? b->evidence : b->reason, "events_count", 1,
        "start_at", start, "stop_at", start, "capacity", 0, "leakspeed", "0", "simulated", 0,
        "events", "timestamp", start, "meta", "key", "evidence", "value",
        b->evidence[0] ? b->evidence : b->reason,
        "source", "scope", range ? "Range" : "Ip", "value", b->addr,
        "decisions", "duration", dur, "type", "ban", "scope", range ? "Range" : "Ip", "value",
        b->addr, "origin", "tierd", "scenario", scenario);
    if (!range && a)
        json_object_set_new(json_object_get(a, "source"), "ip", json_string(b->addr));
    else if (a)
        json_object_set_new(json_object_get(a, "source"), "range", json_string(b->addr));
    if (a) {
        json_array_append_new(c->alerts, a);
        snprintf(c->keys[c->nkeys++], 96, "%s", key);
    }
}

static void
push(struct crowdsec *cs)
{
    char keys[64][96];
    struct collect c = { cs, json_array(), keys, 0 };
    char auth[4200], err[256] = "";
    struct body b;

    shield_bans_visit(cs->shield, collect_ban, &c);
    if (c.nkeys == 0 || (!cs->token && !login(cs))) {
        json_decref(c.alerts);
        return;
    }
    char *payload = json_dumps(c.alerts, JSON_COMPACT);
    json_decref(c.alerts);
    for (int attempt = 0; attempt < 2 && payload; attempt++) {
        snprintf(auth, sizeof(auth), "Authorization: Bearer %s", cs->token);
        long st = http(cs, "POST", "/v1/alerts", auth, payload, &b, err, sizeof(err));
        free(b.p);
        if (st == 201 || st == 200) {
            for (unsigned i = 0; i < c.nkeys; i++) {
                snprintf(cs->pushed[cs->next_pushed], 96, "%s", keys[i]);
                cs->next_pushed = (cs->next_pushed + 1) % CS_PUSHED_MAX;
                if (cs->npushed < CS_PUSHED_MAX)
                    cs->npushed++;
            }
            log_info("shield", "crowdsec pushed alerts=%u", c.nkeys);
            cs->push_failures = 0;
            break;
        }
        if (st == 401 && attempt == 0 && login(cs))   /* the token expired */
            continue;
        transport_failed(cs, &cs->push_failures, "alert push", err, st);
        break;
    }
    free(payload);
}

/* Waits up to ms for stop; true when stopping. Called with cs->lock held. */
static bool
wait_ms(struct crowdsec *cs, uint64_t ms)
{
    struct timespec ts;

    clock_gettime(CLOCK_MONOTONIC, &ts);
    ts.tv_sec += (time_t)(ms / 1000);
    ts.tv_nsec += (long)(ms % 1000) * 1000000L;
    if (ts.tv_nsec >= 1000000000L) {
        ts.tv_sec++;
        ts.tv_nsec -= 1000000000L;
    }
    if (!cs->stopping)
        pthread_cond_timedwait(&cs->cond, &cs->lock, &ts);
    return cs->stopping;
}

static uint64_t
mono_ms(void)
{
    struct timespec ts;

    clock_gettime(CLOCK_MONOTONIC, &ts);
    return (uint64_t)ts.tv_sec * 1000 + (uint64_t)ts.tv_nsec / 1000000;
}

/*
 * Streams every poll_ms. Pushes at once when the shield made a new ban (its generation
 * moved; checked every CS_TICK_MS, which costs no store read), so that a local ban reaches
 * the LAPI well before the next poll; and at every poll, to retry a failed push.
 */
#define CS_TICK_MS 100

static void *
run(void *arg)
{
    struct crowdsec *cs = arg;
    uint64_t gen = 0, next_stream = 0;

    pthread_mutex_lock(&cs->lock);
    while (!cs->stopping) {
        uint64_t now = mono_ms(), g = shield_ban_generation(cs->shield);
        bool poll = now >= next_stream;
        pthread_mutex_unlock(&cs->lock);
        if (cs->login && (g != gen || poll)) {
            gen = g;
            push(cs);
        }
        if (poll) {
            stream(cs);
            next_stream = mono_ms() + cs->poll_ms;
        }
        pthread_mutex_lock(&cs->lock);
        if (wait_ms(cs, CS_TICK_MS))
            break;
    }
    pthread_mutex_unlock(&cs->lock);
    return NULL;
}

static void
wipe_free(char *s)
{
    if (s) {
        memset(s, 0, strlen(s));
        free(s);
    }
}

static void
cs_free(struct crowdsec *cs)
{
    wipe_free(cs->url);
    wipe_free(cs->api_key);
    wipe_free(cs->login);
    wipe_free(cs->password);
    wipe_free(cs->token);
    free(cs->conf_url);
    free(cs->conf_key);
    free(cs->conf_login);
    free(cs->conf_password);
    free(cs->pushed);
    pthread_mutex_destroy(&cs->lock);
    pthread_cond_destroy(&cs->cond);
    free(cs);
}

static char *
dup_or_null(const char *s)
{
    return s ? mem_strdup_or_exit(s) : NULL;
}

/* A reference expanded, or NULL after a log line naming the variable. */
static char *
expand(const char *s, const char *what)
{
    char missing[128] = "";
    char *v;

    if (!s)
        return NULL;
    v = conf_ref_expand(s, missing, sizeof(missing));
    if (!v)
        log_warn("shield", "crowdsec disabled: %s: %s%s", what,
                 missing[0] ? "environment variable is not set: " : "malformed reference",
                 missing);
    return v;
}

struct crowdsec *
crowdsec_start(struct shield *s, const struct shield_conf *conf)
{
    struct crowdsec *cs;
    pthread_condattr_t ca;

    if (!conf || !conf->enabled || !conf->cs_url || !conf->cs_api_key)
        return NULL;
    cs = mem_alloc_or_exit(sizeof(*cs));
    memset(cs, 0, sizeof(*cs));
    cs->shield = s;
    cs->poll_ms = conf->cs_poll_ms ? conf->cs_poll_ms : 10000;
    cs->startup = true;
    cs->conf_url = dup_or_null(conf->cs_url);
    cs->conf_key = dup_or_null(conf->cs_api_key);
    cs->conf_login = dup_or_null(conf->cs_login);
    cs->conf_password = dup_or_null(conf->cs_password);
    cs->pushed = mem_alloc_or_exit(sizeof(*cs->pushed) * CS_PUSHED_MAX);
    pthread_mutex_init(&cs->lock, NULL);
    pthread_condattr_init(&ca);
    pthread_condattr_setclock(&ca, CLOCK_MONOTONIC);
    pthread_cond_init(&cs->cond, &ca);
    pthread_condattr_destroy(&ca);
    cs->url = dup_or_null(conf->cs_url);
    size_t n = strlen(cs->url);
    while (n > 0 && cs->url[n - 1] == '/')
        cs->url[--n] = '\0';
    cs->api_key = expand(conf->cs_api_key, "shield.crowdsec.api_key");
    if (conf->cs_login) {
        cs->login = dup_or_null(conf->cs_login);
        cs->password = expand(conf->cs_password, "shield.crowdsec.machine.password");
        if (!cs->password) {
            wipe_free(cs->login);
            cs->login = NULL;
        }
    }
    if (!cs->api_key || pthread_create(&cs->thread, NULL, run, cs) != 0) {
        cs_free(cs);
        return NULL;
    }
    log_info("shield", "crowdsec started url=%s poll_ms=%llu push=%s", cs->url,
             (unsigned long long)cs->poll_ms, cs->login ? "yes" : "no");
    return cs;
}

void
crowdsec_stop(struct crowdsec *cs)
{
    if (!cs)
        return;
    pthread_mutex_lock(&cs->lock);
    cs->stopping = true;
    pthread_cond_signal(&cs->cond);
    pthread_mutex_unlock(&cs->lock);
    pthread_join(cs->thread, NULL);
    cs_free(cs);
}

static bool
str_eq(const char *a, const char *b)
{
    return (!a && !b) || (a && b && strcmp(a, b) == 0);
}

bool
crowdsec_same(const struct shield_conf *a, const struct shield_conf *b)
{
    return a && b && a->enabled == b->enabled && str_eq(a->cs_url, b->cs_url) &&
           str_eq(a->cs_api_key, b->cs_api_key) && str_eq(a->cs_login, b->cs_login) &&
           str_eq(a->cs_password, b->cs_password) && a->cs_poll_ms == b->cs_poll_ms;
}

/*
 * ctl/ctl_console.c: the web console on the control API's TCP listener (control.console):
 * its embedded files, sign-in with the bearer token, and the session store behind the
 * cookie. A session is a random id (the cookie, HttpOnly and SameSite=Strict, so no page
 * script and no other site's request carries it) and a second random value, the CSRF token,
 * that the console's own script holds in memory and sends as X-CSRF-Token; ctl_req.c
 * accepts the cookie on /v1 only with both (see ctl_req_handle()). Sessions live in memory:
 * a restart signs everyone out, which is what an operator expects of a restart anyway.
 */
#include "ctl/internal.h"

#include <errno.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/random.h>

#include "core/clock.h"
#include "core/log.h"
#include "ctl/ctl_assets.h"

#define CTL_COOKIE "tierd_session"
/* The browser forgets the cookie when the server would refuse it anyway. */
#define CTL_CONSOLE_COOKIE_MAX_AGE "43200"
_Static_assert(CTL_CONSOLE_SESSION_MS == 43200ull * 1000, "Max-Age is the session lifetime");

struct ctl_session {
    bool used;
    char id[65];                /* 32 random bytes, hex */
    char csrf[65];
    char who[CTL_WHO_MAX];
    uint64_t created_ms, seen_ms;
};

struct ctl_console {
    struct ctl_session s[CTL_CONSOLE_SESSIONS_MAX];
    struct ctl_cred *creds;     /* copies: the server's are wiped at stop */
    unsigned ncreds;
    unsigned streams;           /* open event streams (ctl.c closes them) */
    uint64_t (*now_ms)(void);
};

/* Security headers of every console response: no script but the console's own files, no
 * framing (clickjacking), no MIME sniffing, no Referer carrying paths elsewhere. */
static const char console_headers[] =
    "Content-Security-Policy: default-src 'self'; script-src 'self'; style-src 'self'; "
    "img-src 'self' data:; connect-src 'self'; frame-ancestors 'none'; base-uri 'none'; "
    "form-action 'self'\r\n"
    "X-Frame-Options: DENY\r\nX-Content-Type-Options: nosniff\r\n"
    "Referrer-Policy: no-referrer\r\n";

static void
creds_wipe(struct ctl_console *k)
{
    for (unsigned i = 0; i < k->ncreds; i++) {
        if (k->creds[i].secret) {
            explicit_bzero((char *)k->creds[i].secret, strlen(k->creds[i].secret));
            free((char *)k->creds[i].secret);
        }
        free((char *)k->creds[i].name);
    }
    free(k->creds);
}

/* Copies creds[0..n) into a new array (*out, *nout); -ENOMEM with nothing allocated. */
static int
creds_copy(const struct ctl_cred *creds, unsigned n, struct ctl_cred **out, unsigned *nout)
{
    struct ctl_cred *a = calloc(n + 1, sizeof(*a));

    if (!a)
        return -ENOMEM;
    for (unsigned i = 0; i < n; i++) {
        a[i].name = strdup(creds[i].name);
        a[i].secret = strdup(creds[i].secret);
        if (!a[i].name || !a[i].secret) {
            struct ctl_console tmp = { .creds = a, .ncreds = i + 1 };
            creds_wipe(&tmp);
            return -ENOMEM;
        }
    }
    *out = a;
    *nout = n;
    return 0;
}

struct ctl_console *
ctl_console_new(const struct ctl_cred *creds, unsigned n, uint64_t (*now_ms)(void))
{
    struct ctl_console *k = calloc(1, sizeof(*k));

    if (!k || creds_copy(creds, n, &k->creds, &k->ncreds) < 0) {
        free(k);
        return NULL;
    }
    k->now_ms = now_ms ? now_ms : clock_mono_ms;
    return k;
}

int
ctl_console_set_creds(struct ctl_console *k, const struct ctl_cred *creds, unsigned n,
                      unsigned *signed_out)
{
    struct ctl_console old = { .creds = k->creds, .ncreds = k->ncreds };
    unsigned gone = 0;

    if (creds_copy(creds, n, &k->creds, &k->ncreds) < 0) {
        k->creds = old.creds;
        k->ncreds = old.ncreds;
        return -ENOMEM;
    }
    for (unsigned j = 0; j < CTL_CONSOLE_SESSIONS_MAX; j++) {
        struct ctl_session *s = &k->s[j];
        const char *was = NULL, *now = NULL;
        if (!s->used)
            continue;
        for (unsigned i = 0; i < old.ncreds; i++)
            if (strcmp(old.creds[i].name, s->who) == 0)
                was = old.creds[i].secret;
        for (unsigned i = 0; i < k->ncreds; i++)
            if (strcmp(k->creds[i].name, s->who) == 0)
                now = k->creds[i].secret;
        if (!now || !was || strcmp(was, now) != 0) {
            ctl_console_sign_out(s);
            gone++;
        }
    }
    creds_wipe(&old);
    if (signed_out)
        *signed_out = gone;
    return 0;
}

void
ctl_console_free(struct ctl_console *k)
{
    if (!k)
        return;
    explicit_bzero(k->s, sizeof(k->s));
    creds_wipe(k);
    free(k);
}

static bool
expired(const struct ctl_console *k, const struct ctl_session *s, uint64_t now)
{
    return now - s->created_ms >= CTL_CONSOLE_SESSION_MS ||
           now - s->seen_ms >= CTL_CONSOLE_IDLE_MS;
}

static int
random_hex(char out[65])
{
    unsigned char r[32];
    static const char digits[] = "0123456789abcdef";

    if (getrandom(r, sizeof(r), 0) != (ssize_t)sizeof(r))
        return -EIO;
    for (size_t i = 0; i < sizeof(r); i++) {
        out[2 * i] = digits[r[i] >> 4];
        out[2 * i + 1] = digits[r[i] & 15];
    }
    out[64] = '\0';
    explicit_bzero(r, sizeof(r));
    return 0;
}

struct ctl_session *
ctl_console_session(struct ctl_console *k, const char *cookie, size_t len)
{
    static const char name[] = CTL_COOKIE "=";
    uint64_t now = k->now_ms();

    /* Cookie: a=1; tierd_session=<hex>; b=2 */
    for (size_t i = 0; i < len;) {
        while (i < len && (cookie[i] == ' ' || cookie[i] == ';'))
            i++;
        size_t start = i;
        while (i < len && cookie[i] != ';')
            i++;
        size_t n = i - start;
        if (n <= sizeof(name) - 1 || memcmp(cookie + start, name, sizeof(name) - 1) != 0)
            continue;
        const char *v = cookie + start + sizeof(name) - 1;
        size_t vlen = n - (sizeof(name) - 1);
        for (unsigned j = 0; j < CTL_CONSOLE_SESSIONS_MAX; j++) {
            struct ctl_session *s = &k->s[j];
            if (!s->used || !ctl_auth_equal(v, vlen, s->id))
                continue;
            if (expired(k, s, now)) {
                explicit_bzero(s, sizeof(*s));
                return NULL;
            }
            s->seen_ms = now;
            return s;
        }
    }
    return NULL;
}

bool
ctl_console_csrf_ok(const struct ctl_session *s, const char *v, size_t len)
{
    return ctl_auth_equal(v, len, s->csrf);
}

const char *
ctl_console_who(const struct ctl_session *s)
{
    return s->who;
}

const char *
ctl_console_session_id(const struct ctl_session *s)
{
    return s->id;
}

struct ctl_session *
ctl_console_sign_in(struct ctl_console *k, const char *who)
{
    uint64_t now = k->now_ms();
    struct ctl_session *slot = NULL;

    /* A free or expired slot, else the least recently seen session is signed out. */
    for (unsigned j = 0; j < CTL_CONSOLE_SESSIONS_MAX; j++) {
        struct ctl_session *s = &k->s[j];
        if (!s->used || expired(k, s, now)) {
            slot = s;
            break;
        }
        if (!slot || s->seen_ms < slot->seen_ms)
            slot = s;
    }
    explicit_bzero(slot, sizeof(*slot));
    if (random_hex(slot->id) < 0 || random_hex(slot->csrf) < 0) {
        explicit_bzero(slot, sizeof(*slot));
        return NULL;
    }
    snprintf(slot->who, sizeof(slot->who), "%s", who);
    slot->created_ms = slot->seen_ms = now;
    slot->used = true;
    return slot;
}

void
ctl_console_sign_out(struct ctl_session *s)
{
    explicit_bzero(s, sizeof(*s));
}

bool
ctl_console_session_alive(struct ctl_console *k, const char *id)
{
    uint64_t now = k->now_ms();

    for (unsigned j = 0; j < CTL_CONSOLE_SESSIONS_MAX; j++) {
        struct ctl_session *s = &k->s[j];
        if (s->used && ctl_auth_equal(id, strlen(id), s->id))
            return !expired(k, s, now);
    }
    return false;
}

void
ctl_console_stream_closed(struct ctl_console *k)
{
    if (k && k->streams > 0)
        k->streams--;
}

/* The paths a stream may carry: GET routes of /v1 with a plain query, at most 8. */
static bool
stream_paths_ok(const char *paths)
{
    unsigned n = 1;

    if (strncmp(paths, "/v1/", 4) != 0 || strstr(paths, "..") || strstr(paths, ",,"))
        return false;
    for (const char *p = paths; *p; p++) {
        if (*p == ',' && (++n > 8 || strncmp(p + 1, "/v1/", 4) != 0))
            return false;
        if (!strchr("abcdefghijklmnopqrstuvwxyzABCDEFGHIJKLMNOPQRSTUVWXYZ0123456789/_-.:?=&,",
                    *p))
            return false;
    }
    return true;
}

/* ------------------------------------------------------------------ routes */

static bool
refuse_unix(struct ctl_req *req)
{
    if (!ctl_req_peer(req)->is_unix)
        return false;
    ctl_req_error(req, 404, "not_found", NULL, "the console is served on the TCP listener only "
                  "(control.address with control.console: true)");
    return true;
}

static void
asset_get(struct ctl_req *req, void *ctx)
{
    const struct ctl_asset *a = ctx;

    if (refuse_unix(req))
        return;
    ctl_req_set_headers(req, console_headers);
    ctl_req_reply_text(req, 200, a->type, (const char *)a->data, a->len);
}

static void
root_get(struct ctl_req *req, void *ctx)
{
    (void)ctx;
    if (refuse_unix(req))
        return;
    ctl_req_set_headers(req, "Location: /console/index.html\r\n");
    ctl_req_reply_text(req, 303, "text/plain; charset=utf-8", "/console/index.html\n", 20);
}

/* The operator log's "action" line says who signed in or out. */
static void
console_who(struct ctl_req *req, const struct ctl_session *s)
{
    char who[CTL_WHO_MAX + 16];

    snprintf(who, sizeof(who), "console:%s", s->who);
    ctl_req_set_who(req, who);
}

static void
session_reply(struct ctl_req *req, int status, const struct ctl_session *s, bool set_cookie)
{
    char extra[sizeof(console_headers) + 256];

    snprintf(extra, sizeof(extra), "%s%s%s%s%s", console_headers,
             set_cookie ? "Set-Cookie: " CTL_COOKIE "=" : "", set_cookie ? s->id : "",
             set_cookie ? "; Path=/; Max-Age=" CTL_CONSOLE_COOKIE_MAX_AGE "; HttpOnly; "
                          "SameSite=Strict" : "", set_cookie ? "\r\n" : "");
    ctl_req_set_headers(req, extra);
    ctl_req_reply(req, status, json_pack("{s:s, s:s, s:I}", "who", s->who, "csrf", s->csrf,
                                         "idle_timeout", (json_int_t)(CTL_CONSOLE_IDLE_MS / 1000)));
}

static void
sign_in_post(struct ctl_req *req, void *ctx)
{
    struct ctl_console *k = ctx;
    json_t *body = ctl_req_body(req), *tok = body ? json_object_get(body, "token") : NULL;
    const char *t = json_string_value(tok);

    if (refuse_unix(req))
        return;
    ctl_req_set_headers(req, console_headers);
    if (!t) {
        ctl_req_error(req, 400, "invalid", "token", "token: missing; post {\"token\": \"...\"} "
                      "with the control API's bearer token");
        return;
    }
    const char *who = ctl_auth_cred_match(t, strlen(t), k->creds, k->ncreds);
    if (!who) {
        log_warn("ctl", "console sign-in refused peer=%s", ctl_req_peer(req)->addr);
        ctl_req_error(req, 401, "unauthorized", "token", "the token is not valid");
        return;
    }
    struct ctl_session *s = ctl_console_sign_in(k, who);
    if (!s) {
        ctl_req_error(req, 503, "unavailable", NULL, "no random bytes for a session; try again");
        return;
    }
    log_info("ctl", "console sign-in who=%s peer=%s", s->who, ctl_req_peer(req)->addr);
    console_who(req, s);
    session_reply(req, 200, s, true);
}

static struct ctl_session *
session_of(struct ctl_console *k, struct ctl_req *req)
{
    size_t len = 0;
    const char *c = ctl_req_header(req, "Cookie", &len);

    return c ? ctl_console_session(k, c, len) : NULL;
}

static void
session_get(struct ctl_req *req, void *ctx)
{
    struct ctl_session *s;

    if (refuse_unix(req))
        return;
    if (!(s = session_of(ctx, req))) {
        ctl_req_set_headers(req, console_headers);
        ctl_req_error(req, 401, "unauthorized", NULL, "not signed in, or the session expired");
        return;
    }
    session_reply(req, 200, s, false);
}

static void
sign_out_post(struct ctl_req *req, void *ctx)
{
    struct ctl_session *s;
    size_t len = 0;
    const char *csrf = ctl_req_header(req, "X-CSRF-Token", &len);

    if (refuse_unix(req))
        return;
    ctl_req_set_headers(req, console_headers);
    if (!(s = session_of(ctx, req)) || !csrf || !ctl_console_csrf_ok(s, csrf, len)) {
        ctl_req_error(req, 403, "csrf", NULL, "sign-out needs the session cookie and its "
                      "X-CSRF-Token");
        return;
    }
    log_info("ctl", "console sign-out who=%s peer=%s", s->who, ctl_req_peer(req)->addr);
    console_who(req, s);
    ctl_console_sign_out(s);
    ctl_req_set_headers(req, "Content-Security-Policy: default-src 'none'\r\n"
                             "Set-Cookie: " CTL_COOKIE "=; Path=/; Max-Age=0; HttpOnly; "
                             "SameSite=Strict\r\n");
    ctl_req_reply(req, 200, json_pack("{s:b}", "signed_out", 1));
}

/* GET /console/stream?csrf=..&paths=/v1/targets,/v1/bans: EventSource sends no custom
 * header, so the CSRF token comes in the query (no Referer leaves the console:
 * Referrer-Policy: no-referrer). */
static void
stream_get(struct ctl_req *req, void *ctx)
{
    struct ctl_console *k = ctx;
    struct ctl_session *s;
    const char *csrf = ctl_req_query(req, "csrf"), *paths = ctl_req_query(req, "paths");

    if (refuse_unix(req))
        return;
    ctl_req_set_headers(req, console_headers);
    if (!(s = session_of(k, req)) || !csrf || !ctl_console_csrf_ok(s, csrf, strlen(csrf))) {
        ctl_req_error(req, 403, "csrf", NULL, "an event stream needs the session cookie and "
                      "its CSRF token (?csrf=)");
        return;
    }
    if (!paths || !stream_paths_ok(paths)) {
        ctl_req_error(req, 400, "invalid", "paths", "paths: up to 8 GET routes of /v1, "
                      "comma-separated, e.g. ?paths=/v1/targets,/v1/bans");
        return;
    }
    if (k->streams >= CTL_STREAMS_MAX) {
        ctl_req_error(req, 503, "too_many_streams", NULL, "%u event streams are open (the "
                      "limit); close a console tab", k->streams);
        return;
    }
    if (ctl_req_stream(req, paths, s->id, console_headers) < 0) {
        ctl_req_error(req, 400, "invalid", NULL, "this connection cannot stream");
        return;
    }
    k->streams++;
}

int
ctl_console_routes(struct ctl_router *rt, struct ctl_console *k)
{
    char pattern[96];
    int rc = 0;

    rc |= ctl_router_add(rt, "GET", "/", root_get, k);
    rc |= ctl_router_add(rt, "GET", "/console", root_get, k);
    rc |= ctl_router_add(rt, "GET", "/console/session", session_get, k);
    rc |= ctl_router_add(rt, "POST", "/console/sign-in", sign_in_post, k);
    rc |= ctl_router_add(rt, "POST", "/console/sign-out", sign_out_post, k);
    rc |= ctl_router_add(rt, "GET", "/console/stream", stream_get, k);
    for (size_t i = 0; i < ctl_nassets; i++) {
        const struct ctl_asset *a = &ctl_assets[i];
        snprintf(pattern, sizeof(pattern), "/console/%s", a->name);
        rc |= ctl_router_add(rt, "GET", pattern, asset_get, (void *)a);
    }
    return rc < 0 ? -EINVAL : 0;
}

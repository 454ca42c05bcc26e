/*
 * ctl/internal.h: the parts of the control server that know no sockets, shared by
 * ctl.c, the unit tests and the fuzz target: the route table and the handling of one
 * request's bytes into one response's bytes.
 */
#ifndef CTL_INTERNAL_H
#define CTL_INTERNAL_H
#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>
#include <sys/types.h>

#include "core/buf.h"
#include "ctl/ctl.h"

#define CTL_ROUTES_MAX 96
#define CTL_WHO_MAX 48
#define CTL_SEGS_MAX 8
#define CTL_KV_MAX 8                /* path parameters or query pairs per request */
#define CTL_KV_VALUE_MAX 256        /* decoded value bytes, NUL included */

struct ctl_route_ent {
    char *method;
    char *pattern;
    char *segs[CTL_SEGS_MAX];       /* "{name}" segments are parameters */
    unsigned nsegs;
    ctl_handler_fn fn;
    void *ctx;
};

struct ctl_router {
    unsigned n;
    struct ctl_route_ent routes[CTL_ROUTES_MAX];
};

/* Decoded name=value pairs (path parameters or the query). */
struct ctl_kv {
    unsigned n;
    char name[CTL_KV_MAX][32];
    char value[CTL_KV_MAX][CTL_KV_VALUE_MAX];
};

enum ctl_match {
    CTL_MATCH_OK = 0,
    CTL_MATCH_NO_PATH,              /* 404 */
    CTL_MATCH_NO_METHOD,            /* 405; allow lists the methods of the path */
    CTL_MATCH_BAD_PARAM,            /* 400: a parameter is not valid percent-encoding */
};

void ctl_router_init(struct ctl_router *rt);
void ctl_router_fini(struct ctl_router *rt);
/* See ctl_route(). */
int ctl_router_add(struct ctl_router *rt, const char *method, const char *pattern,
                   ctl_handler_fn fn, void *ctx);
/* Finds the route for method and path (raw, not decoded). On CTL_MATCH_OK sets *out and
 * the decoded parameters; on CTL_MATCH_NO_METHOD writes "GET, POST" into allow. */
enum ctl_match ctl_router_match(const struct ctl_router *rt, const char *method,
                                const char *path, size_t path_len, struct ctl_kv *params,
                                const struct ctl_route_ent **out, char *allow, size_t allow_len);

/* Percent-decodes s[0..len) into out (n bytes, NUL-terminated); '+' is a space when
 * plus_is_space. Returns the decoded length, or -EINVAL for a bad escape, an encoded NUL
 * or a result that does not fit. */
ssize_t ctl_router_decode(const char *s, size_t len, bool plus_is_space, char *out, size_t n);

/* One accepted bearer token and the operator it names (for the operator log). */
struct ctl_cred {
    const char *name;
    const char *secret;
};

/* What a listener demands of a request before it is routed. The unix socket sets none of
 * it (file permissions guard it, and no browser can reach it); every TCP listener sets all
 * of it, so that a web page on the same machine cannot drive the API (issue: DNS
 * rebinding, no-cors fetch, form posts). */
struct ctl_guard {
    const char *token;              /* non-NULL: "Authorization: Bearer <token>", acting as
                                     * CTL_CONF_DEFAULT_WHO */
    const char *host;               /* non-NULL: Host must be this "ip:port" (the address
                                     * the connection arrived on) */
    bool check_origin;              /* an Origin must be one of origins[] */
    const char *const *origins;
    unsigned norigins;
    /* non-NULL: the console is on (control.console); its routes need no token, /v1 also
     * takes its session cookie with X-CSRF-Token, and http://<host> counts as an allowed
     * Origin. */
    struct ctl_console *console;
    /* More tokens, one per operator (control.tokens); any of them, or `token`, is let in. */
    const struct ctl_cred *creds;
    unsigned ncreds;
};

/* Handles one request in in[0..len). Returns -EAGAIN when more bytes are needed (nothing
 * appended); otherwise appends one complete response to out and returns the bytes used
 * (at most len; a refused request may leave its body unread). `g` (NULL: nothing) says
 * what the listener demands. On every transport, POST, PUT, PATCH and DELETE need
 * "Content-Type: application/json", body or not: a browser cannot send that cross-origin
 * without a CORS preflight, which this API never grants. *status (may be NULL) gets the
 * response's status. Never fails on any input. */
ssize_t ctl_req_handle(const struct ctl_router *rt, const char *in, size_t len,
                       const struct ctl_peer *peer, const struct ctl_guard *g, struct buf *out,
                       int *status);

/* What a request turned its connection into, besides one response. */
#define CTL_STREAM_PATHS_MAX 512
struct ctl_result {
    int status;
    /* Non-empty: the response is the head of an event stream (text/event-stream); the
     * connection stays open and every CTL_STREAM_TICK_MS gets one event per GET path of
     * this comma-separated list, the path's JSON as the event's data. */
    char stream_paths[CTL_STREAM_PATHS_MAX];
    char stream_session[65];        /* the session it belongs to: it ends with it */
    char who[CTL_WHO_MAX + 16];     /* who sent it ("alice", "console:alice"); "" unknown */
};

/* ctl_req_handle() with the whole result (res may be NULL). */
ssize_t ctl_req_handle_full(const struct ctl_router *rt, const char *in, size_t len,
                            const struct ctl_peer *peer, const struct ctl_guard *g,
                            struct buf *out, struct ctl_result *res);

/* True when a Host field value names the listener's own address `own` ("127.0.0.1:7070",
 * "[::1]:7070"): the same text, case-insensitive, or without ":80" for port 80. */
bool ctl_auth_host_ok(const char *value, size_t len, const char *own);

/* True when an Origin field value is one of origins[] (case-insensitive, exact). */
bool ctl_auth_origin_ok(const char *value, size_t len, const char *const *origins,
                        unsigned n);

/* Constant-time comparison of a presented Authorization value with "Bearer <token>". */
bool ctl_auth_bearer_ok(const char *value, size_t len, const char *token);
/* True when presented[0..len) is `secret` (never when secret is empty), in a time that
 * depends on the secret's length only. */
bool ctl_auth_equal(const char *presented, size_t len, const char *secret);
/* The name of the credential in creds[0..n) whose token `secret` equals presented[0..len),
 * or NULL. Every credential is compared, in constant time each, whether one matched or
 * not, so neither the token nor which operator holds it shows in the time taken. */
const char *ctl_auth_cred_match(const char *presented, size_t len, const struct ctl_cred *creds,
                                unsigned n);
/* ctl_auth_cred_match() of an Authorization value "Bearer <token>" (the scheme in any
 * case); NULL for another scheme. */
const char *ctl_auth_bearer_who(const char *value, size_t len, const struct ctl_cred *creds,
                                unsigned n);

/* Sets who is acting ("console:alice") for a request the guard let in without a token:
 * the console's sign-in and sign-out, which learn it themselves. */
void ctl_req_set_who(struct ctl_req *req, const char *who);

/* ------------------------------------------------------------------ console */

#define CTL_CONSOLE_SESSIONS_MAX 32
#define CTL_CONSOLE_SESSION_MS (12ull * 3600 * 1000)    /* signed in at most this long */
#define CTL_CONSOLE_IDLE_MS (3600ull * 1000)            /* ... or this long without a request */

struct ctl_console;
struct ctl_session;

/* A session store checking sign-ins against creds[0..n) (copied; a session acts as the
 * name of the token it signed in with). now_ms (NULL: the monotonic clock) is injectable
 * for the tests of expiry. */
struct ctl_console *ctl_console_new(const struct ctl_cred *creds, unsigned n,
                                    uint64_t (*now_ms)(void));
void ctl_console_free(struct ctl_console *k);
/* Replaces the tokens sign-ins are checked against with creds[0..n) (copied), and signs
 * out every session of an operator not among them or whose token changed; *signed_out
 * (may be NULL) gets how many. Returns 0, or -ENOMEM with nothing changed. */
int ctl_console_set_creds(struct ctl_console *k, const struct ctl_cred *creds, unsigned n,
                          unsigned *signed_out);
/* Registers the console's routes (/, /console/..., sign-in, sign-out, the assets). */
int ctl_console_routes(struct ctl_router *rt, struct ctl_console *k);
/* The live session named by a Cookie field value, or NULL (none, unknown, expired). A hit
 * counts as activity for the idle timeout. */
struct ctl_session *ctl_console_session(struct ctl_console *k, const char *cookie, size_t len);
/* Opens a session for `who`; NULL when no random bytes could be had. When all slots are
 * taken the least recently used session is signed out. */
struct ctl_session *ctl_console_sign_in(struct ctl_console *k, const char *who);
void ctl_console_sign_out(struct ctl_session *s);
/* Constant-time check of an X-CSRF-Token value against the session's. */
bool ctl_console_csrf_ok(const struct ctl_session *s, const char *v, size_t len);
const char *ctl_console_who(const struct ctl_session *s);
/* The session's id: the cookie's value (64 hex digits). */
const char *ctl_console_session_id(const struct ctl_session *s);

/* Event streams (docs/console.md, "Live updates"): the one exception to one request per
 * connection and the 10 s deadline, capped in number and lifetime. */
#define CTL_STREAMS_MAX 16     /* a tab holds one: ten operators with a tab open, and more */
#define CTL_STREAM_LIFETIME_MS (10u * 60 * 1000)   /* then closed; EventSource reconnects */
#define CTL_STREAM_TICK_MS 1000
#define CTL_STREAM_BACKLOG_MAX (1u << 20)           /* unsent bytes: a stalled reader, closed */
/* True while the session whose id is `id` is signed in (and not expired). */
bool ctl_console_session_alive(struct ctl_console *k, const char *id);
/* The stream count, kept by ctl.c as streams open and close. */
void ctl_console_stream_closed(struct ctl_console *k);

#endif

/*
 * ctl/ctl_req.c: one control-API request, from bytes to a response: parses the head
 * (http/h1), checks the bearer token, routes, enforces the body rules (Content-Length
 * only, at most CTL_BODY_MAX_BYTES, JSON), decodes the JSON and calls the handler. Every
 * refusal is a JSON error naming the problem. No sockets here (ctl.c owns them), so the
 * unit tests and the fuzz target drive it with plain bytes.
 */
#include "ctl/internal.h"

#include <errno.h>
#include <stdarg.h>
#include <stdio.h>
#include <string.h>

#include "core/err.h"
#include "core/log.h"
#include "http/h1.h"

struct ctl_req {
    const struct ctl_peer *peer;
    char method[16];
    char path[CTL_KV_VALUE_MAX];    /* raw (not decoded), truncated for messages */
    struct ctl_kv params;
    struct ctl_kv query;
    json_t *body;
    struct buf *out;
    const char *extra_headers;      /* "Allow: ...\r\n" and the like, or "" */
    const struct h1_request *head;
    struct ctl_result *res;         /* NULL: the caller cannot stream */
    char who[CTL_WHO_MAX + 16];
    bool replied;
    int status;
};

const char *
ctl_req_method(const struct ctl_req *req)
{
    return req->method;
}

const char *
ctl_req_path(const struct ctl_req *req)
{
    return req->path;
}

static const char *
kv_get(const struct ctl_kv *kv, const char *name)
{
    for (unsigned i = 0; i < kv->n; i++)
        if (strcmp(kv->name[i], name) == 0)
            return kv->value[i];
    return NULL;
}

const char *
ctl_req_param(const struct ctl_req *req, const char *name)
{
    return kv_get(&req->params, name);
}

const char *
ctl_req_query(const struct ctl_req *req, const char *name)
{
    return kv_get(&req->query, name);
}

json_t *
ctl_req_body(const struct ctl_req *req)
{
    return req->body;
}

const struct ctl_peer *
ctl_req_peer(const struct ctl_req *req)
{
    return req->peer;
}

static const struct h1_header *find_header(const struct h1_request *r, const char *name);

const char *
ctl_req_header(const struct ctl_req *req, const char *name, size_t *len)
{
    const struct h1_header *h = req->head ? find_header(req->head, name) : NULL;

    if (!h)
        return NULL;
    *len = h->value.len;
    return h->value.p;
}

const char *
ctl_req_who(const struct ctl_req *req)
{
    return req->who[0] ? req->who : NULL;
}

void
ctl_req_set_who(struct ctl_req *req, const char *who)
{
    snprintf(req->who, sizeof(req->who), "%s", who);
}

void
ctl_req_actor(const struct ctl_req *req, char *out, size_t n)
{
    const struct ctl_peer *p = req->peer;

    if (p->is_unix)
        snprintf(out, n, "uid=%ld pid=%ld", p->uid, p->pid);
    else
        snprintf(out, n, "who=%s peer=%s", req->who[0] ? req->who : "-", p->addr);
}

int
ctl_req_stream(struct ctl_req *req, const char *paths, const char *session_id,
               const char *extra_headers)
{
    BUG_ON(req->replied);
    if (!req->res || strlen(paths) >= sizeof(req->res->stream_paths))
        return -ENOTSUP;
    req->replied = true;
    req->status = 200;
    snprintf(req->res->stream_paths, sizeof(req->res->stream_paths), "%s", paths);
    snprintf(req->res->stream_session, sizeof(req->res->stream_session), "%s", session_id);
    /* No Content-Length: the body ends when the connection does. retry: how long
     * EventSource waits before it reconnects after a close. */
    buf_printf(req->out, "HTTP/1.1 200 OK\r\nContent-Type: text/event-stream\r\n"
                         "Cache-Control: no-store\r\nConnection: close\r\n%s\r\n"
                         "retry: 2000\n\n", extra_headers);
    return 0;
}

void
ctl_req_set_headers(struct ctl_req *req, const char *lines)
{
    req->extra_headers = lines;
}

/* Appends the whole response; on allocation failure the buffer gets a bodiless 503 if
 * even that fits, else stays as it was (the connection is then closed without one). */
static void
write_typed(struct buf *out, int status, const char *type, const char *extra, const char *body,
            size_t len, bool newline)
{
    uint32_t mark = out->wpos;

    if (buf_printf(out,
                   "HTTP/1.1 %d %s\r\nContent-Type: %s\r\n"
                   "Content-Length: %zu\r\nCache-Control: no-store\r\nConnection: close\r\n"
                   "%s\r\n",
                   status, h1_reason(status), type, len + (newline ? 1 : 0), extra) < 0 ||
        buf_append(out, body, len) < 0 || (newline && buf_append(out, "\n", 1) < 0)) {
        out->wpos = mark;
        buf_append_str(out, "HTTP/1.1 503 Service Unavailable\r\nContent-Length: 0\r\n"
                            "Connection: close\r\n\r\n");
    }
}

static void
write_response(struct buf *out, int status, const char *extra, const char *body, size_t len)
{
    write_typed(out, status, "application/json", extra, body, len, true);
}

void
ctl_req_reply_text(struct ctl_req *req, int status, const char *content_type, const char *body,
                   size_t len)
{
    BUG_ON(req->replied);
    req->replied = true;
    req->status = status;
    write_typed(req->out, status, content_type, req->extra_headers, body, len, false);
}

void
ctl_req_reply(struct ctl_req *req, int status, json_t *body)
{
    char *text;

    BUG_ON(req->replied);
    req->replied = true;
    req->status = status;
    if (!body)
        body = json_object();
    text = body ? json_dumps(body, JSON_INDENT(2)) : NULL;
    json_decref(body);
    if (!text) {
        static const char oom[] = "{\"error\": {\"code\": \"internal\", \"message\": "
                                  "\"out of memory\"}}";
        req->status = 500;
        write_response(req->out, 500, "", oom, sizeof(oom) - 1);
        return;
    }
    write_response(req->out, status, req->extra_headers, text, strlen(text));
    free(text);
}

static void reply_error_v(struct ctl_req *req, int status, const char *code, const char *field,
                          const char *fmt, va_list ap) __attribute__((format(printf, 5, 0)));

static void
reply_error_v(struct ctl_req *req, int status, const char *code, const char *field,
              const char *fmt, va_list ap)
{
    char msg[512];
    json_t *err;

    vsnprintf(msg, sizeof(msg), fmt, ap);
    /* Messages quote client bytes; JSON strings must be UTF-8, so keep printable ASCII. */
    for (char *p = msg; *p; p++)
        if ((unsigned char)*p < 0x20 || (unsigned char)*p > 0x7e)
            *p = '?';
    err = json_pack("{s:s, s:s}", "code", code, "message", msg);
    if (err && field)
        json_object_set_new(err, "field", json_string(field));
    ctl_req_reply(req, status, err ? json_pack("{s:o}", "error", err) : NULL);
}

void
ctl_req_error(struct ctl_req *req, int status, const char *code, const char *field,
              const char *fmt, ...)
{
    va_list ap;

    va_start(ap, fmt);
    reply_error_v(req, status, code, field, fmt, ap);
    va_end(ap);
}

/* Splits "a=1&b=x%20y" into decoded pairs; -EINVAL for bad escapes or too many pairs. */
static int
parse_query(struct slice q, struct ctl_kv *kv)
{
    size_t i = 0;

    kv->n = 0;
    while (i < q.len) {
        size_t start = i, eq = (size_t)-1;
        while (i < q.len && q.p[i] != '&') {
            if (q.p[i] == '=' && eq == (size_t)-1)
                eq = i;
            i++;
        }
        size_t end = i++;
        if (end == start)
            continue;
        if (kv->n == CTL_KV_MAX)
            return -EINVAL;
        size_t name_end = eq == (size_t)-1 ? end : eq;
        if (ctl_router_decode(q.p + start, name_end - start, true, kv->name[kv->n],
                              sizeof(kv->name[0])) < 0)
            return -EINVAL;
        kv->value[kv->n][0] = '\0';
        if (eq != (size_t)-1 &&
            ctl_router_decode(q.p + eq + 1, end - eq - 1, true, kv->value[kv->n],
                              sizeof(kv->value[0])) < 0)
            return -EINVAL;
        kv->n++;
    }
    return 0;
}

static const struct h1_header *
find_header(const struct h1_request *r, const char *name)
{
    for (unsigned i = 0; i < r->nheaders; i++)
        if (slice_eq_lit_nocase(r->headers[i].name, name))
            return &r->headers[i];
    return NULL;
}

static bool
method_wants_body(const char *m)
{
    return strcmp(m, "POST") == 0 || strcmp(m, "PUT") == 0 || strcmp(m, "PATCH") == 0;
}

/* True for application/json, with or without parameters (charset=utf-8). */
static bool
is_json_type(struct slice v)
{
    static const char want[] = "application/json";
    size_t n = sizeof(want) - 1;

    if (v.len < n || !slice_eq_lit_nocase(slice_make(v.p, n), want))
        return false;
    return v.len == n || v.p[n] == ';' || v.p[n] == ' ' || v.p[n] == '\t';
}

/* The methods that change state. GET and HEAD never do here; a body on them is refused
 * below as on any method that does not take one. */
static bool
method_changes_state(const char *m)
{
    return method_wants_body(m) || strcmp(m, "DELETE") == 0;
}

/* True when an Origin is the listener's own "http://<host>": the console's pages. */
static bool
own_origin(const struct ctl_guard *g, const struct h1_header *origin)
{
    char own[96];

    snprintf(own, sizeof(own), "http://%s", g->host ? g->host : "?");
    const char *const list[] = { own };
    return ctl_auth_origin_ok(origin->value.p, origin->value.len, list, 1);
}

/* The console's own paths ("/", "/console", "/console/..."): served without a token. */
static bool
is_console_path(struct slice p)
{
    return (p.len == 1 && p.p[0] == '/') || slice_eq_lit_nocase(p, "/console") ||
           (p.len > 9 && memcmp(p.p, "/console/", 9) == 0);
}

/* A request without a bearer token: a console session cookie, with its CSRF token and
 * the console's own origin. Replies and returns true when refused. */
static bool
refuse_session(struct ctl_req *req, const struct h1_request *r, const struct ctl_guard *g)
{
    const struct h1_header *c = find_header(r, "Cookie");
    const struct h1_header *x = find_header(r, "X-CSRF-Token");
    const struct h1_header *o = find_header(r, "Origin");
    const struct h1_header *sf = find_header(r, "Sec-Fetch-Site");
    struct ctl_session *s = c ? ctl_console_session(g->console, c->value.p, c->value.len) : NULL;

    if (!s) {
        req->extra_headers = "WWW-Authenticate: Bearer realm=\"tierd\"\r\n";
        ctl_req_error(req, 401, "unauthorized", NULL,
                      c ? "the console session is unknown or expired; sign in again"
                        : "this listener needs \"Authorization: Bearer <token>\"");
        return true;
    }
    /* The cookie alone never suffices: a page of another site cannot read the CSRF token
     * nor send the header without a CORS preflight, and the Origin (or, on a same-origin
     * GET where browsers send none, Sec-Fetch-Site) must be the console's own. */
    if (!x || !ctl_console_csrf_ok(s, x->value.p, x->value.len) ||
        (o ? !own_origin(g, o) : !(sf && slice_eq_lit_nocase(sf->value, "same-origin")))) {
        ctl_req_error(req, 403, "csrf", NULL, "a console session needs its X-CSRF-Token header "
                      "and the console's own Origin");
        return true;
    }
    snprintf(req->who, sizeof(req->who), "console:%s", ctl_console_who(s));
    return false;
}

/* The operator whose token an Authorization value carries, or NULL: control.token's
 * ("operator") and every one of control.tokens are compared, in constant time each. */
static const char *
bearer_who(const struct ctl_guard *g, const struct h1_header *h)
{
    const struct ctl_cred def = { CTL_CONF_DEFAULT_WHO, g->token ? g->token : "" };
    const char *a = ctl_auth_bearer_who(h->value.p, h->value.len, &def, 1);
    const char *b = ctl_auth_bearer_who(h->value.p, h->value.len, g->creds, g->ncreds);

    return a ? a : b;
}

/* The Host, Origin and Sec-Fetch-Site checks of a TCP listener (see struct ctl_guard).
 * Replies and returns true when the request is refused. */
static bool
refuse_by_guard(struct ctl_req *req, const struct h1_request *r, const struct ctl_guard *g)
{
    const struct h1_header *h;

    if (g->host) {
        h = find_header(r, "Host");
        if (!h || !ctl_auth_host_ok(h->value.p, h->value.len, g->host)) {
            /* A foreign name resolving here is DNS rebinding: a page of that name would
             * otherwise count as same-origin with this listener. */
            ctl_req_error(req, 421, "misdirected_request", NULL,
                          "this listener answers to Host: %s only%s%.*s", g->host,
                          h ? ", not " : " (the request has no Host)",
                          h ? (int)(h->value.len > 100 ? 100 : h->value.len) : 0,
                          h ? h->value.p : "");
            return true;
        }
    }
    if (!g->check_origin)
        return false;
    h = find_header(r, "Origin");
    if (h && !ctl_auth_origin_ok(h->value.p, h->value.len, g->origins, g->norigins) &&
        !(g->console && own_origin(g, h))) {
        ctl_req_error(req, 403, "origin_not_allowed", NULL,
                      "requests from web pages are refused: Origin %.*s is not in "
                      "control.allowed_origins",
                      (int)(h->value.len > 100 ? 100 : h->value.len), h->value.p);
        return true;
    }
    if (!h) {
        /* Browsers send Sec-Fetch-Site on every request, Origin not on no-cors GETs. */
        const struct h1_header *sf = find_header(r, "Sec-Fetch-Site");
        if (sf && (slice_eq_lit_nocase(sf->value, "cross-site") ||
                   slice_eq_lit_nocase(sf->value, "same-site"))) {
            ctl_req_error(req, 403, "origin_not_allowed", NULL,
                          "requests from web pages are refused (Sec-Fetch-Site: %.*s)",
                          (int)(sf->value.len > 20 ? 20 : sf->value.len), sf->value.p);
            return true;
        }
    }
    return false;
}

static const char *
error_code_for(int status)
{
    switch (status) {
    case 405: return "method_not_allowed";
    case 414: return "uri_too_long";
    case 417: return "expectation_failed";
    case 431: return "headers_too_large";
    case 501: return "not_implemented";
    case 505: return "http_version_not_supported";
    default: return "bad_request";
    }
}

static ssize_t
handle(const struct ctl_router *rt, const char *in, size_t len, const struct ctl_guard *g,
       struct ctl_req *req)
{
    static __thread struct h1_request r;    /* 6 KiB of headers: not on the stack */
    struct h1_limits lim;
    const struct ctl_route_ent *route = NULL;
    char allow[128], extra[160];
    const char *why = "";
    ssize_t head;

    h1_limits_default(&lim);
    head = h1_parse_request(in, len, &lim, &r, &why);
    if (head == -EAGAIN)
        return -EAGAIN;
    if (head < 0) {
        int st = r.error_status >= 400 ? r.error_status : 400;
        ctl_req_error(req, st, error_code_for(st), NULL, "malformed request: %s", why);
        return (ssize_t)len;
    }
    snprintf(req->method, sizeof(req->method), "%.*s", (int)r.method.len, r.method.p);
    snprintf(req->path, sizeof(req->path), "%.*s", (int)r.path.len, r.path.p);

    req->head = &r;
    bool console_path = is_console_path(r.path);
    if (console_path && !(g && g->console)) {
        ctl_req_error(req, 404, "not_found", NULL, "no route for %s %s (the console is off: "
                      "set control.console: true)", req->method, req->path);
        return head;
    }
    if (g && refuse_by_guard(req, &r, g))
        return head;
    const struct h1_header *authz = find_header(&r, "Authorization");
    bool needs_auth = g && (g->token || g->ncreds) && !console_path;
    if (needs_auth && !authz && g->console) {
        if (refuse_session(req, &r, g))
            return head;
    } else if (needs_auth) {
        const struct h1_header *h = authz;
        const char *who = h ? bearer_who(g, h) : NULL;
        if (who)
            snprintf(req->who, sizeof(req->who), "%s", who);
        if (!who) {
            req->extra_headers = "WWW-Authenticate: Bearer realm=\"tierd\"\r\n";
            ctl_req_error(req, 401, "unauthorized", NULL, "%s",
                          h ? "the bearer token is not valid"
                            : "this listener needs \"Authorization: Bearer <token>\"");
            return head;
        }
    }

    switch (ctl_router_match(rt, req->method, r.path.p, r.path.len, &req->params, &route, allow,
                             sizeof(allow))) {
    case CTL_MATCH_OK:
        break;
    case CTL_MATCH_NO_PATH:
        ctl_req_error(req, 404, "not_found", NULL, "no route for %s %s (routes start with /v1/)",
                      req->method, req->path);
        return head;
    case CTL_MATCH_NO_METHOD:
        snprintf(extra, sizeof(extra), "Allow: %s\r\n", allow);
        req->extra_headers = extra;
        ctl_req_error(req, 405, "method_not_allowed", NULL, "%s is not allowed on %s; use %s",
                      req->method, req->path, allow);
        return head;
    case CTL_MATCH_BAD_PARAM:
        ctl_req_error(req, 400, "bad_request", NULL,
                      "a path segment of %s is not valid percent-encoding", req->path);
        return head;
    }
    if (parse_query(r.query, &req->query) < 0) {
        ctl_req_error(req, 400, "bad_request", NULL,
                      "the query string is malformed (bad %%-escape or more than %d parameters)",
                      CTL_KV_MAX);
        return head;
    }

    if (method_changes_state(req->method)) {
        const struct h1_header *ct = find_header(&r, "Content-Type");
        if (!ct || !is_json_type(ct->value)) {
            ctl_req_error(req, 415, "unsupported_media_type", NULL,
                          "%s needs \"Content-Type: application/json\", with a body or "
                          "without one%s%.*s", req->method, ct ? "; this request has " : "",
                          ct ? (int)(ct->value.len > 100 ? 100 : ct->value.len) : 0,
                          ct ? ct->value.p : "");
            return head;
        }
    }
    if (r.framing == H1_FRAMING_CHUNKED ||
        (r.framing == H1_FRAMING_NONE && method_wants_body(req->method))) {
        ctl_req_error(req, 411, "length_required", NULL,
                      "%s needs a Content-Length (chunked bodies are not accepted)", req->method);
        return head;
    }
    uint64_t body_len = r.framing == H1_FRAMING_LENGTH ? r.content_length : 0;
    if (body_len > CTL_BODY_MAX_BYTES) {
        ctl_req_error(req, 413, "payload_too_large", NULL,
                      "the body is %llu bytes; the limit is %u bytes",
                      (unsigned long long)body_len, CTL_BODY_MAX_BYTES);
        return head;
    }
    if (len - (size_t)head < body_len)
        return -EAGAIN;

    if (body_len > 0) {
        const struct h1_header *ct = find_header(&r, "Content-Type");
        json_error_t jerr;
        if (!ct || !is_json_type(ct->value)) {
            ctl_req_error(req, 415, "unsupported_media_type", NULL,
                          "the body must be application/json%s%.*s", ct ? ", not " : "",
                          ct ? (int)(ct->value.len > 100 ? 100 : ct->value.len) : 0,
                          ct ? ct->value.p : "");
            return head + (ssize_t)body_len;
        }
        req->body = json_loadb(in + head, (size_t)body_len, JSON_REJECT_DUPLICATES, &jerr);
        if (!req->body) {
            ctl_req_error(req, 400, "malformed_json", NULL,
                          "the body is not valid JSON: line %d, column %d: %s", jerr.line,
                          jerr.column, jerr.text);
            return head + (ssize_t)body_len;
        }
    }
    route->fn(req, route->ctx);
    if (!req->replied)
        ctl_req_error(req, 500, "internal", NULL, "the handler for %s %s did not answer",
                      req->method, req->path);
    if (method_changes_state(req->method) && req->peer) {
        /* The operator log's record of every change asked for, with who asked. The path
         * names the resource; bodies (which may hold secrets) are never logged. */
        char actor[CTL_WHO_MAX + 96];
        ctl_req_actor(req, actor, sizeof(actor));
        log_info("ctl", "action %s %s status=%d %s", req->method, req->path, req->status,
                 actor);
    }
    json_decref(req->body);
    return head + (ssize_t)body_len;
}

ssize_t
ctl_req_handle_full(const struct ctl_router *rt, const char *in, size_t len,
                    const struct ctl_peer *peer, const struct ctl_guard *g, struct buf *out,
                    struct ctl_result *res)
{
    struct ctl_req req = { .peer = peer, .out = out, .extra_headers = "", .res = res };

    if (res) {
        res->stream_paths[0] = '\0';
        res->stream_session[0] = '\0';
    }
    ssize_t n = handle(rt, in, len, g, &req);
    if (res) {
        res->status = req.status;
        snprintf(res->who, sizeof(res->who), "%s", req.who);
    }
    return n;
}

ssize_t
ctl_req_handle(const struct ctl_router *rt, const char *in, size_t len,
               const struct ctl_peer *peer, const struct ctl_guard *g, struct buf *out,
               int *status)
{
    struct ctl_result res;
    ssize_t n = ctl_req_handle_full(rt, in, len, peer, g, out, &res);

    if (status)
        *status = res.status;
    return n;
}

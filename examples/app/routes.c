/*
 * examples/app/routes.c: what the sample app answers, by path. Small answers are built here
 * in one go; /bytes and /echo live in stream.c, /ws in ws.c. Every route that reads a query
 * number answers 400 when it is not a decimal number.
 *
 *   GET  /                  "hello from NAME (port P, pid N)"
 *   GET  /health            200 "ok", or 500 after POST /health/fail (until POST /health/ok)
 *   GET  /work?ms=N         burns N ms of this thread's CPU (max 10000)
 *   GET  /sleep?ms=N        answers after N ms, without blocking the loop (max 600000)
 *   GET  /headers           the request line and headers as received
 *   ANY  /status?code=N     status N (200..599)
 *   ANY  /drop, /reset      close without answering; /reset sends a RST
 */
#include "routes.h"
#include "conn.h"
#include "http.h"
#include "reply.h"
#include "stream.h"
#include "ws.h"

#include <stdio.h>
#include <string.h>
#include <time.h>

#define ROUTES_WORK_MAX_MS  10000
#define ROUTES_SLEEP_MAX_MS 600000

static void
routes_method_not_allowed(struct conn *c, const char *allow)
{
    char extra[64];
    static const char body[] = "405 Method Not Allowed\n";

    snprintf(extra, sizeof(extra), "Allow: %s\r\n", allow);
    reply_head(c, 405, "text/plain", REPLY_LENGTH, sizeof(body) - 1, extra);
    if (!c->is_head)
        conn_out(c, body, sizeof(body) - 1);
}

/* Reads ?key=N capped at max; false (after answering 400) when it is not a number. */
static bool
routes_query_ms(struct conn *c, const struct http_req *req, uint64_t max, uint64_t *ms)
{
    *ms = 0;
    if (http_query_u64(req->query, "ms", ms) < 0) {
        reply_error(c, 400, "ms must be a decimal number");
        return false;
    }
    if (*ms > max)
        *ms = max;
    return true;
}

static uint64_t
routes_thread_cpu_ns(void)
{
    struct timespec ts;

    clock_gettime(CLOCK_THREAD_CPUTIME_ID, &ts);
    return (uint64_t)ts.tv_sec * 1000000000u + (uint64_t)ts.tv_nsec;
}

/* Spins until this thread has used ms of CPU time: blocks the loop on purpose. */
static void
routes_burn_cpu(uint64_t ms)
{
    uint64_t until = routes_thread_cpu_ns() + ms * 1000000u;

    while (routes_thread_cpu_ns() < until) {
        /* An empty asm the compiler must keep: the loop is not optimized away. */
        for (unsigned i = 0; i < 1000; i++)
            __asm__ volatile("" ::: "memory");
    }
}

static void
routes_work(struct conn *c, const struct http_req *req)
{
    uint64_t ms;
    char body[64];

    if (!routes_query_ms(c, req, ROUTES_WORK_MAX_MS, &ms))
        return;
    routes_burn_cpu(ms);
    int n = snprintf(body, sizeof(body), "worked %llu ms\n", (unsigned long long)ms);
    reply_text(c, 200, body, (size_t)n);
}

static void
routes_sleep(struct conn *c, const struct http_req *req)
{
    if (!routes_query_ms(c, req, ROUTES_SLEEP_MAX_MS, &c->sleep_ms))
        return;
    conn_timer_start(c, c->sleep_ms);
    c->after_body = CONN_SLEEP;
}

void
routes_on_sleep(struct conn *c)
{
    char body[64];

    /* Only a pending /sleep arms this timer, but a failed request may have left it. */
    if (c->state != CONN_SLEEP && !(c->state == CONN_BODY && c->after_body == CONN_SLEEP))
        return;
    int n = snprintf(body, sizeof(body), "slept %llu ms\n", (unsigned long long)c->sleep_ms);
    reply_text(c, 200, body, (size_t)n);
    conn_response_done(c);
}

/* Lists the request line and each header as "Name: value", one per line. */
static void
routes_headers(struct conn *c, const struct http_req *req)
{
    struct http_slice name, value;
    size_t total = req->line.n + 1, pos = req->headers_at;

    while (http_header_next(req->head.p, req->head.n, &pos, &name, &value) == 1)
        total += name.n + 2 + value.n + 1;
    reply_head(c, 200, "text/plain", REPLY_LENGTH, total, NULL);
    if (c->is_head)
        return;
    char *w0 = conn_out_reserve(c, total);
    if (!w0)
        return;
    char *w = w0;
    memcpy(w, req->line.p, req->line.n);
    w += req->line.n;
    *w++ = '\n';
    pos = req->headers_at;
    while (http_header_next(req->head.p, req->head.n, &pos, &name, &value) == 1) {
        memcpy(w, name.p, name.n);
        w += name.n;
        *w++ = ':';
        *w++ = ' ';
        memcpy(w, value.p, value.n);
        w += value.n;
        *w++ = '\n';
    }
    conn_out_commit(c, (size_t)(w - w0));
}

static void
routes_status(struct conn *c, const struct http_req *req)
{
    uint64_t code = 0;
    char body[80];

    if (http_query_u64(req->query, "code", &code) != 1 || code < 200 || code > 599) {
        reply_error(c, 400, "code must be a number from 200 to 599");
        return;
    }
    if (code == 204 || code == 304) {
        reply_head(c, (int)code, NULL, REPLY_NONE, 0, NULL);
        return;
    }
    int n = snprintf(body, sizeof(body), "%d %s\n", (int)code, reply_reason((int)code));
    reply_text(c, (int)code, body, (size_t)n);
}

static void
routes_hello(struct conn *c, const struct http_req *req)
{
    (void)req;
    reply_text(c, 200, app.hello, app.hello_len);
}

static void
routes_health(struct conn *c, const struct http_req *req)
{
    (void)req;
    if (atomic_load_explicit(&app.healthy, memory_order_relaxed))
        reply_text(c, 200, "ok\n", 3);
    else
        reply_text(c, 500, "failing\n", 8);
}

static void
routes_health_set(struct conn *c, const struct http_req *req)
{
    bool ok = http_slice_eq(req->path, "/health/ok");

    atomic_store(&app.healthy, ok);
    if (ok)
        reply_text(c, 200, "health: ok\n", 11);
    else
        reply_text(c, 200, "health: failing\n", 16);
}

static void
routes_drop(struct conn *c, const struct http_req *req)
{
    (void)req;
    conn_close_after(c, CONN_CLOSE_NOW);
}

static void
routes_reset(struct conn *c, const struct http_req *req)
{
    (void)req;
    conn_close_after(c, CONN_CLOSE_RESET);
}

typedef void routes_fn(struct conn *c, const struct http_req *req);

struct routes_entry {
    const char *path;
    const char *allow;          /* methods, as in an Allow header; NULL for any */
    routes_fn *fn;
};

static const struct routes_entry routes_table[] = {
    { "/", "GET, HEAD", routes_hello },
    { "/health", "GET, HEAD", routes_health },
    { "/health/fail", "POST", routes_health_set },
    { "/health/ok", "POST", routes_health_set },
    { "/work", "GET, HEAD", routes_work },
    { "/sleep", "GET, HEAD", routes_sleep },
    { "/ws", NULL, ws_accept },
    { "/echo", "POST, PUT", stream_echo_start },
    { "/bytes", "GET, HEAD", stream_bytes_start },
    { "/headers", "GET, HEAD", routes_headers },
    { "/status", NULL, routes_status },
    { "/drop", NULL, routes_drop },
    { "/reset", NULL, routes_reset },
};

/* True if method is one of the comma-separated names in allow. */
static bool
routes_method_ok(struct http_slice method, const char *allow)
{
    while (allow && *allow) {
        size_t n = strcspn(allow, ",");
        if (method.n == n && memcmp(method.p, allow, n) == 0)
            return true;
        allow += n;
        allow += strspn(allow, ", ");
    }
    return !allow;
}

void
routes_dispatch(struct conn *c, const struct http_req *req)
{
    for (size_t i = 0; i < sizeof(routes_table) / sizeof(routes_table[0]); i++) {
        const struct routes_entry *e = &routes_table[i];
        if (!http_slice_eq(req->path, e->path))
            continue;
        if (routes_method_ok(req->method, e->allow))
            e->fn(c, req);
        else
            routes_method_not_allowed(c, e->allow);
        return;
    }
    reply_error(c, 404, "no such route");
}

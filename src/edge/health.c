/*
 * edge/health.c: target health with ALB semantics. health_apply() and health_tick() are
 * the state machine: pure apart from the target's atomics and its health_track, and fed
 * an explicit now_ms so tests drive them with any clock. The prober is a thread with its
 * own loop: every HEALTH_TICK_MS (or sooner, when a worker kicks it) it walks the current
 * generation's target groups, folds in the passive results workers counted, starts the
 * probes that are due, logs every state change and fail-open transition, and lets the
 * registry end expired drains.
 *
 * Owns the probes in flight (each holds a target reference) and its per-group fail-open
 * memory. Borrows the edge and, for the duration of one tick, a generation. Does not
 * pick targets (the workers do) nor remove them (registry.c does).
 */
#include "edge/health.h"

#include <errno.h>
#include <limits.h>
#include <pthread.h>
#include <signal.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/socket.h>
#include <unistd.h>

#include <openssl/err.h>

#include "core/buf.h"
#include "core/clock.h"
#include "core/err.h"
#include "core/log.h"
#include "core/loop.h"
#include "core/mem.h"
#include "edge/gen.h"
#include "edge/registry.h"
#include "edge/rng.h"
#include "http/fcgi.h"
#include "edge/uptls.h"
#include "http/h1.h"

#define HEALTH_RESP_MAX_BYTES 16384     /* a response head larger than this fails the check */
#define HEALTH_PASSIVE_FOLD_MAX 64      /* failures folded per target per tick: past the
                                           largest threshold (10) more change nothing */
#define HEALTH_JITTER_MAX_MS 1000       /* first probes of a group spread over this */

/* One health-check request in flight. */
struct probe {
    struct loop_io io;          /* first: on_probe_io casts back */
    struct loop_timer timer;    /* hc.timeout_ms */
    struct loop_defer defer;    /* frees the probe after the iteration that finished it */
    struct health *h;
    struct probe *prev, *next;
    struct target *t;           /* a reference: the target may leave the generation */
    struct edge_health_conf hc; /* a copy without its strings: the generation may go */
    char *group;                /* owned copy, for log lines */
    bool connected, done;
    bool fcgi;                  /* a FastCGI request; resp holds records */
    SSL *ssl;                   /* protocol https; NULL for plain HTTP */
    bool tls_done;              /* handshake finished */
    size_t req_len, req_off;
    size_t resp_len;
    char resp[HEALTH_RESP_MAX_BYTES];
    char req[];                 /* req_len bytes */
};

/* Fail-open memory of one target group, by name since generations come and go. */
struct health_group {
    struct health_group *next;
    bool failing_open;
    bool seen;                  /* present in the generation of the current tick */
    char name[];
};

struct health {
    struct edge *e;
    struct loop *loop;
    pthread_t thread;
    bool started;
    struct loop_timer tick;
    struct probe *probes;       /* in flight (doubly linked) */
    struct health_group *groups;
    struct rng rng;
    struct h1_limits lim;
    struct h1_response resp;    /* parse scratch: large, so one per prober */
    struct uptls *uptls;        /* the prober's own client TLS contexts */
    const struct gen *uptls_gen;    /* the generation they were made for */
};

/* ---- the state machine ---- */

/* Thresholds are validated to 2..10; a zero from a hand-built conf means "one". */
static unsigned
threshold(unsigned n)
{
    return n ? n : 1;
}

/* Moves t from `from` to `to`. A compare-and-swap, because the registry may have marked
 * the target draining meanwhile: draining wins and nothing changes. */
static bool
set_state(struct target *t, enum target_state from, enum target_state to,
          enum target_reason reason, uint64_t now_ms)
{
    uint8_t expect = (uint8_t)from;

    /* Before the state, so a worker that sees HEALTHY also sees when it began. */
    if (to == TARGET_HEALTHY)
        atomic_store(&t->healthy_since_ms, now_ms);
    if (!atomic_compare_exchange_strong(&t->state, &expect, (uint8_t)to))
        return false;
    atomic_store(&t->reason, (uint8_t)reason);
    return true;
}

/* Without active checks (ALB has no such mode; this is the nginx max_fails reading):
 * INITIAL counts as HEALTHY, `unhealthy_threshold` consecutive failures eject the target
 * until retry_at_ms, and while ejected results only move the counters. */
static bool
apply_passive(struct target *t, enum target_state st, bool ok, enum target_reason reason,
              const struct edge_health_conf *hc, uint64_t now_ms)
{
    struct health_track *hs = &t->hs;

    if (st == TARGET_UNHEALTHY || ok || hs->fail_run < threshold(hc->unhealthy_threshold))
        return false;
    if (!set_state(t, st, TARGET_UNHEALTHY, reason, now_ms))
        return false;
    hs->retry_at_ms = now_ms + HEALTH_RETRY_MS;
    return true;
}

/*
 * Active checks, ALB's machine:
 *   initial   --healthy_threshold successes-->   healthy
 *   initial   --unhealthy_threshold failures-->  unhealthy
 *   healthy   --unhealthy_threshold failures-->  unhealthy
 *   unhealthy --healthy_threshold successes-->   healthy
 * "Consecutive": a success clears the failure run and a failure the success run. A new
 * target needs the full healthy_threshold, not one check: ALB's guide and its reason text
 * disagree, and this is the conservative reading (aws-semantics.md 1.2). The reason of an
 * unhealthy target is that of its latest failure.
 *
 * An `initial` target is probed faster than its interval (health_visit) so that it is let
 * in soon after it listens; its failures count towards the run at most once per interval,
 * so that it turns unhealthy no sooner than on ALB and an app that takes seconds to start
 * is not judged on probes ALB would not have sent yet. Its first verdict, either way,
 * discards the live-traffic failures counted while it was initial (see health_visit).
 */
bool
health_apply(struct target *t, bool ok, enum target_reason fail_reason,
             const struct edge_health_conf *hc, uint64_t now_ms)
{
    enum target_state st = target_state_get(t);
    struct health_track *hs = &t->hs;

    if (st == TARGET_DRAINING || st == TARGET_UNUSED)
        return false;
    if (ok) {
        if (hs->ok_run < UINT_MAX)
            hs->ok_run++;
        hs->fail_run = 0;
    } else {
        uint64_t interval = hc->interval_ms ? hc->interval_ms : 1000;
        bool counts = !hc->enabled || st != TARGET_INITIAL || hs->fail_run == 0 ||
                      now_ms - hs->fail_counted_ms >= interval;
        if (counts && hs->fail_run < UINT_MAX) {
            hs->fail_run++;
            hs->fail_counted_ms = now_ms;
        }
        hs->ok_run = 0;
    }
    if (!hc->enabled)
        return apply_passive(t, st, ok, fail_reason, hc, now_ms);

    unsigned up = threshold(hc->healthy_threshold);
    unsigned down = threshold(hc->unhealthy_threshold);
    switch (st) {
    case TARGET_INITIAL: {
        enum target_state to = ok && hs->ok_run >= up ? TARGET_HEALTHY
                               : !ok && hs->fail_run >= down ? TARGET_UNHEALTHY
                               : TARGET_INITIAL;
        if (to == TARGET_INITIAL) {
            atomic_store(&t->reason, (uint8_t)TARGET_REASON_INITIAL_HEALTH_CHECKING);
            return false;
        }
        if (!set_state(t, st, to, ok ? TARGET_REASON_NONE : fail_reason, now_ms))
            return false;
        atomic_store(&t->passive_failures, 0);  /* seen while initial: they do not count */
        return true;
    }
    case TARGET_HEALTHY:
        if (!ok && hs->fail_run >= down)
            return set_state(t, st, TARGET_UNHEALTHY, fail_reason, now_ms);
        return false;
    case TARGET_UNHEALTHY:
        if (ok && hs->ok_run >= up)
            return set_state(t, st, TARGET_HEALTHY, TARGET_REASON_NONE, now_ms);
        if (!ok)
            atomic_store(&t->reason, (uint8_t)fail_reason);
        return false;
    case TARGET_DRAINING:
    case TARGET_UNUSED:
        break;
    }
    return false;
}

/* Only passive-only groups change with time: INITIAL is promoted (such targets are
 * healthy from registration) and an ejected target is retried after retry_at_ms on
 * probation, one failure short of the threshold, so a single failure ejects it again. */
bool
health_tick(struct target *t, const struct edge_health_conf *hc, uint64_t now_ms)
{
    enum target_state st = target_state_get(t);
    struct health_track *hs = &t->hs;

    if (hc->enabled)
        return false;
    if (st == TARGET_INITIAL) {
        hs->ok_run = hs->fail_run = 0;
        return set_state(t, st, TARGET_HEALTHY, TARGET_REASON_NONE, now_ms);
    }
    if (st != TARGET_UNHEALTHY || now_ms < hs->retry_at_ms)
        return false;
    if (!set_state(t, st, TARGET_HEALTHY, TARGET_REASON_NONE, now_ms))
        return false;
    hs->ok_run = 0;
    hs->fail_run = threshold(hc->unhealthy_threshold) - 1;
    return true;
}

unsigned
health_passive_take(struct target *t, const struct edge_health_conf *hc)
{
    unsigned n = atomic_exchange(&t->passive_failures, 0);

    /* An `initial` target is judged by its health checks alone (aws-semantics.md 1.2):
     * live traffic reaches it only while its group fails open, and a refused connect
     * then says it is still starting, not that it is broken. */
    if (hc->enabled && target_state_get(t) == TARGET_INITIAL)
        return 0;
    return n;
}

bool
health_matcher_ok(const struct edge_health_conf *hc, int status)
{
    if (hc->nmatchers == 0)
        return status == 200;
    for (unsigned i = 0; i < hc->nmatchers && i < 8; i++)
        if (status >= hc->matcher_lo[i] && status <= hc->matcher_hi[i])
            return true;
    return false;
}

/* ---- logging ---- */

static void
log_change(const char *group, const struct target *t, enum target_state from, int status)
{
    const char *reason = target_reason_name((enum target_reason)atomic_load(&t->reason));
    const char *tls = atomic_load(&t->tls_failure);

    log_info("edge", "target state changed group=%s target=%s from=%s to=%s reason=%s "
             "status=%d%s%s%s%s", group, t->addr_text, target_state_name(from),
             target_state_name(target_state_get(t)),
             *reason ? reason : "-", status, tls ? " tls=\"" : "",
             tls && atomic_load(&t->tls_verify) ? "certificate verify failed: " : "",
             tls ? tls : "", tls ? "\"" : "");
}

static void
apply_logged(const char *group, struct target *t, bool ok, enum target_reason reason,
             const struct edge_health_conf *hc, uint64_t now_ms, int status)
{
    enum target_state from = target_state_get(t);

    if (health_apply(t, ok, reason, hc, now_ms))
        log_change(group, t, from, status);
}

/* Logs once when a group starts routing to unhealthy targets (zero healthy, some
 * unhealthy) and once when it stops. A group whose targets are all still initial is
 * waiting for its first checks, not failing open. */
static void
group_observe(struct health *h, const char *name, unsigned healthy, unsigned unhealthy)
{
    struct health_group *g = h->groups;

    while (g && strcmp(g->name, name) != 0)
        g = g->next;
    if (!g) {
        size_t n = strlen(name) + 1;
        if (!(g = calloc(1, sizeof(*g) + n)))
            return;         /* without memory only the log line is lost */
        memcpy(g->name, name, n);
        g->next = h->groups;
        h->groups = g;
    }
    g->seen = true;
    bool failing = healthy == 0 && unhealthy > 0;
    if (failing && !g->failing_open)
        log_warn("edge", "no healthy targets, failing open group=%s unhealthy=%u", name,
                 unhealthy);
    else if (!failing && g->failing_open)
        log_info("edge", "no longer failing open group=%s healthy=%u", name, healthy);
    g->failing_open = failing;
}

/* Forgets groups that the current generation no longer has. */
static void
groups_prune(struct health *h)
{
    for (struct health_group **pp = &h->groups; *pp;) {
        struct health_group *g = *pp;
        if (g->seen) {
            g->seen = false;
            pp = &g->next;
        } else {
            *pp = g->next;
            free(g);
        }
    }
}

/* ---- probes ---- */

static void
on_probe_free(struct loop *l, struct loop_defer *d)
{
    struct probe *p = container_of(d, struct probe, defer);

    (void)l;
    target_release(p->t);
    free(p->group);
    free(p);
}

/* Stops the probe's I/O and unlinks it; the caller frees it (now or deferred). */
static void
probe_close(struct probe *p)
{
    struct health *h = p->h;

    p->done = true;
    loop_io_remove(h->loop, &p->io);
    loop_timer_stop(h->loop, &p->timer);
    if (p->ssl) {
        if (p->tls_done)
            SSL_shutdown(p->ssl);   /* close_notify: keeps the session resumable */
        SSL_free(p->ssl);
        p->ssl = NULL;
        ERR_clear_error();
    }
    close(p->io.fd);
    p->io.fd = -1;
    if (p->prev)
        p->prev->next = p->next;
    else
        h->probes = p->next;
    if (p->next)
        p->next->prev = p->prev;
    p->t->hs.probing = false;
}

/* Ends a probe with its result; may run inside the probe's own callbacks. */
static void
probe_finish(struct probe *p, bool ok, enum target_reason reason, int status)
{
    struct health *h = p->h;
    struct target *t = p->t;
    enum target_state st = target_state_get(t);

    if (p->done)
        return;
    probe_close(p);
    if (ok)
        atomic_store(&p->t->tls_failure, NULL);
    /* A target that is draining or gone keeps its last health; the result is moot. */
    if (st != TARGET_DRAINING && st != TARGET_UNUSED) {
        t->hs.last_status = status;
        if (status > 0)
            atomic_store(&t->answered, true);
        apply_logged(p->group, t, ok, reason, &p->hc, loop_now_ms(h->loop), status);
    }
    loop_defer(h->loop, &p->defer, on_probe_free);
}

/* A FastCGI probe: the STDOUT content of the records read so far into out (*n bytes);
 * 1 once END_REQUEST was read, 0 while more may come, -1 for malformed records. */
static int
probe_fcgi_stdout(const struct probe *p, char *out, size_t *n, const char **why)
{
    size_t at = 0;

    *n = 0;
    while (at < p->resp_len) {
        struct fcgi_header fh;
        ssize_t k = fcgi_header_parse(p->resp + at, p->resp_len - at, 1, &fh, why);
        if (k == -EAGAIN)
            return 0;
        if (k < 0)
            return -1;
        size_t body = fh.content_len, rest = p->resp_len - at - FCGI_HEADER_LEN;
        size_t have = rest < body ? rest : body;
        if (fh.type == FCGI_STDOUT) {
            memcpy(out + *n, p->resp + at + FCGI_HEADER_LEN, have);
            *n += have;
        }
        if (rest < body + fh.padding_len)
            return 0;
        if (fh.type == FCGI_END_REQUEST)
            return 1;
        at += FCGI_HEADER_LEN + body + fh.padding_len;
    }
    return 0;
}

/* Judges what a FastCGI probe has read so far, as probe_judge below. */
static bool
probe_judge_fcgi(struct probe *p)
{
    static __thread char out[HEALTH_RESP_MAX_BYTES];
    const char *why = "malformed FastCGI records";
    size_t n;
    int end = probe_fcgi_stdout(p, out, &n, &why);
    ssize_t k = end < 0 ? -EBADMSG
                        : fcgi_cgi_head_parse(out, n, &p->h->lim, false, &p->h->resp, &why);

    if (k == -EAGAIN && !end && p->resp_len < sizeof(p->resp))
        return false;
    if (k < 0) {
        log_debug("edge", "bad health check response target=%s why=\"%s\"", p->t->addr_text,
                  k == -EAGAIN ? "no complete CGI head" : why);
        probe_finish(p, false, TARGET_REASON_FAILED_HEALTH_CHECKS, 0);
        return true;
    }
    int status = p->h->resp.status;
    probe_finish(p, health_matcher_ok(&p->hc, status), TARGET_REASON_RESPONSE_CODE_MISMATCH,
                 status);
    return true;
}

/* The FastCGI probe's records: a GET of path through the front controller (as a request
 * for an unknown path is sent), without FCGI_KEEP_CONN so that the application closes. */
static int
probe_fcgi_request(struct buf *b, const struct edge_fcgi_conf *fc, const char *path,
                   const char *host)
{
    struct buf pr = { 0 };
    char file[PATH_MAX + 256], name[300];
    const char *q = strchr(path, '?');
    const char *kv[][2] = {
        { "GATEWAY_INTERFACE", "CGI/1.1" }, { "SERVER_SOFTWARE", "tierd" },
        { "SERVER_PROTOCOL", "HTTP/1.1" }, { "REQUEST_METHOD", "GET" },
        { "REQUEST_URI", path }, { "QUERY_STRING", q ? q + 1 : "" },
        { "DOCUMENT_ROOT", fc->root }, { "SCRIPT_FILENAME", file },
        { "SCRIPT_NAME", name }, { "PATH_INFO", "" }, { "SERVER_NAME", host },
        { "HTTP_HOST", host }, { "REMOTE_ADDR", "127.0.0.1" }, { "REDIRECT_STATUS", "200" },
        { "CONTENT_LENGTH", "" }, { "HTTP_USER_AGENT", "tierd-health-checker/1.0" },
    };
    int rc = 0;

    snprintf(file, sizeof(file), "%s/%s", fc->root, fc->index);
    snprintf(name, sizeof(name), "/%s", fc->index);
    for (size_t i = 0; i < sizeof(kv) / sizeof(kv[0]); i++)
        rc |= fcgi_pair_put(&pr, kv[i][0], strlen(kv[i][0]), kv[i][1], strlen(kv[i][1]));
    for (unsigned i = 0; i < fc->nparams; i++)
        rc |= fcgi_pair_put(&pr, fc->param_names[i], strlen(fc->param_names[i]),
                            fc->param_values[i], strlen(fc->param_values[i]));
    rc |= fcgi_begin_put(b, 1, false);
    rc |= fcgi_stream_put(b, FCGI_PARAMS, 1, buf_head(&pr), buf_len(&pr));
    rc |= fcgi_stream_put(b, FCGI_PARAMS, 1, NULL, 0);
    rc |= fcgi_stream_put(b, FCGI_STDIN, 1, NULL, 0);
    buf_fini(&pr);
    return rc ? -ENOMEM : 0;
}

/* Judges what has been read so far; returns true when the probe is finished. */
static bool
probe_judge(struct probe *p)
{
    struct health *h = p->h;
    const char *why;

    if (p->fcgi)
        return probe_judge_fcgi(p);
    for (;;) {
        ssize_t n = h1_parse_response(p->resp, p->resp_len, &h->lim, false, &h->resp, &why);
        if (n == -EAGAIN) {
            if (p->resp_len < sizeof(p->resp))
                return false;
            n = -EBADMSG;       /* full buffer, still no head */
        }
        if (n < 0) {
            log_debug("edge", "bad health check response target=%s why=\"%s\"",
                      p->t->addr_text, n == -EBADMSG ? why : err_str((int)n));
            probe_finish(p, false, TARGET_REASON_FAILED_HEALTH_CHECKS, 0);
            return true;
        }
        int status = h->resp.status;
        if (status >= 100 && status < 200 && status != 101) {
            /* Interim response: the final one follows. */
            memmove(p->resp, p->resp + n, p->resp_len - (size_t)n);
            p->resp_len -= (size_t)n;
            continue;
        }
        bool ok = health_matcher_ok(&p->hc, status);
        probe_finish(p, ok, TARGET_REASON_RESPONSE_CODE_MISMATCH, status);
        return true;
    }
}

/* Drives the probe's TLS handshake; true once done. A failure fails the check and says
 * why on the target (shown by `tierd targets`). */
static bool
probe_tls_handshake(struct probe *p)
{
    char why[160];
    int rc = uptls_handshake(p->ssl);

    if (rc == 0)
        return false;
    if (rc < 0) {
        bool verify;
        const char *r = uptls_failure(p->ssl, &verify);
        uptls_error_text(p->ssl, why, sizeof(why));
        atomic_store(&p->t->tls_verify, verify);
        atomic_store(&p->t->tls_failure, r);
        log_debug("edge", "health check TLS failed target=%s err=\"%s\"", p->t->addr_text,
                  why);
        probe_finish(p, false, TARGET_REASON_FAILED_HEALTH_CHECKS, 0);
        return false;
    }
    atomic_store(&p->t->tls_failure, NULL);
    p->tls_done = true;
    return true;
}

/* send/recv, over TLS for an https group: bytes, 0 for EOF, or -1 with errno. */
static ssize_t
probe_tls_result(struct probe *p, int rc)
{
    char why[160];

    return uptls_io_result(p->ssl, rc, why, sizeof(why));
}

static ssize_t
probe_send(struct probe *p, const void *b, size_t n)
{
    if (!p->ssl)
        return send(p->io.fd, b, n, MSG_NOSIGNAL);
    return probe_tls_result(p, SSL_write(p->ssl, b, (int)n));
}

static ssize_t
probe_recv(struct probe *p, void *b, size_t n)
{
    if (!p->ssl)
        return recv(p->io.fd, b, n, 0);
    return probe_tls_result(p, SSL_read(p->ssl, b, (int)n));
}

static void
on_probe_io(struct loop *l, struct loop_io *io, unsigned events)
{
    struct probe *p = (struct probe *)io;

    (void)l;
    if (p->done)
        return;
    if (!p->connected) {
        if (!(events & (LOOP_WRITE | LOOP_HUP)))
            return;
        int err = sock_connect_result(io->fd);
        if (err == 0 && (events & LOOP_HUP) && !(events & LOOP_WRITE))
            err = -ECONNREFUSED;
        if (err) {
            log_debug("edge", "health check connect failed target=%s err=\"%s\"",
                      p->t->addr_text, err_str(err));
            probe_finish(p, false, TARGET_REASON_FAILED_HEALTH_CHECKS, 0);
            return;
        }
        p->connected = true;
    }
    if (p->ssl && !p->tls_done && !probe_tls_handshake(p))
        return;
    while (p->req_off < p->req_len) {
        ssize_t n = probe_send(p, p->req + p->req_off, p->req_len - p->req_off);
        if (n > 0) {
            p->req_off += (size_t)n;
        } else if (n < 0 && errno == EAGAIN) {
            break;              /* the next write edge resumes; still read below */
        } else if (n < 0 && errno != EINTR) {
            probe_finish(p, false, TARGET_REASON_FAILED_HEALTH_CHECKS, 0);
            return;
        }
    }
    /* Edge-triggered: read until EAGAIN, a verdict or the end. */
    for (;;) {
        ssize_t n = probe_recv(p, p->resp + p->resp_len, sizeof(p->resp) - p->resp_len);
        if (n > 0) {
            p->resp_len += (size_t)n;
            if (probe_judge(p))
                return;
        } else if (n == 0) {
            /* The target closed before a whole response head. */
            probe_finish(p, false, TARGET_REASON_FAILED_HEALTH_CHECKS, 0);
            return;
        } else if (errno == EAGAIN) {
            return;
        } else if (errno != EINTR) {
            probe_finish(p, false, TARGET_REASON_FAILED_HEALTH_CHECKS, 0);
            return;
        }
    }
}

static void
on_probe_timeout(struct loop *l, struct loop_timer *tm)
{
    (void)l;
    probe_finish(container_of(tm, struct probe, timer), false,
                 TARGET_REASON_TIMEOUT, 0);
}

/* Starts one check of t. Failures to even start count as failed checks, except running
 * out of memory or watches, which is ours, not the target's: the check is skipped. */
static void
probe_start(struct health *h, const struct edge_tg_conf *tg, struct target *t, uint64_t now_ms)
{
    const char *group = tg->name;
    const struct edge_health_conf *hc = &tg->health;
    const struct edge_fcgi_conf *fc = tg->protocol == EDGE_TG_PROTO_FASTCGI ? tg->fastcgi : NULL;
    static const char fmt[] = "GET %s HTTP/1.1\r\nHost: %s\r\n"
                              "User-Agent: tierd-health-checker/1.0\r\nAccept: */*\r\n"
                              "Connection: close\r\n\r\n";
    const char *path = hc->path && *hc->path ? hc->path : "/";
    struct buf fb = { 0 };
    char host[64];
    snprintf(host, sizeof(host), "%s", t->addr_text);
    if (strrchr(host, ':'))
        *strrchr(host, ':') = '\0';
    bool fb_ok = !fc || probe_fcgi_request(&fb, fc, path, host) == 0;
    int len = fc ? (int)buf_len(&fb) : snprintf(NULL, 0, fmt, path, t->addr_text);
    struct probe *p = fb_ok ? calloc(1, sizeof(*p) + (size_t)len + 1) : NULL;

    if (!p || !(p->group = strdup(group))) {
        free(p);
        buf_fini(&fb);
        log_warn("edge", "health check skipped, out of memory group=%s target=%s", group,
                 t->addr_text);
        return;
    }
    if (fc)
        memcpy(p->req, buf_head(&fb), (size_t)len);
    else
        snprintf(p->req, (size_t)len + 1, fmt, path, t->addr_text);
    buf_fini(&fb);
    p->fcgi = fc != NULL;
    p->req_len = (size_t)len;
    p->h = h;
    p->hc = *hc;
    p->hc.path = NULL;
    p->hc.matcher = NULL;
    int fd = sock_connect(&t->addr);
    if (fd < 0) {
        free(p->group);
        free(p);
        t->hs.last_status = 0;
        apply_logged(group, t, false, TARGET_REASON_FAILED_HEALTH_CHECKS, hc, now_ms, 0);
        return;
    }
    if (tg->protocol == EDGE_TG_PROTO_HTTPS) {
        char why[320];
        struct uptls *ut = uptls_get(&h->uptls, tg, why, sizeof(why));
        if (!ut || !(p->ssl = uptls_ssl_new(ut, fd, t->addr_text))) {
            close(fd);
            free(p->group);
            free(p);
            log_warn("edge", "health check skipped group=%s target=%s err=\"%s\"", group,
                     t->addr_text, ut ? "out of memory" : why);
            return;
        }
    }
    int rc = loop_io_add(h->loop, &p->io, fd, on_probe_io);
    if (rc < 0) {
        SSL_free(p->ssl);
        close(fd);
        free(p->group);
        free(p);
        log_warn("edge", "health check skipped group=%s target=%s err=\"%s\"", group,
                 t->addr_text, err_str(rc));
        return;
    }
    p->t = target_ref(t);
    t->hs.probing = true;
    p->next = h->probes;
    if (h->probes)
        h->probes->prev = p;
    h->probes = p;
    loop_timer_start(h->loop, &p->timer, hc->timeout_ms, on_probe_timeout);
}

/* ---- the prober ---- */

/* One target of one group: passive results, time-based changes, a due probe. */
static void
health_visit(struct health *h, const struct edge_tg_conf *tg, struct target *t,
             uint64_t now_ms)
{
    const struct edge_health_conf *hc = &tg->health;
    struct health_track *hs = &t->hs;
    if (atomic_exchange(&t->hs_reset, false)) {
        /* Re-registered or re-added: consecutive counts start over. A probe in flight
         * keeps its flag so that it is not started twice. */
        bool probing = t->hs.probing;
        memset(&t->hs, 0, sizeof(t->hs));
        t->hs.probing = probing;
    }
    unsigned n = health_passive_take(t, hc);

    if (n > HEALTH_PASSIVE_FOLD_MAX)
        n = HEALTH_PASSIVE_FOLD_MAX;
    for (unsigned i = 0; i < n; i++)
        apply_logged(tg->name, t, false, TARGET_REASON_FAILED_HEALTH_CHECKS, hc, now_ms, 0);
    /* With active checks, only probes may bring a target back. */
    if (atomic_exchange(&t->passive_success, false) && !hc->enabled)
        apply_logged(tg->name, t, true, TARGET_REASON_NONE, hc, now_ms, 0);
    enum target_state from = target_state_get(t);
    if (health_tick(t, hc, now_ms))
        log_change(tg->name, t, from, 0);

    enum target_state st = target_state_get(t);
    if (!hc->enabled || hs->probing || st == TARGET_DRAINING || st == TARGET_UNUSED)
        return;
    uint64_t interval = hc->interval_ms ? hc->interval_ms : 1000;
    /* A target that has not passed its checks since registration (still `initial`, or
     * `unhealthy` from failures while it started) is probed every
     * HEALTH_INITIAL_INTERVAL_MS until they pass, so that it takes traffic within a
     * second of listening and an app slower to start than unhealthy_threshold intervals
     * is not kept out for healthy_threshold more; ALB waits full intervals here, tierd
     * deliberately does not. Thresholds are unchanged, and initial failures still count
     * once per interval (health_apply). */
    bool never_healthy = st == TARGET_INITIAL ||
                         (st == TARGET_UNHEALTHY && atomic_load(&t->healthy_since_ms) == 0);
    if (never_healthy && interval > HEALTH_INITIAL_INTERVAL_MS)
        interval = HEALTH_INITIAL_INTERVAL_MS;
    /* First sight (or an interval shortened by a reload): start within the jitter. */
    if (hs->next_probe_ms == 0 || hs->next_probe_ms > now_ms + interval) {
        uint64_t span = interval < HEALTH_JITTER_MAX_MS ? interval : HEALTH_JITTER_MAX_MS;
        hs->next_probe_ms = now_ms + rng_next(&h->rng) % span;
        return;
    }
    if (now_ms < hs->next_probe_ms)
        return;
    /* Keep the cadence: the next probe is due one interval after this one was, however
     * long this one takes; after a long stall, restart from now. */
    hs->next_probe_ms += interval;
    if (hs->next_probe_ms <= now_ms)
        hs->next_probe_ms = now_ms + interval;
    probe_start(h, tg, t, now_ms);
}

static void
health_run(struct health *h, uint64_t now_ms)
{
    struct gen *g = edge_gen_current(h->e);

    if (g && g != h->uptls_gen) {
        uptls_list_free(&h->uptls);     /* a reload: CA files are read again */
        h->uptls_gen = g;
    }
    if (g) {
        for (unsigned i = 0; g->tgrt && i < g->conf.ntgs; i++) {
            const struct edge_tg_conf *tg = &g->conf.tgs[i];
            const struct tg_rt *rt = &g->tgrt[i];
            unsigned healthy = 0, unhealthy = 0;
            for (unsigned j = 0; j < rt->n; j++) {
                struct target *t = rt->targets[j];
                health_visit(h, tg, t, now_ms);
                enum target_state st = target_state_get(t);
                healthy += st == TARGET_HEALTHY;
                unhealthy += st == TARGET_UNHEALTHY;
            }
            group_observe(h, tg->name, healthy, unhealthy);
        }
        gen_release(g);
        groups_prune(h);
    }
    registry_drain_tick(h->e, now_ms);
}

static void
on_tick(struct loop *l, struct loop_timer *tm)
{
    struct health *h = container_of(tm, struct health, tick);

    health_run(h, loop_now_ms(l));
    loop_timer_start(l, &h->tick, HEALTH_TICK_MS, on_tick);
}

static void
on_wake(struct loop *l, void *ctx)
{
    health_run(ctx, loop_now_ms(l));
}

static void *
health_main(void *arg)
{
    struct health *h = arg;

    loop_update_time(h->loop);
    loop_timer_start(h->loop, &h->tick, 0, on_tick);
    int rc = loop_run(h->loop);
    if (rc < 0)
        log_error("edge", "health check loop failed err=\"%s\"", err_str(rc));
    loop_timer_stop(h->loop, &h->tick);
    /* Probes in flight end without a result. */
    while (h->probes) {
        struct probe *p = h->probes;
        probe_close(p);
        target_release(p->t);
        free(p->group);
        free(p);
    }
    loop_flush_deferred(h->loop);
    buf_pool_drain();           /* the FastCGI probes' buffers came from this thread's pool */
    return NULL;
}

struct health *
health_new(struct edge *e)
{
    struct health *h = calloc(1, sizeof(*h));

    if (!h)
        return NULL;
    if (!(h->loop = loop_new())) {
        free(h);
        return NULL;
    }
    h->e = e;
    h1_limits_default(&h->lim);
    rng_seed(&h->rng, 0);
    loop_on_wake(h->loop, on_wake, h);
    return h;
}

int
health_start(struct health *h)
{
    sigset_t all, old;

    if (h->started)
        return 0;
    /* Signals belong to the daemon's loop, never to this thread. */
    sigfillset(&all);
    pthread_sigmask(SIG_BLOCK, &all, &old);
    int rc = pthread_create(&h->thread, NULL, health_main, h);
    pthread_sigmask(SIG_SETMASK, &old, NULL);
    if (rc != 0)
        return -rc;
    h->started = true;
    return 0;
}

void
health_kick(struct health *h)
{
    if (h)
        loop_wake(h->loop);
}

void
health_stop(struct health *h)
{
    if (!h || !h->started)
        return;
    loop_stop(h->loop);
    pthread_join(h->thread, NULL);
    h->started = false;
}

void
health_free(struct health *h)
{
    if (!h)
        return;
    health_stop(h);
    while (h->groups) {
        struct health_group *g = h->groups;
        h->groups = g->next;
        free(g);
    }
    uptls_list_free(&h->uptls);
    loop_free(h->loop);
    free(h);
}

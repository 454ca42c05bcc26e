/*
 * ctl/ctl.c: the control API's sockets on the daemon's main-thread loop: a unix socket
 * (peers identified by SO_PEERCRED) and an optional TCP listener that requires a bearer
 * token. One request per connection: read it, hand the bytes to ctl_req_handle(), write
 * the response, half-close, and discard whatever the client still sends for a moment so
 * that an early refusal (413, 401) reaches it instead of a reset. Owns the listeners and
 * the connections; the routes' handlers belong to whoever registered them.
 */
#include "ctl/ctl.h"

#include <errno.h>
#include <fcntl.h>
#include <stddef.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/socket.h>
#include <sys/stat.h>
#include <sys/un.h>
#include <unistd.h>

#include "conf/ref.h"
#include "core/clock.h"
#include "core/err.h"
#include "core/log.h"
#include "core/loop.h"
#include "core/mem.h"
#include "ctl/internal.h"

/* Ten console tabs fetch their charts in bursts of seven requests each, beside their
 * streams, while a loaded loop reaps closed connections a little late: room for that. */
#define CTL_CONNS_MAX 256
#define CTL_REQUEST_TIMEOUT_MS 10000    /* whole request, and whole response */
#define CTL_LINGER_MS 2000
#define CTL_IN_MAX_BYTES (16384 + CTL_BODY_MAX_BYTES + 4096)

enum ctl_conn_state { CTL_READING = 0, CTL_WRITING, CTL_LINGERING, CTL_STREAMING };

struct ctl_listener {
    struct loop_io io;
    int fd;
    bool is_unix;
    struct ctl *c;
};

struct ctl_conn {
    struct loop_io io;
    struct loop_timer timer;
    struct loop_defer free_defer;
    struct ctl *c;
    int fd;
    enum ctl_conn_state state;
    bool tcp;
    struct ctl_peer peer;
    char local[64];             /* TCP: the address the connection arrived on, for Host */
    struct buf in, out;
    struct ctl_conn *next, **pprev;
    /* CTL_STREAMING: the console's event stream (see ctl_req_stream()). */
    char *stream_paths;
    char stream_session[65];
    uint64_t stream_end_ms;
};

struct ctl {
    struct loop *loop;
    struct ctl_router rt;
    struct ctl_listener unix_l, tcp_l;
    char *socket_path;
    dev_t socket_dev;
    ino_t socket_ino;
    /* control.token (as CTL_CONF_DEFAULT_WHO) and control.tokens, expanded at start: the
     * TCP listener needs at least one. Names and secrets are owned here. */
    struct ctl_cred *creds;
    unsigned ncreds;
    char **origins;             /* control.allowed_origins, copied at start */
    unsigned norigins;
    struct ctl_console *console;    /* control.console: sessions; NULL when off */
    struct ctl_conn *conns;
    unsigned nconns;
    struct ctl_stats stats;
};

struct ctl *
ctl_new(struct loop *l)
{
    struct ctl *c = calloc(1, sizeof(*c));

    if (!c)
        return NULL;
    c->loop = l;
    c->unix_l.fd = c->tcp_l.fd = -1;
    ctl_router_init(&c->rt);
    return c;
}

int
ctl_route(struct ctl *c, const char *method, const char *pattern, ctl_handler_fn fn, void *ctx)
{
    return ctl_router_add(&c->rt, method, pattern, fn, ctx);
}

/* ------------------------------------------------------------------ connections */

static void
conn_free_deferred(struct loop *l, struct loop_defer *d)
{
    struct ctl_conn *cn = container_of(d, struct ctl_conn, free_defer);

    (void)l;
    buf_fini(&cn->in);
    buf_fini(&cn->out);
    free(cn->stream_paths);
    free(cn);
}

/* Stops I/O and unlinks; the memory goes after this loop iteration. */
static void
conn_close(struct ctl_conn *cn)
{
    if (cn->fd < 0)
        return;
    loop_io_remove(cn->c->loop, &cn->io);
    loop_timer_stop(cn->c->loop, &cn->timer);
    close(cn->fd);
    cn->fd = -1;
    *cn->pprev = cn->next;
    if (cn->next)
        cn->next->pprev = cn->pprev;
    cn->c->nconns--;
    if (cn->state == CTL_STREAMING)
        ctl_console_stream_closed(cn->c->console);
    loop_defer(cn->c->loop, &cn->free_defer, conn_free_deferred);
}

static void
on_conn_timeout(struct loop *l, struct loop_timer *t)
{
    struct ctl_conn *cn = container_of(t, struct ctl_conn, timer);

    (void)l;
    if (cn->state != CTL_LINGERING)
        log_debug("ctl", "connection timed out peer=%s state=%d", cn->peer.addr, cn->state);
    conn_close(cn);
}

static void
conn_linger(struct ctl_conn *cn)
{
    char sink[4096];

    if (cn->state != CTL_LINGERING) {
        cn->state = CTL_LINGERING;
        shutdown(cn->fd, SHUT_WR);
        loop_timer_start(cn->c->loop, &cn->timer, CTL_LINGER_MS, on_conn_timeout);
    }
    for (;;) {
        ssize_t n = read(cn->fd, sink, sizeof(sink));
        if (n > 0)
            continue;
        if (n < 0 && errno == EINTR)
            continue;
        if (n < 0 && errno == EAGAIN)
            return;
        conn_close(cn);     /* EOF or error */
        return;
    }
}

static void conn_write(struct ctl_conn *cn);

/* Appends one event per path of the stream: the JSON its GET route answers now, asked of
 * the router as the unix socket would be (the session was checked when the stream
 * opened, and is checked again on every tick). */
static void
stream_tick_events(struct ctl_conn *cn)
{
    char path[CTL_STREAM_PATHS_MAX], reqtext[CTL_STREAM_PATHS_MAX + 64];
    struct buf tmp = { 0 };
    const char *p = cn->stream_paths;

    while (*p) {
        size_t n = strcspn(p, ",");
        snprintf(path, sizeof(path), "%.*s", (int)n, p);
        p += n + (p[n] == ',');
        int k = snprintf(reqtext, sizeof(reqtext), "GET %s HTTP/1.1\r\nHost: tierd\r\n\r\n",
                         path);
        buf_fini(&tmp);
        if (ctl_req_handle_full(&cn->c->rt, reqtext, (size_t)k, &cn->peer, NULL, &tmp, NULL) < 0)
            continue;
        const char *all = buf_head(&tmp);
        size_t len = buf_len(&tmp);
        const char *body = memmem(all, len, "\r\n\r\n", 4);
        if (!body)
            continue;
        body += 4;
        const char *end = all + len;
        buf_printf(&cn->out, "event: %s\ndata: ", path);
        /* SSE: every line of the data gets its own "data: " prefix. */
        for (const char *q = body; q < end; q++) {
            if (*q == '\n') {
                if (q + 1 < end)
                    buf_append_str(&cn->out, "\ndata: ");
            } else {
                buf_append(&cn->out, q, 1);
            }
        }
        buf_append_str(&cn->out, "\n\n");
    }
    buf_fini(&tmp);
}

static void
on_stream_tick(struct loop *l, struct loop_timer *t)
{
    struct ctl_conn *cn = container_of(t, struct ctl_conn, timer);

    if (clock_mono_ms() >= cn->stream_end_ms || buf_len(&cn->out) > CTL_STREAM_BACKLOG_MAX ||
        !ctl_console_session_alive(cn->c->console, cn->stream_session)) {
        conn_close(cn);
        return;
    }
    stream_tick_events(cn);
    loop_timer_start(l, &cn->timer, CTL_STREAM_TICK_MS, on_stream_tick);
    conn_write(cn);
}

/* Reads and drops what a streaming client sends; closes on its EOF. */
static void
stream_read(struct ctl_conn *cn)
{
    char sink[1024];

    for (;;) {
        ssize_t n = read(cn->fd, sink, sizeof(sink));
        if (n > 0 || (n < 0 && errno == EINTR))
            continue;
        if (n < 0 && errno == EAGAIN)
            return;
        conn_close(cn);
        return;
    }
}

static void
conn_write(struct ctl_conn *cn)
{
    while (buf_len(&cn->out) > 0) {
        ssize_t n = write(cn->fd, buf_head(&cn->out), buf_len(&cn->out));
        if (n > 0) {
            buf_consume(&cn->out, (size_t)n);
            continue;
        }
        if (n < 0 && errno == EINTR)
            continue;
        if (n < 0 && errno == EAGAIN)
            return;
        conn_close(cn);
        return;
    }
    if (cn->state != CTL_STREAMING)
        conn_linger(cn);
}

/* Reads until EAGAIN, handing the bytes to the request handler after each read. */
static void
count_tcp(struct ctl_stats *st, int status)
{
    st->tcp_requests++;
    switch (status) {
    case 401: st->refused_token++; break;
    case 403: st->refused_origin++; break;
    case 415: st->refused_type++; break;
    case 421: st->refused_host++; break;
    default: break;
    }
}

void
ctl_get_stats(const struct ctl *c, struct ctl_stats *out)
{
    *out = c->stats;
}

static void
conn_read(struct ctl_conn *cn)
{
    for (;;) {
        if (buf_len(&cn->in) >= CTL_IN_MAX_BYTES || buf_reserve(&cn->in, 16384) < 0) {
            conn_close(cn);     /* cannot happen with the handler's limits; be safe */
            return;
        }
        ssize_t n = read(cn->fd, buf_tail(&cn->in), buf_room(&cn->in));
        if (n < 0 && errno == EINTR)
            continue;
        if (n < 0 && errno == EAGAIN)
            return;
        if (n <= 0) {
            conn_close(cn);     /* the client left before a whole request */
            return;
        }
        buf_commit(&cn->in, (size_t)n);
        struct ctl_result res;
        struct ctl_guard g = { NULL, cn->local, true,
                               (const char *const *)cn->c->origins, cn->c->norigins,
                               cn->c->console, cn->c->creds, cn->c->ncreds };
        ssize_t used = ctl_req_handle_full(&cn->c->rt, buf_head(&cn->in), buf_len(&cn->in),
                                           &cn->peer, cn->tcp ? &g : NULL, &cn->out, &res);
        if (used == -EAGAIN)
            continue;
        if (cn->tcp)
            count_tcp(&cn->c->stats, res.status);
        buf_fini(&cn->in);
        if (res.stream_paths[0] && cn->tcp && cn->c->console) {
            /* The documented exception to one request and 10 s: ctl_console.c has counted
             * the stream against CTL_STREAMS_MAX; the lifetime is capped here. */
            cn->state = CTL_STREAMING;
            cn->stream_paths = mem_strdup_or_exit(res.stream_paths);
            snprintf(cn->stream_session, sizeof(cn->stream_session), "%s", res.stream_session);
            cn->stream_end_ms = clock_mono_ms() + CTL_STREAM_LIFETIME_MS;
            stream_tick_events(cn);
            loop_timer_start(cn->c->loop, &cn->timer, CTL_STREAM_TICK_MS, on_stream_tick);
            conn_write(cn);
            return;
        }
        cn->state = CTL_WRITING;
        loop_timer_start(cn->c->loop, &cn->timer, CTL_REQUEST_TIMEOUT_MS, on_conn_timeout);
        conn_write(cn);
        return;
    }
}

static void
on_conn_io(struct loop *l, struct loop_io *io, unsigned events)
{
    struct ctl_conn *cn = (struct ctl_conn *)io;

    (void)l;
    switch (cn->state) {
    case CTL_READING:
        if (events & (LOOP_READ | LOOP_HUP))
            conn_read(cn);
        break;
    case CTL_WRITING:
        if (events & (LOOP_WRITE | LOOP_HUP))
            conn_write(cn);
        break;
    case CTL_LINGERING:
        conn_linger(cn);
        break;
    case CTL_STREAMING:
        if (events & LOOP_WRITE)
            conn_write(cn);
        if (cn->fd >= 0 && (events & (LOOP_READ | LOOP_HUP)))
            stream_read(cn);
        break;
    }
}

static void
conn_peer(struct ctl_conn *cn, bool is_unix)
{
    cn->peer.is_unix = is_unix;
    cn->peer.uid = cn->peer.pid = -1;
    if (is_unix) {
        struct ucred cred;
        socklen_t len = sizeof(cred);
        snprintf(cn->peer.addr, sizeof(cn->peer.addr), "unix");
        if (getsockopt(cn->fd, SOL_SOCKET, SO_PEERCRED, &cred, &len) == 0) {
            cn->peer.uid = (long)cred.uid;
            cn->peer.pid = (long)cred.pid;
        }
    } else {
        struct sock_addr a;
        a.len = sizeof(a.ss);
        if (getpeername(cn->fd, (struct sockaddr *)&a.ss, &a.len) == 0)
            sock_addr_format(&a, cn->peer.addr, sizeof(cn->peer.addr));
        /* The local address, not the configured one: a listener on 0.0.0.0 answers to the
         * address each client connected to. Unknown: no Host matches, all is refused. */
        a.len = sizeof(a.ss);
        if (getsockname(cn->fd, (struct sockaddr *)&a.ss, &a.len) == 0)
            sock_addr_format(&a, cn->local, sizeof(cn->local));
        else
            snprintf(cn->local, sizeof(cn->local), "?");
    }
}

static void
on_accept(struct loop *l, struct loop_io *io, unsigned events)
{
    struct ctl_listener *ls = (struct ctl_listener *)io;
    struct ctl *c = ls->c;

    (void)events;
    for (;;) {
        int fd = accept4(ls->fd, NULL, NULL, SOCK_NONBLOCK | SOCK_CLOEXEC);
        if (fd < 0) {
            if (errno == EINTR || errno == ECONNABORTED)
                continue;
            if (errno != EAGAIN)
                log_warn("ctl", "accept failed: %s", strerror(errno));
            return;
        }
        struct ctl_conn *cn = c->nconns < CTL_CONNS_MAX ? calloc(1, sizeof(*cn)) : NULL;
        if (!cn) {
            log_warn("ctl", "refusing a control connection: %u open (limit %u)", c->nconns,
                     CTL_CONNS_MAX);
            close(fd);
            continue;
        }
        cn->c = c;
        cn->fd = fd;
        cn->tcp = !ls->is_unix;
        conn_peer(cn, ls->is_unix);
        if (loop_io_add(l, &cn->io, fd, on_conn_io) < 0) {
            close(fd);
            free(cn);
            continue;
        }
        cn->next = c->conns;
        if (c->conns)
            c->conns->pprev = &cn->next;
        cn->pprev = &c->conns;
        c->conns = cn;
        c->nconns++;
        loop_timer_start(l, &cn->timer, CTL_REQUEST_TIMEOUT_MS, on_conn_timeout);
        conn_read(cn);      /* data may already be there (edge-triggered) */
    }
}

/* ------------------------------------------------------------------ listeners */

static void
mkdir_parents(const char *path)
{
    char dir[sizeof(((struct sockaddr_un *)0)->sun_path)];

    snprintf(dir, sizeof(dir), "%s", path);
    for (char *p = dir + 1; *p; p++) {
        if (*p != '/')
            continue;
        *p = '\0';
        mkdir(dir, 0750);       /* EEXIST is fine; bind() reports anything else */
        *p = '/';
    }
}

static int
listen_unix(struct ctl *c, const char *path, char *err, size_t errlen)
{
    struct sockaddr_un sa = { .sun_family = AF_UNIX };
    struct stat st;
    int fd, rc = 0;     /* gcc -O1 cannot see that rc is set before it is read */

    if (strlen(path) >= sizeof(sa.sun_path)) {
        snprintf(err, errlen, "control.socket: %s is too long for a unix socket", path);
        return -ENAMETOOLONG;
    }
    snprintf(sa.sun_path, sizeof(sa.sun_path), "%s", path);
    mkdir_parents(path);
    if (lstat(path, &st) == 0) {
        if (!S_ISSOCK(st.st_mode)) {
            snprintf(err, errlen, "control.socket: %s exists and is not a socket; remove it "
                                  "or choose another path", path);
            return -EEXIST;
        }
        /* A socket file is left behind by a daemon that died; one that answers is live. */
        fd = socket(AF_UNIX, SOCK_STREAM | SOCK_CLOEXEC, 0);
        if (fd >= 0 && connect(fd, (struct sockaddr *)&sa, sizeof(sa)) == 0) {
            close(fd);
            snprintf(err, errlen, "control.socket: another tierd is serving %s; stop it or "
                                  "choose another path", path);
            return -EADDRINUSE;
        }
        if (fd >= 0)
            close(fd);
        unlink(path);
    }
    fd = socket(AF_UNIX, SOCK_STREAM | SOCK_NONBLOCK | SOCK_CLOEXEC, 0);
    if (fd < 0)
        goto fail;
    if (bind(fd, (struct sockaddr *)&sa, sizeof(sa)) < 0 || chmod(path, 0660) < 0 ||
        listen(fd, 64) < 0 || stat(path, &st) < 0)
        goto fail;
    c->socket_path = strdup(path);
    c->socket_dev = st.st_dev;
    c->socket_ino = st.st_ino;
    c->unix_l.fd = fd;
    c->unix_l.is_unix = true;
    c->unix_l.c = c;
    if (!c->socket_path || (rc = loop_io_add_read(c->loop, &c->unix_l.io, fd, on_accept)) < 0) {
        errno = c->socket_path ? -rc : ENOMEM;
        goto fail;
    }
    return 0;
fail:
    rc = -errno;
    snprintf(err, errlen, "control.socket: cannot listen on %s: %s", path, strerror(errno));
    if (fd >= 0)
        close(fd);
    c->unix_l.fd = -1;
    return rc;
}

/* Expands one token reference into c->creds; -EINVAL with the reason in err. */
static int
cred_add(struct ctl *c, const char *name, const char *ref, const char *key, char *err,
         size_t errlen)
{
    char var[160] = "";
    char *tok = conf_ref_expand(ref, var, sizeof(var));

    if (!tok || !*tok) {
        if (tok)
            conf_ref_is_whole(ref, var, sizeof(var));
        free(tok);
        snprintf(err, errlen, "control.address: the environment variable %s (%s) is unset or "
                              "empty; set it to the bearer token, or remove control.address",
                 var[0] ? var : "of the token", key);
        return -EINVAL;
    }
    /* Two operators with one token could not be told apart in the operator log. */
    for (unsigned i = 0; i < c->ncreds; i++) {
        if (strcmp(c->creds[i].secret, tok) == 0) {
            snprintf(err, errlen, "%s: %s has the same token as %s; give every operator a "
                                  "token of their own", key, name, c->creds[i].name);
            explicit_bzero(tok, strlen(tok));
            free(tok);
            return -EINVAL;
        }
    }
    struct ctl_cred *cr = &c->creds[c->ncreds++];
    cr->name = mem_strdup_or_exit(name);
    cr->secret = tok;
    return 0;
}

static void
creds_free(struct ctl *c)
{
    for (unsigned i = 0; i < c->ncreds; i++) {
        explicit_bzero((char *)c->creds[i].secret, strlen(c->creds[i].secret));
        free((char *)c->creds[i].secret);
        free((char *)c->creds[i].name);
    }
    free(c->creds);
    c->creds = NULL;
    c->ncreds = 0;
}

static int
listen_tcp(struct ctl *c, const struct ctl_conf *conf, char *err, size_t errlen)
{
    int fd, rc;

    if (!conf->token && !conf->ntokens) {
        /* ctl_conf.c refuses this; a caller that skipped it gets no open listener. */
        snprintf(err, errlen, "control.address: a TCP listener needs control.token");
        return -EINVAL;
    }
    /* Expanded here and only here; ctl_conf.c has checked the references at load. */
    c->creds = mem_alloc_or_exit((conf->ntokens + 1) * sizeof(*c->creds));
    if (conf->token && (rc = cred_add(c, CTL_CONF_DEFAULT_WHO, conf->token, conf->token_key,
                                      err, errlen)) < 0)
        return rc;
    for (unsigned i = 0; i < conf->ntokens; i++)
        if ((rc = cred_add(c, conf->tokens[i].name, conf->tokens[i].ref, conf->tokens[i].key,
                           err, errlen)) < 0)
            return rc;
    if (conf->norigins) {
        c->origins = mem_alloc_or_exit(conf->norigins * sizeof(*c->origins));
        for (unsigned i = 0; i < conf->norigins; i++)
            c->origins[i] = mem_strdup_or_exit(conf->origins[i]);
        c->norigins = conf->norigins;
    }
    if (conf->console && !c->console) {
        /* The routes stay registered after a stop; the sessions go with the token. */
        if (!(c->console = ctl_console_new(c->creds, c->ncreds, NULL)) ||
            ctl_console_routes(&c->rt, c->console) < 0) {
            snprintf(err, errlen, "control.console: cannot set up the console's routes");
            return -ENOMEM;
        }
    }
    fd = sock_listen(&conf->addr, false, 64);
    if (fd < 0) {
        snprintf(err, errlen, "control.address: cannot listen on %s: %s", conf->addr_text,
                 strerror(-fd));
        return fd;
    }
    c->tcp_l.fd = fd;
    c->tcp_l.c = c;
    if ((rc = loop_io_add_read(c->loop, &c->tcp_l.io, fd, on_accept)) < 0) {
        snprintf(err, errlen, "control.address: %s", strerror(-rc));
        close(fd);
        c->tcp_l.fd = -1;
        return rc;
    }
    return 0;
}

int
ctl_reload_tokens(struct ctl *c, const struct ctl_conf *conf, char *err, size_t errlen)
{
    struct ctl_cred *old = c->creds;
    unsigned nold = c->ncreds, gone = 0;
    int rc = 0;

    if (c->tcp_l.fd < 0)
        return 0;                   /* no TCP listener: nothing asks for a token */
    if (!conf->token && !conf->ntokens) {
        snprintf(err, errlen, "control.address: a TCP listener needs control.token or "
                              "control.tokens; the running tokens stay");
        return -EINVAL;
    }
    c->creds = mem_alloc_or_exit((conf->ntokens + 1) * sizeof(*c->creds));
    c->ncreds = 0;
    if (conf->token)
        rc = cred_add(c, CTL_CONF_DEFAULT_WHO, conf->token, conf->token_key, err, errlen);
    for (unsigned i = 0; rc == 0 && i < conf->ntokens; i++)
        rc = cred_add(c, conf->tokens[i].name, conf->tokens[i].ref, conf->tokens[i].key, err,
                      errlen);
    if (rc == 0 && c->console && (rc = ctl_console_set_creds(c->console, c->creds, c->ncreds,
                                                             &gone)) < 0)
        snprintf(err, errlen, "control.tokens: out of memory; the running tokens stay");
    if (rc < 0) {
        creds_free(c);
        c->creds = old;
        c->ncreds = nold;
        return rc;
    }
    struct ctl_cred *fresh = c->creds;
    unsigned nfresh = c->ncreds;
    c->creds = old;
    c->ncreds = nold;
    creds_free(c);
    c->creds = fresh;
    c->ncreds = nfresh;
    log_info("ctl", "operator tokens reloaded operators=%u sessions_signed_out=%u", nfresh, gone);
    return 0;
}

int
ctl_start(struct ctl *c, const struct ctl_conf *conf, char *err, size_t errlen)
{
    int rc;

    /* The token first: a missing one is a configuration error, exit 2, nothing bound. */
    if (conf->addr_text && (rc = listen_tcp(c, conf, err, errlen)) < 0)
        goto fail;
    if (conf->socket_path && (rc = listen_unix(c, conf->socket_path, err, errlen)) < 0)
        goto fail;
    if (conf->socket_path)
        log_info("ctl", "control API listening socket=%s", conf->socket_path);
    if (conf->addr_text)
        log_info("ctl", "control API listening address=%s token=required operators=%u "
                 "origins=%u console=%s", conf->addr_text, c->ncreds, c->norigins,
                 c->console ? "on" : "off");
    return 0;
fail:
    ctl_stop(c);
    return rc;
}

void
ctl_stop(struct ctl *c)
{
    struct stat st;

    while (c->conns)
        conn_close(c->conns);
    if (c->unix_l.fd >= 0) {
        loop_io_remove(c->loop, &c->unix_l.io);
        close(c->unix_l.fd);
        c->unix_l.fd = -1;
        /* Only our own socket: another daemon may have replaced it since. */
        if (stat(c->socket_path, &st) == 0 && st.st_dev == c->socket_dev &&
            st.st_ino == c->socket_ino)
            unlink(c->socket_path);
    }
    if (c->tcp_l.fd >= 0) {
        loop_io_remove(c->loop, &c->tcp_l.io);
        close(c->tcp_l.fd);
        c->tcp_l.fd = -1;
    }
    free(c->socket_path);
    c->socket_path = NULL;
    for (unsigned i = 0; i < c->norigins; i++)
        free(c->origins[i]);
    free(c->origins);
    c->origins = NULL;
    c->norigins = 0;
    creds_free(c);
}

void
ctl_free(struct ctl *c)
{
    if (!c)
        return;
    ctl_stop(c);
    loop_flush_deferred(c->loop);
    ctl_router_fini(&c->rt);
    ctl_console_free(c->console);
    free(c);
}

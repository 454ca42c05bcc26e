/*
 * examples/app/conn.c: one client connection: its buffers, reads and writes, and the request
 * state machine (enum conn_state in conn.h):
 *
 *   HEAD --head parsed, route ran--> BODY --body read--> after_body
 *   after_body is HEAD (answered: next request, or CLOSING), SLEEP, STREAM or WS.
 *   CLOSING --output flushed--> LINGER (FIN sent, input discarded) --EOF/timer--> closed
 *
 * Requests on one connection are answered strictly in order: pipelined requests wait in the
 * input buffer while an answer is still being produced. All answers queued by one read are
 * sent with one send(). Output above APP_OUT_HIGH_BYTES stops parsing and reading (the
 * client must read its answers first), which bounds memory per connection.
 * What to answer is decided by routes.c, stream.c and ws.c; the loop belongs to worker.c.
 */
#include "conn.h"
#include "reply.h"
#include "routes.h"
#include "stream.h"
#include "worker.h"
#include "ws.h"

#include <errno.h>
#include <stdlib.h>
#include <string.h>
#include <sys/epoll.h>
#include <sys/socket.h>
#include <unistd.h>

#define CONN_RUN_ROUNDS 32      /* bound on one connection's work per event, for fairness */

struct conn *
conn_new(struct worker *w, int fd)
{
    struct conn *c = calloc(1, sizeof(*c));

    if (!c)
        return NULL;
    c->in.data = malloc(APP_IN_BYTES);
    if (!c->in.data) {
        free(c);
        return NULL;
    }
    c->in.cap = APP_IN_BYTES;
    c->w = w;
    c->fd = fd;
    c->state = CONN_HEAD;
    c->timer_idx = SIZE_MAX;
    c->events = EPOLLIN;
    struct epoll_event ev = { .events = c->events, .data.ptr = c };
    if (epoll_ctl(w->epfd, EPOLL_CTL_ADD, fd, &ev) < 0) {
        free(c->in.data);
        free(c);
        return NULL;
    }
    c->next = w->conns;
    if (w->conns)
        w->conns->prev = c;
    w->conns = c;
    w->nconns++;
    return c;
}

void
conn_destroy(struct conn *c)
{
    struct worker *w = c->w;

    if (c->dead)
        return;
    c->dead = true;
    close(c->fd);                       /* also removes it from epoll */
    timer_remove(&w->timers, c);
    if (c->prev)
        c->prev->next = c->next;
    else
        w->conns = c->next;
    if (c->next)
        c->next->prev = c->prev;
    w->nconns--;
    /* Events for c may still be in this iteration's batch: free it only at the end. */
    c->prev = NULL;
    c->next = w->dead;
    w->dead = c;
}

void
conn_free(struct conn *c)
{
    buf_free(&c->in);
    buf_free(&c->out);
    buf_free(&c->body);
    if (c->ws)
        ws_free(c->ws);
    free(c);
}

char *
conn_out_reserve(struct conn *c, size_t n)
{
    if (c->oom)
        return NULL;
    if (buf_reserve(&c->out, n) < 0) {
        c->oom = true;
        return NULL;
    }
    return c->out.data + c->out.end;
}

void
conn_out_commit(struct conn *c, size_t n)
{
    c->out.end += n;
}

void
conn_out(struct conn *c, const void *p, size_t n)
{
    char *w = conn_out_reserve(c, n);

    if (w) {
        memcpy(w, p, n);
        c->out.end += n;
    }
}

size_t
conn_out_pending(const struct conn *c)
{
    return buf_len(&c->out);
}

void
conn_timer_start(struct conn *c, uint64_t delay_ms)
{
    timer_remove(&c->w->timers, c);
    c->timer_at_ms = c->w->now_ms + delay_ms;
    if (timer_add(&c->w->timers, c) < 0)
        c->oom = true;
}

/* The request is fully read and answered. */
static void
conn_request_done(struct conn *c)
{
    c->state = c->keepalive ? CONN_HEAD : CONN_CLOSING;
}

void
conn_response_done(struct conn *c)
{
    if (c->state == CONN_BODY)
        c->after_body = CONN_HEAD;      /* the body is still arriving: finish reading it */
    else
        conn_request_done(c);
}

void
conn_close_after(struct conn *c, enum conn_close how)
{
    c->keepalive = false;
    c->close_how = how;
}

static void
conn_enter(struct conn *c, enum conn_state next)
{
    if (next == CONN_HEAD) {
        conn_request_done(c);
        return;
    }
    c->state = next;
    if (next == CONN_WS && c->w->draining)
        ws_fail(c, 1001);               /* upgraded while shutting down: going away */
}

/* A malformed head: answer and close. */
static void
conn_bad_request(struct conn *c, int status, const char *why)
{
    c->keepalive = false;
    c->is_head = false;
    c->minor = 1;
    c->body_kind = CONN_BODY_NONE;
    reply_error(c, status, why);
    c->close_how = CONN_CLOSE_LINGER;
    c->state = CONN_CLOSING;
}

/* Malformed chunked framing: answer 400 if nothing was answered yet, else just close. */
static void
conn_body_error(struct conn *c)
{
    timer_remove(&c->w->timers, c);
    if (c->sink == CONN_SINK_ECHO) {
        conn_bad_request(c, 400, "bad chunked body");
        return;
    }
    c->keepalive = false;
    c->body_kind = CONN_BODY_NONE;
    c->close_how = CONN_CLOSE_NOW;
    c->state = CONN_CLOSING;
}

static void
conn_body_done(struct conn *c)
{
    c->body_kind = CONN_BODY_NONE;
    if (c->sink != CONN_SINK_DISCARD)
        stream_echo_end(c);
    conn_enter(c, c->after_body);
}

static void
conn_body_data(struct conn *c, const char *p, size_t n)
{
    if (c->sink != CONN_SINK_DISCARD && n > 0)
        stream_echo_data(c, p, n);
}

/* Sets up per-request state from a parsed head. */
static void
conn_start_request(struct conn *c, const struct http_req *req)
{
    c->keepalive = req->keepalive && !c->w->draining;
    c->is_head = req->is_head;
    c->minor = req->minor;
    c->sink = CONN_SINK_DISCARD;
    c->after_body = CONN_HEAD;
    c->close_how = CONN_CLOSE_LINGER;
    if (req->chunked) {
        c->body_kind = CONN_BODY_CHUNKED;
        c->ck = (struct http_chunked){ 0 };
    } else if (req->has_length && req->length > 0) {
        c->body_kind = CONN_BODY_LENGTH;
        c->body_left = req->length;
    } else {
        c->body_kind = CONN_BODY_NONE;
    }
    if (req->expect_continue && c->body_kind != CONN_BODY_NONE && c->minor == 1) {
        static const char cont[] = "HTTP/1.1 100 Continue\r\n\r\n";
        conn_out(c, cont, sizeof(cont) - 1);
    }
}

/* CONN_HEAD: parses and answers as many pipelined requests as output room allows. */
static bool
conn_read_heads(struct conn *c)
{
    bool moved = false;

    while (c->state == CONN_HEAD && !c->oom && buf_len(&c->out) < APP_OUT_HIGH_BYTES) {
        /* Empty lines before a request line are ignored (RFC 9112 section 2.2). */
        while (c->head_scan == 0 && buf_len(&c->in) > 0 &&
               (c->in.data[c->in.start] == '\r' || c->in.data[c->in.start] == '\n'))
            buf_consume(&c->in, 1);
        size_t len = buf_len(&c->in);
        if (len == 0)
            break;
        const char *p = c->in.data + c->in.start;
        size_t limit = len < APP_HEAD_MAX_BYTES ? len : APP_HEAD_MAX_BYTES;
        ssize_t n = http_head_end(p, limit, &c->head_scan);
        if (n < 0) {
            if (len >= APP_HEAD_MAX_BYTES) {
                conn_bad_request(c, 431, "request head over 64 KiB");
                return true;
            }
            break;
        }
        c->head_scan = 0;

        struct http_req req;
        const char *why = "bad request";
        if (http_parse_head(p, (size_t)n, &req, &why) < 0) {
            conn_bad_request(c, 400, why);
            return true;
        }
        conn_start_request(c, &req);
        routes_dispatch(c, &req);       /* req points into c->in: consume after */
        buf_consume(&c->in, (size_t)n);
        moved = true;
        if (c->body_kind != CONN_BODY_NONE)
            c->state = CONN_BODY;
        else
            conn_enter(c, c->after_body);
    }
    return moved;
}

/* CONN_BODY: hands body bytes from the input buffer to the sink. */
static bool
conn_read_body(struct conn *c)
{
    bool moved = false;

    while (c->state == CONN_BODY && !c->oom && buf_len(&c->in) > 0) {
        if (c->sink == CONN_SINK_ECHO_STREAM && buf_len(&c->out) >= APP_OUT_HIGH_BYTES)
            break;                      /* backpressure: the client must read first */
        const char *p = c->in.data + c->in.start;
        size_t len = buf_len(&c->in);
        moved = true;
        if (c->body_kind == CONN_BODY_LENGTH) {
            size_t n = len < c->body_left ? len : (size_t)c->body_left;
            conn_body_data(c, p, n);
            buf_consume(&c->in, n);
            c->body_left -= n;
            if (c->body_left == 0)
                conn_body_done(c);
            continue;
        }
        size_t used = 0;
        struct http_slice data;
        int rc = http_chunked_feed(&c->ck, p, len, &used, &data);
        if (rc < 0) {
            conn_body_error(c);
            break;
        }
        conn_body_data(c, data.p, data.n);
        buf_consume(&c->in, used);
        if (rc == 1)
            conn_body_done(c);
        else if (used == 0)
            break;
    }
    return moved;
}

static bool
conn_advance(struct conn *c)
{
    switch (c->state) {
    case CONN_HEAD:
        return conn_read_heads(c);
    case CONN_BODY:
        return conn_read_body(c);
    case CONN_STREAM:
        return stream_bytes_more(c);
    case CONN_WS:
        return ws_advance(c);
    default:
        return false;
    }
}

/* The peer sent FIN: decide whether anything is left to do. */
static void
conn_on_eof(struct conn *c)
{
    /* Input still buffered behind output backpressure is processed first. */
    if (buf_len(&c->in) > 0 && buf_len(&c->out) >= APP_OUT_HIGH_BYTES)
        return;
    switch (c->state) {
    case CONN_STREAM:               /* a half-closed client still reads the answer */
    case CONN_CLOSING:
        return;
    default:
        break;
    }
    c->keepalive = false;
    c->close_how = CONN_CLOSE_NOW;
    c->state = CONN_CLOSING;
}

/* All output is flushed: close the way the last request asked for. */
static void
conn_finish(struct conn *c)
{
    switch (c->close_how) {
    case CONN_CLOSE_RESET: {
        struct linger lg = { .l_onoff = 1, .l_linger = 0 };
        setsockopt(c->fd, SOL_SOCKET, SO_LINGER, &lg, sizeof(lg));
        conn_destroy(c);
        return;
    }
    case CONN_CLOSE_NOW:
        conn_destroy(c);
        return;
    default:
        if (c->eof || shutdown(c->fd, SHUT_WR) < 0) {
            conn_destroy(c);
            return;
        }
        c->state = CONN_LINGER;
        c->in.start = c->in.end = 0;
        conn_timer_start(c, APP_LINGER_MS);
        return;
    }
}

/* Sends queued output with one send(). Returns bytes sent (0 if the socket is full) or a
 * negative errno. */
static ssize_t
conn_flush(struct conn *c)
{
    size_t len = buf_len(&c->out);

    if (len == 0)
        return 0;
    ssize_t n = send(c->fd, c->out.data + c->out.start, len, MSG_NOSIGNAL);
    if (n < 0)
        return errno == EAGAIN || errno == EINTR ? 0 : -errno;
    buf_consume(&c->out, (size_t)n);
    if (buf_len(&c->out) == 0 && c->out.cap > APP_OUT_KEEP_BYTES)
        buf_free(&c->out);
    return n;
}

/* Registers the epoll interest the current state needs, if it changed. */
static void
conn_watch(struct conn *c)
{
    bool room = buf_len(&c->in) < c->in.cap;
    bool out_low = buf_len(&c->out) < APP_OUT_HIGH_BYTES;
    uint32_t want = 0;

    switch (c->state) {
    case CONN_HEAD:
    case CONN_WS:
        if (room && out_low)
            want |= EPOLLIN;
        break;
    case CONN_BODY:
        if (room && (c->sink != CONN_SINK_ECHO_STREAM || out_low))
            want |= EPOLLIN;
        break;
    case CONN_SLEEP:
        if (room)
            want |= EPOLLIN;            /* notice a client that gives up */
        break;
    case CONN_STREAM:
        want |= EPOLLOUT;
        break;
    case CONN_LINGER:
        want |= EPOLLIN;
        break;
    default:
        break;
    }
    if (c->eof)
        want &= ~(uint32_t)EPOLLIN;     /* level-triggered EOF would fire forever */
    if (buf_len(&c->out) > 0 || c->again)
        want |= EPOLLOUT;
    if (want == c->events)
        return;
    struct epoll_event ev = { .events = want, .data.ptr = c };
    if (epoll_ctl(c->w->epfd, EPOLL_CTL_MOD, c->fd, &ev) < 0) {
        conn_destroy(c);
        return;
    }
    c->events = want;
}

/* Makes all the progress possible now: parse, answer, write; then re-arm epoll. */
static void
conn_run(struct conn *c)
{
    c->again = false;
    for (int round = 0;; round++) {
        if (round == CONN_RUN_ROUNDS) {
            c->again = true;
            break;
        }
        bool moved = conn_advance(c);
        if (c->oom) {
            conn_destroy(c);
            return;
        }
        if (c->eof)
            conn_on_eof(c);
        ssize_t n = conn_flush(c);
        if (n < 0) {
            conn_destroy(c);
            return;
        }
        if (c->state == CONN_CLOSING && buf_len(&c->out) == 0) {
            conn_finish(c);
            if (c->dead)
                return;
            break;
        }
        if (!moved && n == 0)
            break;
        if (buf_len(&c->out) > 0 && c->state != CONN_STREAM)
            break;                      /* socket full: wait for EPOLLOUT */
    }
    conn_watch(c);
}

/* CONN_LINGER: read and drop whatever the peer still sends, until its FIN. */
static void
conn_discard_input(struct conn *c)
{
    for (int i = 0; i < 16; i++) {
        ssize_t n = read(c->fd, c->in.data, c->in.cap);
        if (n > 0)
            continue;
        if (n < 0 && (errno == EAGAIN || errno == EINTR))
            return;
        conn_destroy(c);                /* EOF or error: done */
        return;
    }
}

/* Reads once into the input buffer's tail. */
static int
conn_fill(struct conn *c)
{
    struct buf *b = &c->in;

    if (b->start > 0 && b->cap - b->end < 16384) {
        memmove(b->data, b->data + b->start, b->end - b->start);
        b->end -= b->start;
        b->start = 0;
    }
    if (b->end == b->cap)
        return 0;
    ssize_t n = read(c->fd, b->data + b->end, b->cap - b->end);
    if (n > 0) {
        b->end += (size_t)n;
        return 0;
    }
    if (n == 0) {
        c->eof = true;
        return 0;
    }
    return errno == EAGAIN || errno == EINTR ? 0 : -errno;
}

void
conn_on_event(struct conn *c, uint32_t events)
{
    /* HUP means both directions are shut (a RST, or the peer's FIN after ours): nothing
     * more can be sent. */
    if (events & (EPOLLERR | EPOLLHUP)) {
        conn_destroy(c);
        return;
    }
    if (c->state == CONN_LINGER) {
        conn_discard_input(c);
        return;
    }
    if ((events & EPOLLIN) && conn_fill(c) < 0) {
        conn_destroy(c);
        return;
    }
    conn_run(c);
}

void
conn_on_timer(struct conn *c)
{
    if (c->state == CONN_LINGER) {
        conn_destroy(c);
        return;
    }
    routes_on_sleep(c);
    conn_run(c);
}

void
conn_drain(struct conn *c)
{
    c->keepalive = false;
    if (c->state == CONN_WS) {
        ws_fail(c, 1001);               /* "going away" */
    } else if (c->state == CONN_HEAD && buf_len(&c->in) == 0) {
        c->close_how = CONN_CLOSE_NOW;  /* idle: nothing in flight */
        c->state = CONN_CLOSING;
    }
    conn_run(c);
}

/*
 * examples/app/conn.h: one client connection and the calls routes make on it. A connection
 * is owned by its worker (worker.h); routes borrow it for the duration of a call.
 */
#ifndef APP_CONN_H
#define APP_CONN_H

#include "app.h"
#include "http.h"

#include <stdbool.h>
#include <stdint.h>

struct worker;
struct ws;

enum conn_state {
    CONN_HEAD = 0,      /* waiting for (or parsing) the next request head */
    CONN_BODY,          /* reading a request body into c->sink */
    CONN_SLEEP,         /* a /sleep answer waits for its timer */
    CONN_STREAM,        /* /bytes output is produced as the socket drains */
    CONN_WS,            /* WebSocket frames (ws.c) */
    CONN_CLOSING,       /* flushing the last output, then closing as c->close_how says */
    CONN_LINGER,        /* our side is shut; discarding input until EOF or the timer */
};

enum conn_close {
    CONN_CLOSE_LINGER = 0,  /* FIN, then read until the peer's FIN: no RST eats our answer */
    CONN_CLOSE_NOW,         /* plain close() */
    CONN_CLOSE_RESET,       /* SO_LINGER 0: the peer sees a RST */
};

enum conn_body {
    CONN_BODY_NONE = 0,
    CONN_BODY_LENGTH,
    CONN_BODY_CHUNKED,
};

enum conn_sink {
    CONN_SINK_DISCARD = 0,  /* the route ignores the body */
    CONN_SINK_ECHO,         /* /echo collects it into c->body for a Content-Length answer */
    CONN_SINK_ECHO_STREAM,  /* /echo answers chunked while reading */
};

struct conn {
    struct worker *w;
    struct conn *prev;          /* worker's list of live connections, or its dead list */
    struct conn *next;
    int fd;
    enum conn_state state;
    enum conn_state after_body; /* where CONN_BODY goes; CONN_HEAD means "answered" */
    enum conn_close close_how;
    uint32_t events;            /* epoll interest currently registered */
    bool eof;                   /* the peer sent FIN */
    bool dead;                  /* closed; freed after this loop iteration */
    bool oom;                   /* an allocation failed: the connection is closed */
    bool again;                 /* conn_run() stopped early; come back on EPOLLOUT */

    /* The request being answered. */
    bool keepalive;
    bool is_head;
    int minor;
    enum conn_body body_kind;
    enum conn_sink sink;
    uint64_t body_left;         /* CONN_BODY_LENGTH: bytes still to read */
    struct http_chunked ck;
    uint64_t sleep_ms;          /* /sleep */
    uint64_t stream_left;       /* /bytes: bytes still to produce */
    uint64_t stream_pos;        /* /bytes: bytes produced so far */
    bool stream_chunked;

    size_t head_scan;           /* how far http_head_end() looked */
    struct buf in;              /* fixed APP_IN_BYTES */
    struct buf out;             /* grows; freed when drained if big */
    struct buf body;            /* /echo bodies up to APP_ECHO_BUFFER_BYTES */
    struct ws *ws;              /* after a WebSocket upgrade */

    size_t timer_idx;           /* position in the worker's timer heap, or SIZE_MAX */
    uint64_t timer_at_ms;
};

/* Worker entry points. conn_new() returns NULL (and leaves fd open) on failure. */
struct conn *conn_new(struct worker *w, int fd);
void conn_on_event(struct conn *c, uint32_t events);
void conn_on_timer(struct conn *c);
/* Shutdown: close when idle, finish in-flight work, then close. */
void conn_drain(struct conn *c);
/* Closes the socket and moves c to the worker's dead list; it is freed by conn_free(). */
void conn_destroy(struct conn *c);
void conn_free(struct conn *c);

/*
 * Output for routes. conn_out_reserve() returns room for n bytes at the tail of the output
 * (valid until the next output call), conn_out_commit() adds them. On allocation failure they
 * set c->oom and drop the bytes; the connection is then closed.
 */
char *conn_out_reserve(struct conn *c, size_t n);
void conn_out_commit(struct conn *c, size_t n);
void conn_out(struct conn *c, const void *p, size_t n);
size_t conn_out_pending(const struct conn *c);

/* Arms (or re-arms) c's single timer; conn_on_timer() runs when it fires. */
void conn_timer_start(struct conn *c, uint64_t delay_ms);
/* The current response is complete: go on to the next request, or close. */
void conn_response_done(struct conn *c);
/* After the current response (and everything queued before it), close as `how` says. */
void conn_close_after(struct conn *c, enum conn_close how);

#endif

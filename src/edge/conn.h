/*
 * edge/conn.h: a client connection (conn.c): its lifetime from accept to close, reading
 * into and flushing out of its buffers through its transport, graceful close (linger),
 * its timer, and the sweep that closes work bound to drained targets. What the bytes
 * mean is the session's business (session.h); one exchange is a transaction (txn.h).
 *
 * States (enum conn_state): IDLE between requests (keep-alive) or before the first; HEAD
 * while a request head arrives; TXN while a transaction runs; TUNNEL after a WebSocket
 * upgrade; LINGER while closing gracefully.
 */
#ifndef EDGE_CONN_H
#define EDGE_CONN_H
#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>
#include <sys/socket.h>

#include "core/buf.h"
#include "core/loop.h"
#include "http/h1.h"

struct session_ops;
struct transport_ops;
struct txn;
struct worker;

enum conn_state {
    CONN_IDLE = 0,
    CONN_HEAD,
    CONN_TXN,
    CONN_TUNNEL,
    CONN_LINGER,
};

/* Kept small: an idle one holds no buffer. */
struct conn {
    struct loop_io io;
    struct loop_timer timer;
    struct loop_defer defer;    /* frees the connection after close */
    struct loop_defer kick;     /* resumes a transaction that yielded to others */
    struct worker *w;
    struct conn *prev, *next;
    struct buf in, out;
    struct txn *txn;
    uint32_t listener_id;
    uint32_t nrequests;
    uint16_t local_port;
    uint16_t peer_port;
    uint8_t peer_family;
    uint16_t head_scan;         /* bytes of in already searched for the end of a head */
    struct h1_request_prefix head_check;  /* how far in can still begin a request */
    uint8_t lstat;              /* stats slot of its listener, 255 for none */
    bool shield_counted;        /* shield_accept counted it: shield_release at close */
    uint8_t state;              /* enum conn_state */
    bool rd_ready, wr_ready, hup, eof, closed, close_after, shut_wr;
    uint8_t peer_addr[16];
    /* Indexes in conn_transports[] and conn_sessions[], not pointers: a byte each fits
     * the padding. */
    uint8_t tp, sess;
    uint8_t tp_flags;           /* the transport's own (tls.c: handshake done, wants) */
    void *tls;                  /* the SSL of a TLS connection (tls.c), else NULL */
};

enum { CONN_TP_PLAIN = 0, CONN_TP_TLS };
enum { CONN_SESS_H1 = 0 };
extern const struct transport_ops *const conn_transports[];
extern const struct session_ops *const conn_sessions[];

static inline const struct transport_ops *
conn_tp(const struct conn *c)
{
    return conn_transports[c->tp];
}

static inline const struct session_ops *
conn_sess(const struct conn *c)
{
    return conn_sessions[c->sess];
}

/* Takes the accepted socket fd (closes it on failure). */
void conn_accepted(struct worker *w, int fd, const struct sockaddr_storage *peer,
                   uint32_t listener_id, uint16_t local_port, uint8_t lstat,
                   bool shield_counted);
/* Closes at once: logs and frees a running transaction (status 499 if it had none). */
void conn_close(struct conn *c);
/* The worker stops: close when idle, else after the current response. */
void conn_begin_shutdown(struct conn *c);
/* Reads until c->in holds more than `limit` bytes. 0 or -errno. */
int conn_read(struct conn *c, size_t limit);
/* Writes c->out while the transport takes it. 0 or -errno. */
int conn_flush(struct conn *c);
/* (Re)arms the client timer; when it fires the state decides (session, 408, close). */
void conn_timer(struct conn *c, uint64_t ms);
/* Graceful close: c->out first, then shut the write side and discard input until the
 * client closes (so the last response is not destroyed by a reset, 9112 §9.6), at most
 * EDGE_LINGER_MS. */
void conn_linger(struct conn *c);

#define EDGE_LINGER_MS 5000

#endif

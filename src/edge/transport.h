/*
 * edge/transport.h: the byte stream under a client connection's session. A transport
 * moves bytes between the socket and the connection's buffers and knows nothing of HTTP:
 * plain TCP (plain.c) and TLS (tls.c). The shape follows h2o's socket layer and HAProxy's
 * xprt_ops: a const table of functions chosen when the connection is accepted.
 *
 * Each call takes the connection and returns what the system call would: bytes (> 0),
 * 0 for EOF (recv) and -1 with errno set (EAGAIN when the socket would block).
 */
#ifndef EDGE_TRANSPORT_H
#define EDGE_TRANSPORT_H
#include <stdbool.h>
#include <stddef.h>
#include <sys/types.h>

struct conn;

struct transport_ops {
    const char *name;
    ssize_t (*recv)(struct conn *c, void *p, size_t len);
    ssize_t (*send)(struct conn *c, const void *p, size_t len);
    /* Sends len bytes of file fd from *off (advanced), as sendfile(2). */
    ssize_t (*sendfile)(struct conn *c, int fd, off_t *off, size_t len);
    /* Ends the write side once everything was sent (the peer sees EOF). */
    void (*shutdown_wr)(struct conn *c);
    /* Optional: as send, but more bytes follow at once (MSG_MORE), so a response head
     * shares the first segment of the file after it. NULL: send is used. */
    ssize_t (*send_more)(struct conn *c, const void *p, size_t len);
    /* Optional. Readiness (LOOP_* events) before the session sees it: true lets the
     * session run; false means the transport used the event itself (a handshake step)
     * or closed or took over the connection. */
    bool (*on_ready)(struct conn *c, unsigned events);
    /* Optional. The connection closes: release the transport's state (not the fd). */
    void (*close)(struct conn *c);
};

/* plain.c: the socket itself. */
extern const struct transport_ops plain_transport;

#endif

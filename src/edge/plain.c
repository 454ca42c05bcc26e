/*
 * edge/plain.c: the plain TCP transport (transport.h): the connection's socket, read and
 * written directly. Owns nothing; the connection owns the socket.
 */
#include "edge/transport.h"

#include <sys/sendfile.h>
#include <sys/socket.h>

#include "edge/conn.h"

static ssize_t
plain_recv(struct conn *c, void *p, size_t len)
{
    return recv(c->io.fd, p, len, 0);
}

static ssize_t
plain_send(struct conn *c, const void *p, size_t len)
{
    return send(c->io.fd, p, len, MSG_NOSIGNAL);
}

static ssize_t
plain_send_more(struct conn *c, const void *p, size_t len)
{
    return send(c->io.fd, p, len, MSG_NOSIGNAL | MSG_MORE);
}

static ssize_t
plain_sendfile(struct conn *c, int fd, off_t *off, size_t len)
{
    return sendfile(c->io.fd, fd, off, len);
}

static void
plain_shutdown_wr(struct conn *c)
{
    shutdown(c->io.fd, SHUT_WR);
}

const struct transport_ops plain_transport = {
    .name = "plain",
    .recv = plain_recv,
    .send = plain_send,
    .sendfile = plain_sendfile,
    .shutdown_wr = plain_shutdown_wr,
    .send_more = plain_send_more,
};

/*
 * examples/app/listen.c: turns "127.0.0.1:9001", "[::1]:9001" or "9001" into a socket address
 * and opens listening sockets, one per worker, all with SO_REUSEPORT so that the kernel
 * spreads connections across the workers. Because SO_REUSEPORT would also let a second app
 * share a port by mistake, listen_check_free() first makes sure the port is really free.
 */
#include "listen.h"

#include <arpa/inet.h>
#include <errno.h>
#include <netinet/in.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

static int
listen_port_parse(const char *s, in_port_t *port)
{
    char *end;
    long v;

    errno = 0;
    v = strtol(s, &end, 10);
    if (errno || end == s || *end || v < 0 || v > 65535)
        return -EINVAL;
    *port = htons((in_port_t)v);
    return 0;
}

int
listen_parse(const char *text, struct sockaddr_storage *ss, socklen_t *len)
{
    char host[64];
    const char *port;

    memset(ss, 0, sizeof(*ss));
    if (text[0] == '[') {
        const char *close = strchr(text, ']');
        if (!close || close[1] != ':' || (size_t)(close - text - 1) >= sizeof(host))
            return -EINVAL;
        memcpy(host, text + 1, (size_t)(close - text - 1));
        host[close - text - 1] = '\0';
        port = close + 2;
        struct sockaddr_in6 *a6 = (struct sockaddr_in6 *)ss;
        a6->sin6_family = AF_INET6;
        *len = sizeof(*a6);
        if (inet_pton(AF_INET6, host, &a6->sin6_addr) != 1)
            return -EINVAL;
        return listen_port_parse(port, &a6->sin6_port);
    }
    const char *colon = strrchr(text, ':');
    if (colon) {
        if ((size_t)(colon - text) >= sizeof(host))
            return -EINVAL;
        memcpy(host, text, (size_t)(colon - text));
        host[colon - text] = '\0';
        port = colon + 1;
    } else {
        strcpy(host, "127.0.0.1");
        port = text;
    }
    struct sockaddr_in *a4 = (struct sockaddr_in *)ss;
    a4->sin_family = AF_INET;
    *len = sizeof(*a4);
    if (inet_pton(AF_INET, host, &a4->sin_addr) != 1)
        return -EINVAL;
    return listen_port_parse(port, &a4->sin_port);
}

int
listen_open(const struct sockaddr_storage *ss, socklen_t len)
{
    int one = 1;
    int fd = socket(ss->ss_family, SOCK_STREAM | SOCK_NONBLOCK | SOCK_CLOEXEC, 0);

    if (fd < 0)
        return -errno;
    if (setsockopt(fd, SOL_SOCKET, SO_REUSEADDR, &one, sizeof(one)) < 0 ||
        setsockopt(fd, SOL_SOCKET, SO_REUSEPORT, &one, sizeof(one)) < 0 ||
        bind(fd, (const struct sockaddr *)ss, len) < 0 || listen(fd, 4096) < 0) {
        int rc = -errno;
        close(fd);
        return rc;
    }
    return fd;
}

int
listen_check_free(const struct sockaddr_storage *ss, socklen_t len)
{
    int one = 1;
    int fd = socket(ss->ss_family, SOCK_STREAM | SOCK_CLOEXEC, 0);

    if (fd < 0)
        return -errno;
    /* No SO_REUSEPORT here: the bind fails if anyone listens on the port, even a
     * SO_REUSEPORT listener that our own listeners would silently share it with. */
    int rc = setsockopt(fd, SOL_SOCKET, SO_REUSEADDR, &one, sizeof(one));
    if (rc == 0)
        rc = bind(fd, (const struct sockaddr *)ss, len);
    rc = rc < 0 ? -errno : 0;
    close(fd);
    return rc;
}

int
listen_bound(int fd, struct sockaddr_storage *ss, char *out, size_t out_n)
{
    socklen_t len = sizeof(*ss);
    char host[INET6_ADDRSTRLEN];

    if (getsockname(fd, (struct sockaddr *)ss, &len) < 0)
        return -errno;
    if (ss->ss_family == AF_INET6) {
        const struct sockaddr_in6 *a6 = (const struct sockaddr_in6 *)ss;
        inet_ntop(AF_INET6, &a6->sin6_addr, host, sizeof(host));
        snprintf(out, out_n, "[%s]:%u", host, ntohs(a6->sin6_port));
    } else {
        const struct sockaddr_in *a4 = (const struct sockaddr_in *)ss;
        inet_ntop(AF_INET, &a4->sin_addr, host, sizeof(host));
        snprintf(out, out_n, "%s:%u", host, ntohs(a4->sin_port));
    }
    return 0;
}

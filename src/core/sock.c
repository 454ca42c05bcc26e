/*
 * core/sock.c: address parsing/formatting and socket creation helpers.
 */
#include "core/sock.h"

#include <arpa/inet.h>
#include <errno.h>
#include <fcntl.h>
#include <netinet/in.h>
#include <netinet/tcp.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

static int
parse_port(const char *s, int *port)
{
    long v = 0;

    if (!*s)
        return -EINVAL;
    for (const char *p = s; *p; p++) {
        if (*p < '0' || *p > '9')
            return -EINVAL;
        v = v * 10 + (*p - '0');
        if (v > 65535)
            return -EINVAL;
    }
    *port = (int)v;
    return 0;
}

int
sock_addr_parse(const char *text, struct sock_addr *out, const char **why)
{
    char host[128];
    const char *port_s;
    int port;

    memset(out, 0, sizeof(*out));
    if (text[0] == '[') {
        const char *close = strchr(text, ']');
        if (!close || close[1] != ':') {
            *why = "expected [ipv6]:port";
            return -EINVAL;
        }
        size_t hl = (size_t)(close - text - 1);
        if (hl >= sizeof(host)) {
            *why = "address too long";
            return -EINVAL;
        }
        memcpy(host, text + 1, hl);
        host[hl] = '\0';
        port_s = close + 2;
        struct sockaddr_in6 *s6 = (struct sockaddr_in6 *)&out->ss;
        if (inet_pton(AF_INET6, host, &s6->sin6_addr) != 1) {
            *why = "not a numeric IPv6 address";
            return -EINVAL;
        }
        if (parse_port(port_s, &port) < 0) {
            *why = "port must be a number from 0 to 65535";
            return -EINVAL;
        }
        s6->sin6_family = AF_INET6;
        s6->sin6_port = htons((uint16_t)port);
        out->len = sizeof(*s6);
        return 0;
    }
    const char *colon = strrchr(text, ':');
    if (!colon || strchr(text, ':') != colon) {
        *why = "expected host:port (IPv6 as [addr]:port)";
        return -EINVAL;
    }
    size_t hl = (size_t)(colon - text);
    if (hl >= sizeof(host)) {
        *why = "address too long";
        return -EINVAL;
    }
    memcpy(host, text, hl);
    host[hl] = '\0';
    if (strcmp(host, "localhost") == 0)
        strcpy(host, "127.0.0.1");
    if (hl == 0 || strcmp(host, "*") == 0)
        strcpy(host, "0.0.0.0");
    struct sockaddr_in *s4 = (struct sockaddr_in *)&out->ss;
    if (inet_pton(AF_INET, host, &s4->sin_addr) != 1) {
        *why = "not a numeric IPv4 address (names are not resolved)";
        return -EINVAL;
    }
    if (parse_port(colon + 1, &port) < 0) {
        *why = "port must be a number from 0 to 65535";
        return -EINVAL;
    }
    s4->sin_family = AF_INET;
    s4->sin_port = htons((uint16_t)port);
    out->len = sizeof(*s4);
    return 0;
}

void
sock_addr_format_host(const struct sock_addr *a, char *out, size_t n)
{
    if (a->ss.ss_family == AF_INET6) {
        const struct sockaddr_in6 *s6 = (const struct sockaddr_in6 *)&a->ss;
        if (!inet_ntop(AF_INET6, &s6->sin6_addr, out, (socklen_t)n))
            snprintf(out, n, "?");
    } else if (a->ss.ss_family == AF_INET) {
        const struct sockaddr_in *s4 = (const struct sockaddr_in *)&a->ss;
        if (!inet_ntop(AF_INET, &s4->sin_addr, out, (socklen_t)n))
            snprintf(out, n, "?");
    } else {
        snprintf(out, n, "unix");
    }
}

int
sock_addr_port(const struct sock_addr *a)
{
    if (a->ss.ss_family == AF_INET6)
        return ntohs(((const struct sockaddr_in6 *)&a->ss)->sin6_port);
    if (a->ss.ss_family == AF_INET)
        return ntohs(((const struct sockaddr_in *)&a->ss)->sin_port);
    return 0;
}

void
sock_addr_format(const struct sock_addr *a, char *out, size_t n)
{
    char host[64];

    sock_addr_format_host(a, host, sizeof(host));
    if (a->ss.ss_family == AF_INET6)
        snprintf(out, n, "[%s]:%d", host, sock_addr_port(a));
    else
        snprintf(out, n, "%s:%d", host, sock_addr_port(a));
}

bool
sock_addr_equal(const struct sock_addr *a, const struct sock_addr *b)
{
    return a->len == b->len && memcmp(&a->ss, &b->ss, a->len) == 0;
}

int
sock_listen(const struct sock_addr *a, bool reuseport, int backlog)
{
    int one = 1;
    int fd = socket(a->ss.ss_family, SOCK_STREAM | SOCK_NONBLOCK | SOCK_CLOEXEC, 0);

    if (fd < 0)
        return -errno;
    setsockopt(fd, SOL_SOCKET, SO_REUSEADDR, &one, sizeof(one));
    if (reuseport)
        setsockopt(fd, SOL_SOCKET, SO_REUSEPORT, &one, sizeof(one));
    if (a->ss.ss_family == AF_INET6)
        setsockopt(fd, IPPROTO_IPV6, IPV6_V6ONLY, &one, sizeof(one));
    if (bind(fd, (const struct sockaddr *)&a->ss, a->len) < 0 || listen(fd, backlog) < 0) {
        int e = errno;
        close(fd);
        return -e;
    }
    return fd;
}

int
sock_connect(const struct sock_addr *a)
{
    int fd = socket(a->ss.ss_family, SOCK_STREAM | SOCK_NONBLOCK | SOCK_CLOEXEC, 0);

    if (fd < 0)
        return -errno;
    sock_set_nodelay(fd);
    if (connect(fd, (const struct sockaddr *)&a->ss, a->len) < 0 && errno != EINPROGRESS) {
        int e = errno;
        close(fd);
        return -e;
    }
    return fd;
}

int
sock_connect_result(int fd)
{
    int err = 0;
    socklen_t len = sizeof(err);

    if (getsockopt(fd, SOL_SOCKET, SO_ERROR, &err, &len) < 0)
        return -errno;
    return -err;
}

void
sock_set_nodelay(int fd)
{
    int one = 1;

    setsockopt(fd, IPPROTO_TCP, TCP_NODELAY, &one, sizeof(one));
}

/*
 * core/sock.h: socket addresses and non-blocking socket set-up. No event loop here.
 */
#ifndef CORE_SOCK_H
#define CORE_SOCK_H
#include <stdbool.h>
#include <stddef.h>
#include <sys/socket.h>

struct sock_addr {
    struct sockaddr_storage ss;
    socklen_t len;
};

/* "host:port" or "[v6]:port" with a numeric IPv4/IPv6 host ("localhost" is accepted as
 * 127.0.0.1). Returns 0, or -EINVAL with a reason in *why. */
int sock_addr_parse(const char *text, struct sock_addr *out, const char **why);
/* Formats "1.2.3.4:80" or "[::1]:80" into out (at least 64 bytes). */
void sock_addr_format(const struct sock_addr *a, char *out, size_t n);
/* Formats only the host part ("1.2.3.4", "::1"). */
void sock_addr_format_host(const struct sock_addr *a, char *out, size_t n);
int sock_addr_port(const struct sock_addr *a);
bool sock_addr_equal(const struct sock_addr *a, const struct sock_addr *b);

/* A non-blocking listening socket with SO_REUSEADDR and, if reuseport, SO_REUSEPORT.
 * Returns the fd or a negative errno. */
int sock_listen(const struct sock_addr *a, bool reuseport, int backlog);
/* Starts a non-blocking connect; returns the fd (connect may be in progress) or -errno. */
int sock_connect(const struct sock_addr *a);
/* Reads SO_ERROR after a connect completes: 0 or a negative errno. */
int sock_connect_result(int fd);
void sock_set_nodelay(int fd);

#endif

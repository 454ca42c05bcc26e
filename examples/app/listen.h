/*
 * examples/app/listen.h: listening addresses and sockets.
 */
#ifndef APP_LISTEN_H
#define APP_LISTEN_H

#include <stddef.h>
#include <sys/socket.h>

/* Parses "127.0.0.1:9001", "[::1]:9001" or "9001" (meaning 127.0.0.1); 0 or -EINVAL. */
int listen_parse(const char *text, struct sockaddr_storage *ss, socklen_t *len);
/* Opens a non-blocking SO_REUSEPORT listener; returns the fd or a negative errno. */
int listen_open(const struct sockaddr_storage *ss, socklen_t len);
/* 0 if nothing listens on the address yet, else a negative errno (-EADDRINUSE). */
int listen_check_free(const struct sockaddr_storage *ss, socklen_t len);
/* The bound address of fd, written back into *ss (for port 0), and as text into out. */
int listen_bound(int fd, struct sockaddr_storage *ss, char *out, size_t out_n);

#endif

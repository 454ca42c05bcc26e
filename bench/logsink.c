/*
 * bench/logsink.c: the file end of HAProxy's buffered access log in bench/run.py (libc
 * only; the bench builds it into its output directory).
 *
 *   logsink -p PORT -o FILE [-T MAX_SECONDS]
 *
 * HAProxy cannot write a log file itself: its buffered log target is a ring (`log
 * ring@NAME`) that it forwards over TCP to a syslog server, many lines per send. This is
 * that server, as cheap as one can be: it listens on 127.0.0.1:PORT, and appends every byte
 * it reads (HAProxy's `format raw`: one line per request) to FILE, one write(2) per read of
 * up to 64 KiB. The bench pins it to the proxy's core and counts its CPU as HAProxy's, so
 * HAProxy pays for its file writes like the other proxies do. It exits on SIGTERM, or after
 * MAX_SECONDS (default 900) so that a lost one cannot linger.
 */
#define _GNU_SOURCE
#include <arpa/inet.h>
#include <errno.h>
#include <fcntl.h>
#include <netinet/in.h>
#include <poll.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/socket.h>
#include <unistd.h>

#define LOGSINK_MAX_CONNS 16

static void
die(const char *what)
{
    fprintf(stderr, "logsink: %s: %s\n", what, strerror(errno));
    exit(1);
}

static int
listen_on(int port)
{
    struct sockaddr_in a = { .sin_family = AF_INET, .sin_port = htons((uint16_t)port) };
    int one = 1;
    int fd = socket(AF_INET, SOCK_STREAM | SOCK_CLOEXEC, 0);

    if (fd < 0)
        die("socket");
    a.sin_addr.s_addr = htonl(INADDR_LOOPBACK);
    setsockopt(fd, SOL_SOCKET, SO_REUSEADDR, &one, sizeof one);
    if (bind(fd, (struct sockaddr *)&a, sizeof a) < 0)
        die("bind 127.0.0.1 (is the port free?)");
    if (listen(fd, 16) < 0)
        die("listen");
    return fd;
}

/* write all of buf to the log file; a short write to a regular file is retried */
static void
append(int out, const char *buf, size_t len)
{
    while (len) {
        ssize_t n = write(out, buf, len);
        if (n < 0 && errno == EINTR)
            continue;
        if (n <= 0)
            die("write to the log file");
        buf += n;
        len -= (size_t)n;
    }
}

int
main(int argc, char **argv)
{
    static char buf[64 * 1024];
    struct pollfd pf[1 + LOGSINK_MAX_CONNS];
    const char *path = NULL;
    int port = 0, max_s = 900, nfds = 1, c;

    while ((c = getopt(argc, argv, "p:o:T:")) != -1) {
        if (c == 'p')
            port = atoi(optarg);
        else if (c == 'o')
            path = optarg;
        else if (c == 'T')
            max_s = atoi(optarg);
        else
            goto usage;
    }
    if (port <= 0 || port > 65535 || !path || max_s <= 0)
        goto usage;
    int out = open(path, O_WRONLY | O_CREAT | O_APPEND | O_CLOEXEC, 0644);
    if (out < 0)
        die(path);
    pf[0] = (struct pollfd){ .fd = listen_on(port), .events = POLLIN };
    alarm((unsigned)max_s);             /* SIGALRM's default action ends the process */
    printf("logsink listening on 127.0.0.1:%d\n", port);
    fflush(stdout);

    for (;;) {
        if (poll(pf, (nfds_t)nfds, -1) < 0) {
            if (errno == EINTR)
                continue;
            die("poll");
        }
        if ((pf[0].revents & POLLIN) && nfds < 1 + LOGSINK_MAX_CONNS) {
            int fd = accept4(pf[0].fd, NULL, NULL, SOCK_CLOEXEC);
            if (fd >= 0)
                pf[nfds++] = (struct pollfd){ .fd = fd, .events = POLLIN };
        }
        for (int i = 1; i < nfds; i++) {
            if (!pf[i].revents)
                continue;
            ssize_t n = read(pf[i].fd, buf, sizeof buf);
            if (n > 0) {
                append(out, buf, (size_t)n);
            } else if (n == 0 || (errno != EINTR && errno != EAGAIN)) {
                close(pf[i].fd);        /* HAProxy reconnects when it has more to send */
                pf[i--] = pf[--nfds];
            }
        }
    }

usage:
    fprintf(stderr, "usage: logsink -p PORT -o FILE [-T MAX_SECONDS]\n");
    return 2;
}

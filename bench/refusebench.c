/*
 * bench/refusebench.c: connect-and-read-until-EOF load generator for the ban refusal
 * figure of bench/tierd_bench.py (libc only; the bench builds it into build/bench/).
 *
 *   refusebench -b SRC_IP -a DST_IP -p PORT [-t THREADS] [-d SECONDS]
 *
 * Each thread loops: socket, bind to SRC_IP (port chosen at connect, with
 * IP_BIND_ADDRESS_NO_PORT), blocking connect, send a small GET, read until EOF or an
 * error, close. A connection that ends without a byte of answer is a refusal; one that
 * got bytes is "answered" (the ban did not hold). Prints one JSON line:
 *   {"refused":N,"answered":N,"connect_errors":N,"secs":S,"per_s":R,"first_error":"..."}
 */
#define _GNU_SOURCE
#include <arpa/inet.h>
#include <errno.h>
#include <netinet/in.h>
#include <pthread.h>
#include <stdatomic.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/socket.h>
#include <sys/time.h>
#include <time.h>
#include <unistd.h>

#ifndef IP_BIND_ADDRESS_NO_PORT
#define IP_BIND_ADDRESS_NO_PORT 24
#endif

static struct sockaddr_in src, dst;
static double deadline;
static atomic_long refused, answered, conn_err;
static char first_error[128];
static pthread_mutex_t err_mu = PTHREAD_MUTEX_INITIALIZER;

static double
now(void)
{
    struct timespec ts;
    clock_gettime(CLOCK_MONOTONIC, &ts);
    return (double)ts.tv_sec + (double)ts.tv_nsec / 1e9;
}

static void
note_error(const char *what, int e)
{
    pthread_mutex_lock(&err_mu);
    if (!first_error[0])
        snprintf(first_error, sizeof first_error, "%s: %s", what, strerror(e));
    pthread_mutex_unlock(&err_mu);
}

static void *
worker(void *arg)
{
    static const char req[] = "GET / HTTP/1.1\r\nHost: bench\r\n\r\n";
    char buf[4096];
    int one = 1;
    struct timeval tv = { .tv_sec = 2, .tv_usec = 0 };

    (void)arg;
    while (now() < deadline) {
        int fd = socket(AF_INET, SOCK_STREAM | SOCK_CLOEXEC, 0);
        if (fd < 0) {
            note_error("socket", errno);
            atomic_fetch_add(&conn_err, 1);
            usleep(1000);
            continue;
        }
        setsockopt(fd, IPPROTO_IP, IP_BIND_ADDRESS_NO_PORT, &one, sizeof one);
        setsockopt(fd, SOL_SOCKET, SO_RCVTIMEO, &tv, sizeof tv);
        setsockopt(fd, SOL_SOCKET, SO_SNDTIMEO, &tv, sizeof tv);
        if (bind(fd, (struct sockaddr *)&src, sizeof src) < 0 ||
            connect(fd, (struct sockaddr *)&dst, sizeof dst) < 0) {
            int e = errno;
            close(fd);
            if (e == ECONNREFUSED || e == ECONNRESET) {
                atomic_fetch_add(&refused, 1);  /* refused before the handshake completed */
                continue;
            }
            note_error("connect", e);
            atomic_fetch_add(&conn_err, 1);
            usleep(1000);
            continue;
        }
        /* the write may fail once the peer has closed: that is a refusal too */
        ssize_t w = send(fd, req, sizeof req - 1, MSG_NOSIGNAL);
        (void)w;
        long got = 0;
        for (;;) {
            ssize_t n = recv(fd, buf, sizeof buf, 0);
            if (n > 0) {
                got += n;
                continue;
            }
            if (n < 0 && errno == EINTR)
                continue;
            if (n < 0 && (errno == EAGAIN || errno == EWOULDBLOCK)) {
                note_error("recv (2 s without EOF)", errno);
                got = got ? got : -1;
            }
            break;
        }
        close(fd);
        if (got > 0)
            atomic_fetch_add(&answered, 1);
        else if (got == 0)
            atomic_fetch_add(&refused, 1);
        else
            atomic_fetch_add(&conn_err, 1);
    }
    return NULL;
}

int
main(int argc, char **argv)
{
    const char *sip = "127.0.0.66", *dip = "127.0.0.1";
    int port = 0, threads = 4, opt;
    double secs = 5;

    while ((opt = getopt(argc, argv, "b:a:p:t:d:")) != -1) {
        switch (opt) {
        case 'b': sip = optarg; break;
        case 'a': dip = optarg; break;
        case 'p': port = atoi(optarg); break;
        case 't': threads = atoi(optarg); break;
        case 'd': secs = atof(optarg); break;
        default:
            fprintf(stderr, "usage: %s -b SRC_IP -a DST_IP -p PORT [-t THREADS] [-d SECONDS]\n",
                    argv[0]);
            return 2;
        }
    }
    if (port <= 0 || port > 65535 || threads < 1 || threads > 256 || secs <= 0 || secs > 600) {
        fprintf(stderr, "refusebench: bad arguments\n");
        return 2;
    }
    src.sin_family = dst.sin_family = AF_INET;
    dst.sin_port = htons((unsigned short)port);
    if (inet_pton(AF_INET, sip, &src.sin_addr) != 1 || inet_pton(AF_INET, dip, &dst.sin_addr) != 1) {
        fprintf(stderr, "refusebench: bad address\n");
        return 2;
    }
    pthread_t *t = calloc((size_t)threads, sizeof *t);
    if (!t)
        return 1;
    double t0 = now();
    deadline = t0 + secs;
    for (int i = 0; i < threads; i++)
        if (pthread_create(&t[i], NULL, worker, NULL) != 0) {
            fprintf(stderr, "refusebench: pthread_create failed\n");
            return 1;
        }
    for (int i = 0; i < threads; i++)
        pthread_join(t[i], NULL);
    double el = now() - t0;
    long r = atomic_load(&refused);
    printf("{\"refused\":%ld,\"answered\":%ld,\"connect_errors\":%ld,\"secs\":%.3f,"
           "\"per_s\":%.1f,\"first_error\":\"%s\"}\n",
           r, atomic_load(&answered), atomic_load(&conn_err), el, (double)r / el, first_error);
    free(t);
    return 0;
}

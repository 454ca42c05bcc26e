/* wsbench: WebSocket echo load generator for bench/run.py (see docs/bench.md).
 *
 *   wsbench -p PORT [-c CONNS] [-s BYTES] [-d SECONDS] [-u PATH]
 *
 * Opens CONNS connections to 127.0.0.1:PORT, upgrades each with GET PATH (default /ws),
 * then, once all are open, has every connection send one masked binary message of BYTES
 * bytes, wait for the whole echo (checking its length and content), and send the next,
 * for SECONDS. One thread, epoll, non-blocking sockets, libc only.
 *
 * Prints one JSON line on stdout:
 *   {"conns":50,"open":50,"size":16384,"secs":8.001,"msgs":123,"bytes":2015232,
 *    "mb_s":251.9,"errors":0,"error":""}
 * bytes = payload bytes echoed back (one direction), mb_s = bytes / 1e6 / secs.
 * Exit status 0 if at least one message was echoed and nothing failed, else 1.
 */
#define _GNU_SOURCE
#include <arpa/inet.h>
#include <errno.h>
#include <fcntl.h>
#include <netinet/in.h>
#include <netinet/tcp.h>
#include <signal.h>
#include <stdarg.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/epoll.h>
#include <sys/socket.h>
#include <time.h>
#include <unistd.h>

enum { ST_CONNECTING, ST_HANDSHAKE, ST_OPEN, ST_DEAD };

struct conn {
    int fd;
    int state;
    size_t out_off;             /* bytes of the frame (or handshake) written so far */
    int sending;                /* a frame is being written */
    char hs[1024];              /* handshake response head */
    size_t hs_len;
    /* frame parser */
    unsigned char hdr[14];
    size_t hlen, hneed;
    uint64_t need;              /* payload bytes left in the current frame */
    int opcode, fin;
    uint64_t msg_bytes;         /* payload bytes of the current message so far */
};

static struct conn *conns;
static int nconns = 50, port, running;
static size_t msg_size = 16384;
static double duration = 8.0;
static const char *path = "/ws";
static unsigned char *frame, *payload;
static size_t frame_len;
static char request[512];
static size_t request_len;
static uint64_t msgs, errors;
static char first_error[256];

static double now(void)
{
    struct timespec ts;
    clock_gettime(CLOCK_MONOTONIC, &ts);
    return ts.tv_sec + ts.tv_nsec / 1e9;
}

static void fail(struct conn *c, const char *fmt, ...)
{
    if (c->state == ST_DEAD)
        return;
    errors++;
    if (!first_error[0]) {
        va_list ap;
        va_start(ap, fmt);
        vsnprintf(first_error, sizeof first_error, fmt, ap);
        va_end(ap);
    }
    close(c->fd);
    c->state = ST_DEAD;
}

static void json_str(const char *s)
{
    putchar('"');
    for (; *s; s++) {
        if (*s == '"' || *s == '\\')
            printf("\\%c", *s);
        else if ((unsigned char)*s < 0x20)
            printf("\\u%04x", *s);
        else
            putchar(*s);
    }
    putchar('"');
}

/* Write as much of the current frame as the socket takes. */
static void pump_out(struct conn *c)
{
    while (c->state == ST_OPEN && c->sending) {
        ssize_t n = write(c->fd, frame + c->out_off, frame_len - c->out_off);
        if (n < 0) {
            if (errno == EINTR)
                continue;
            if (errno != EAGAIN)
                fail(c, "write: %s", strerror(errno));
            return;
        }
        c->out_off += (size_t)n;
        if (c->out_off == frame_len)
            c->sending = 0;
    }
}

static void start_message(struct conn *c)
{
    c->sending = 1;
    c->out_off = 0;
    pump_out(c);
}

static void frame_done(struct conn *c)
{
    int op = c->opcode;
    c->hlen = 0;
    c->hneed = 2;
    if (op >= 8) {               /* control frame */
        if (op == 8)
            fail(c, "server sent close");
        return;                  /* ping/pong: ignored (the server does not ping) */
    }
    if (!c->fin)
        return;
    if (c->msg_bytes != msg_size) {
        fail(c, "echo of %llu bytes, sent %zu", (unsigned long long)c->msg_bytes, msg_size);
        return;
    }
    c->msg_bytes = 0;
    if (c->sending) {
        fail(c, "echo completed before the message was sent");
        return;
    }
    if (running) {
        msgs++;
        start_message(c);
    }
}

/* Feed echoed bytes through the frame parser. */
static void parse(struct conn *c, const unsigned char *p, size_t n)
{
    while (n > 0 && c->state == ST_OPEN) {
        if (c->need > 0) {
            size_t take = c->need < n ? (size_t)c->need : n;
            if (c->opcode < 8) {
                if (c->msg_bytes + take > msg_size) {
                    fail(c, "echo longer than the message");
                    return;
                }
                if (memcmp(p, payload + c->msg_bytes, take) != 0) {
                    fail(c, "echo content differs at byte %llu",
                         (unsigned long long)c->msg_bytes);
                    return;
                }
                c->msg_bytes += take;
            }
            c->need -= take;
            p += take;
            n -= take;
            if (c->need == 0)
                frame_done(c);
            continue;
        }
        c->hdr[c->hlen++] = *p++;
        n--;
        if (c->hlen == 2) {
            unsigned len7 = c->hdr[1] & 0x7f;
            c->hneed = 2 + (len7 == 126 ? 2 : len7 == 127 ? 8 : 0) + (c->hdr[1] & 0x80 ? 4 : 0);
        }
        if (c->hlen >= 2 && c->hlen == c->hneed) {
            if (c->hdr[1] & 0x80) {
                fail(c, "server frame is masked");
                return;
            }
            c->fin = c->hdr[0] >> 7;
            c->opcode = c->hdr[0] & 0x0f;
            unsigned len7 = c->hdr[1] & 0x7f;
            uint64_t len = len7;
            if (len7 == 126)
                len = (uint64_t)c->hdr[2] << 8 | c->hdr[3];
            else if (len7 == 127) {
                len = 0;
                for (int i = 2; i < 10; i++)
                    len = len << 8 | c->hdr[i];
            }
            if (c->opcode != 0 && c->opcode != 1 && c->opcode != 2 && c->opcode < 8) {
                fail(c, "unexpected opcode %d", c->opcode);
                return;
            }
            c->need = len;
            if (len == 0)
                frame_done(c);
        }
    }
}

static unsigned char rbuf[256 * 1024];

static void on_event(struct conn *c, uint32_t ev)
{
    if (c->state == ST_CONNECTING) {
        if (!(ev & (EPOLLOUT | EPOLLERR | EPOLLHUP)))
            return;
        int err = 0;
        socklen_t el = sizeof err;
        getsockopt(c->fd, SOL_SOCKET, SO_ERROR, &err, &el);
        if (err) {
            fail(c, "connect: %s", strerror(err));
            return;
        }
        c->state = ST_HANDSHAKE;
        ssize_t n = write(c->fd, request, request_len);
        if (n != (ssize_t)request_len) {
            fail(c, "handshake write failed");
            return;
        }
    }
    if (c->state == ST_OPEN && (ev & EPOLLOUT))
        pump_out(c);
    if (!(ev & (EPOLLIN | EPOLLERR | EPOLLHUP)))
        return;
    for (;;) {
        if (c->state == ST_DEAD)
            return;
        ssize_t n = read(c->fd, rbuf, sizeof rbuf);
        if (n < 0) {
            if (errno == EINTR)
                continue;
            if (errno != EAGAIN)
                fail(c, "read: %s", strerror(errno));
            return;
        }
        if (n == 0) {
            fail(c, "connection closed by the peer");
            return;
        }
        if (c->state == ST_HANDSHAKE) {
            size_t room = sizeof c->hs - 1 - c->hs_len;
            size_t take = (size_t)n < room ? (size_t)n : room;
            memcpy(c->hs + c->hs_len, rbuf, take);
            c->hs_len += take;
            c->hs[c->hs_len] = 0;
            char *end = strstr(c->hs, "\r\n\r\n");
            if (!end) {
                if (c->hs_len == sizeof c->hs - 1)
                    fail(c, "handshake response too long");
                continue;
            }
            if (strncmp(c->hs, "HTTP/1.1 101", 12) != 0) {
                char *eol = strstr(c->hs, "\r\n");
                *eol = 0;
                fail(c, "handshake answered: %s", c->hs);
                return;
            }
            c->state = ST_OPEN;
            c->hneed = 2;
            size_t head = (size_t)(end + 4 - c->hs);
            if (head < c->hs_len)       /* frame bytes behind the head (none expected) */
                parse(c, (unsigned char *)c->hs + head, c->hs_len - head);
            if ((size_t)n > take) {
                fail(c, "handshake response too long");
                return;
            }
            continue;
        }
        parse(c, rbuf, (size_t)n);
    }
}

static void usage(void)
{
    fprintf(stderr, "usage: wsbench -p PORT [-c CONNS] [-s BYTES] [-d SECONDS] [-u PATH]\n");
    exit(2);
}

int main(int argc, char **argv)
{
    int opt;
    while ((opt = getopt(argc, argv, "p:c:s:d:u:")) != -1) {
        switch (opt) {
        case 'p': port = atoi(optarg); break;
        case 'c': nconns = atoi(optarg); break;
        case 's': msg_size = (size_t)strtoull(optarg, NULL, 10); break;
        case 'd': duration = atof(optarg); break;
        case 'u': path = optarg; break;
        default: usage();
        }
    }
    if (port <= 0 || port > 65535 || nconns < 1 || msg_size < 1 || msg_size > (16u << 20) ||
        duration <= 0)
        usage();
    signal(SIGPIPE, SIG_IGN);

    /* one pre-masked frame shared by every connection */
    size_t hl = 2 + (msg_size < 126 ? 0 : msg_size < 65536 ? 2 : 8) + 4;
    frame_len = hl + msg_size;
    frame = malloc(frame_len);
    payload = malloc(msg_size);
    if (!frame || !payload)
        return 1;
    const unsigned char key[4] = {0x37, 0xfa, 0x21, 0x3d};
    frame[0] = 0x82;                     /* FIN, binary */
    if (msg_size < 126) {
        frame[1] = 0x80 | (unsigned char)msg_size;
    } else if (msg_size < 65536) {
        frame[1] = 0x80 | 126;
        frame[2] = (unsigned char)(msg_size >> 8);
        frame[3] = (unsigned char)msg_size;
    } else {
        frame[1] = 0x80 | 127;
        for (int i = 0; i < 8; i++)
            frame[2 + i] = (unsigned char)((uint64_t)msg_size >> (56 - 8 * i));
    }
    memcpy(frame + hl - 4, key, 4);
    for (size_t i = 0; i < msg_size; i++) {
        payload[i] = (unsigned char)(i * 31 + (i >> 8) * 7 + 1);
        frame[hl + i] = payload[i] ^ key[i & 3];
    }
    request_len = (size_t)snprintf(request, sizeof request,
        "GET %s HTTP/1.1\r\nHost: 127.0.0.1:%d\r\nUpgrade: websocket\r\n"
        "Connection: Upgrade\r\nSec-WebSocket-Key: dGhlIHNhbXBsZSBub25jZQ==\r\n"
        "Sec-WebSocket-Version: 13\r\n\r\n", path, port);

    int ep = epoll_create1(0);
    conns = calloc((size_t)nconns, sizeof *conns);
    if (ep < 0 || !conns)
        return 1;
    struct sockaddr_in sa = {.sin_family = AF_INET, .sin_port = htons((uint16_t)port)};
    sa.sin_addr.s_addr = htonl(INADDR_LOOPBACK);
    for (int i = 0; i < nconns; i++) {
        struct conn *c = &conns[i];
        c->fd = socket(AF_INET, SOCK_STREAM | SOCK_NONBLOCK | SOCK_CLOEXEC, 0);
        if (c->fd < 0) {
            c->state = ST_DEAD;
            errors++;
            snprintf(first_error, sizeof first_error, "socket: %s", strerror(errno));
            continue;
        }
        int one = 1;
        setsockopt(c->fd, IPPROTO_TCP, TCP_NODELAY, &one, sizeof one);
        if (connect(c->fd, (struct sockaddr *)&sa, sizeof sa) < 0 && errno != EINPROGRESS) {
            fail(c, "connect: %s", strerror(errno));
            continue;
        }
        struct epoll_event e = {.events = EPOLLIN | EPOLLOUT | EPOLLET, .data.ptr = c};
        epoll_ctl(ep, EPOLL_CTL_ADD, c->fd, &e);
    }

    struct epoll_event evs[256];
    /* phase 1: connect and upgrade every connection (at most 10 s) */
    double deadline = now() + 10.0;
    for (;;) {
        int pending = 0;
        for (int i = 0; i < nconns; i++)
            pending += conns[i].state == ST_CONNECTING || conns[i].state == ST_HANDSHAKE;
        if (!pending)
            break;
        if (now() > deadline) {
            for (int i = 0; i < nconns; i++)
                if (conns[i].state == ST_CONNECTING || conns[i].state == ST_HANDSHAKE)
                    fail(&conns[i], "not upgraded within 10 s");
            break;
        }
        int n = epoll_wait(ep, evs, 256, 100);
        for (int i = 0; i < n; i++)
            on_event(evs[i].data.ptr, evs[i].events);
    }
    int open = 0;
    for (int i = 0; i < nconns; i++)
        open += conns[i].state == ST_OPEN;

    /* phase 2: echo for the duration */
    double t0 = now(), t1 = t0;
    if (open) {
        running = 1;
        for (int i = 0; i < nconns; i++)
            if (conns[i].state == ST_OPEN)
                start_message(&conns[i]);
        double end = t0 + duration;
        for (;;) {
            t1 = now();
            if (t1 >= end)
                break;
            int alive = 0;
            for (int i = 0; i < nconns; i++)
                alive += conns[i].state == ST_OPEN;
            if (!alive)
                break;
            int ms = (int)((end - t1) * 1000) + 1;
            int n = epoll_wait(ep, evs, 256, ms < 100 ? ms : 100);
            for (int i = 0; i < n; i++)
                on_event(evs[i].data.ptr, evs[i].events);
        }
        running = 0;
    }
    for (int i = 0; i < nconns; i++)
        if (conns[i].state != ST_DEAD)
            close(conns[i].fd);

    double secs = t1 - t0;
    uint64_t bytes = msgs * (uint64_t)msg_size;
    printf("{\"conns\":%d,\"open\":%d,\"size\":%zu,\"secs\":%.3f,\"msgs\":%llu,\"bytes\":%llu,"
           "\"mb_s\":%.2f,\"errors\":%llu,\"error\":",
           nconns, open, msg_size, secs, (unsigned long long)msgs, (unsigned long long)bytes,
           secs > 0 ? bytes / 1e6 / secs : 0.0, (unsigned long long)errors);
    json_str(first_error);
    printf("}\n");
    return msgs > 0 && errors == 0 ? 0 : 1;
}

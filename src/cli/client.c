/*
 * cli/client.c: the CLI's side of the control API: finds the socket, sends one request
 * with Connection: close, reads until the response is complete (http/h1 parses the head)
 * and decodes the JSON body. Knows the wire format only, never daemon internals.
 */
#include "cli/client.h"

#include <errno.h>
#include <poll.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/socket.h>
#include <sys/un.h>
#include <unistd.h>

#include "core/clock.h"
#include "ctl/ctl_conf.h"
#include "http/h1.h"

#define CLIENT_REPLY_MAX_BYTES (64u << 20)

void
client_socket_path(const char *flag, char *out, size_t n)
{
    const char *env = getenv("TIERD_SOCKET");

    if (flag && *flag)
        snprintf(out, n, "%s", flag);
    else if (env && *env)
        snprintf(out, n, "%s", env);
    else if (ctl_conf_socket_of("tierd.yaml", out, n) != 0)
        snprintf(out, n, "%s", CTL_CONF_SOCKET_DEFAULT);
}

/* Waits for fd to be ready for `events` until the deadline; 0, or -ETIMEDOUT. */
static int
wait_fd(int fd, short events, uint64_t deadline_ms)
{
    for (;;) {
        uint64_t now = clock_mono_ms();
        if (now >= deadline_ms)
            return -ETIMEDOUT;
        struct pollfd p = { .fd = fd, .events = events };
        int rc = poll(&p, 1, (int)(deadline_ms - now));
        if (rc > 0)
            return 0;
        if (rc < 0 && errno != EINTR)
            return -errno;
    }
}

static int
send_all(int fd, const char *p, size_t n, uint64_t deadline_ms)
{
    while (n > 0) {
        ssize_t w = send(fd, p, n, MSG_NOSIGNAL);
        if (w > 0) {
            p += w;
            n -= (size_t)w;
            continue;
        }
        if (w < 0 && errno == EINTR)
            continue;
        if (w < 0 && errno == EAGAIN) {
            int rc = wait_fd(fd, POLLOUT, deadline_ms);
            if (rc < 0)
                return rc;
            continue;
        }
        return w < 0 ? -errno : -EPIPE;
    }
    return 0;
}

/* Reads the whole response into *buf; returns 0 with the head parsed into r. */
static int
read_reply(int fd, const char *method, uint64_t deadline_ms, struct h1_response *r, char **buf,
           size_t *len, char *err, size_t errlen)
{
    struct h1_limits lim;
    size_t cap = 0;
    ssize_t head = -EAGAIN;
    const char *why = "";
    bool eof = false;

    h1_limits_default(&lim);
    *buf = NULL;
    *len = 0;
    for (;;) {
        if (head == -EAGAIN && *len > 0) {
            head = h1_parse_response(*buf, *len, &lim, strcmp(method, "HEAD") == 0, r, &why);
            if (head == -EBADMSG) {
                snprintf(err, errlen, "the daemon sent a malformed response: %s", why);
                return -EPROTO;
            }
        }
        if (head > 0) {
            if (r->framing == H1_FRAMING_LENGTH && *len - (size_t)head >= r->content_length)
                return 0;
            if (r->framing == H1_FRAMING_NONE)
                return 0;
            if (r->framing == H1_FRAMING_CHUNKED) {
                snprintf(err, errlen, "the daemon sent a chunked response, which the CLI "
                                      "does not read");
                return -EPROTO;
            }
        }
        if (eof) {
            if (head > 0 && r->framing == H1_FRAMING_CLOSE)
                return 0;
            snprintf(err, errlen, "the daemon closed the connection before a whole response");
            return -EPROTO;
        }
        if (cap - *len < 16384) {
            cap = cap ? cap * 2 : 65536;
            if (cap > CLIENT_REPLY_MAX_BYTES) {
                snprintf(err, errlen, "the response is larger than %u MiB",
                         CLIENT_REPLY_MAX_BYTES >> 20);
                return -EMSGSIZE;
            }
            char *nb = realloc(*buf, cap + 1);
            if (!nb) {
                snprintf(err, errlen, "out of memory");
                return -ENOMEM;
            }
            *buf = nb;
        }
        ssize_t n = recv(fd, *buf + *len, cap - *len, 0);
        if (n > 0) {
            *len += (size_t)n;
            continue;
        }
        if (n == 0) {
            eof = true;
            continue;
        }
        if (errno == EINTR)
            continue;
        if (errno == EAGAIN) {
            int rc = wait_fd(fd, POLLIN, deadline_ms);
            if (rc < 0) {
                snprintf(err, errlen, "no response within %d s", CLIENT_TIMEOUT_MS / 1000);
                return rc;
            }
            continue;
        }
        snprintf(err, errlen, "reading the response: %s", strerror(errno));
        return -errno;
    }
}

int
client_request(const char *socket_path, const char *method, const char *path,
               const char *body, struct client_reply *out, char *err, size_t errlen)
{
    static struct h1_response r;    /* 6 KiB of headers: not on the stack */
    struct sockaddr_un sa = { .sun_family = AF_UNIX };
    uint64_t deadline = clock_mono_ms() + CLIENT_TIMEOUT_MS;
    char head[1024];
    char *buf = NULL;
    size_t len = 0;
    int fd, rc;

    memset(out, 0, sizeof(*out));
    if (strlen(socket_path) >= sizeof(sa.sun_path)) {
        snprintf(err, errlen, "the socket path is too long");
        return -ENAMETOOLONG;
    }
    snprintf(sa.sun_path, sizeof(sa.sun_path), "%s", socket_path);
    fd = socket(AF_UNIX, SOCK_STREAM | SOCK_CLOEXEC | SOCK_NONBLOCK, 0);
    if (fd < 0) {
        snprintf(err, errlen, "%s", strerror(errno));
        return -errno;
    }
    /* A unix-socket connect either completes or fails at once (EAGAIN: backlog full). */
    if (connect(fd, (struct sockaddr *)&sa, sizeof(sa)) < 0) {
        rc = -errno;
        snprintf(err, errlen, "%s", strerror(errno));
        close(fd);
        return rc;
    }
    /* Every method but GET and HEAD carries the JSON type, body or not: the API refuses
     * state changes without it (what a web page cannot send). */
    bool typed = body || (strcmp(method, "GET") != 0 && strcmp(method, "HEAD") != 0);
    snprintf(head, sizeof(head),
             "%s %s HTTP/1.1\r\nHost: tierd\r\nUser-Agent: tierd-cli\r\nAccept: "
             "application/json\r\nConnection: close\r\n%sContent-Length: %zu\r\n\r\n",
             method, path, typed ? "Content-Type: application/json\r\n" : "",
             body ? strlen(body) : (size_t)0);
    if ((rc = send_all(fd, head, strlen(head), deadline)) < 0 ||
        (body && (rc = send_all(fd, body, strlen(body), deadline)) < 0)) {
        snprintf(err, errlen, "sending the request: %s", strerror(-rc));
        close(fd);
        return rc;
    }
    rc = read_reply(fd, method, deadline, &r, &buf, &len, err, errlen);
    close(fd);
    if (rc < 0) {
        free(buf);
        return rc;
    }
    size_t hl = r.head_len;
    out->status = r.status;
    out->body_len = len - hl;
    if (r.framing == H1_FRAMING_LENGTH && out->body_len > r.content_length)
        out->body_len = (size_t)r.content_length;
    memmove(buf, buf + hl, out->body_len);
    buf[out->body_len] = '\0';
    out->body = buf;
    out->json = json_loadb(buf, out->body_len, 0, NULL);
    return 0;
}

void
client_reply_fini(struct client_reply *r)
{
    json_decref(r->json);
    free(r->body);
    memset(r, 0, sizeof(*r));
}

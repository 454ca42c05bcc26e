/*
 * daemon/accessroll.c: access-log rotation, retention and syslog shipping (see
 * accessroll.h). Rotation renames the live file and asks the edge to reopen: a worker that
 * writes before it has reopened appends to the rotated file, so no line is lost and a
 * rotated file may pass max_size by what the workers write in one round (250 ms).
 * Shipping reads the file like `tail -F`: it follows the live file across rotations (ours
 * or logrotate's), sends one datagram per line, and when the socket is full or gone it
 * waits where it is, so lines are late rather than lost while the file lasts.
 */
#include "daemon/accessroll.h"

#include <errno.h>
#include <fcntl.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/socket.h>
#include <sys/stat.h>
#include <sys/un.h>
#include <unistd.h>

#include "conf/keys.h"
#include "conf/value.h"
#include "core/clock.h"
#include "core/log.h"
#include "core/logrotate.h"
#include "core/loop.h"
#include "core/mem.h"
#include "edge/edge.h"
#include "edge/edge_keys.h"

#define ACCESSROLL_TICK_MS 250
#define ACCESSROLL_PRUNE_MS (3600 * 1000ull)
#define ACCESSROLL_RECONNECT_MS 5000
#define ACCESSROLL_LINE_MAX (16 * 1024)     /* longer lines are cut (a datagram each) */
#define ACCESSROLL_ROUND_BYTES (4u << 20)   /* what one round ships at most */

/* syslog's facility codes, in the order of the key's words (edge/edge_keys.c). */
static const int facility_codes[] = { 1, 3, 16, 17, 18, 19, 20, 21, 22, 23 };

struct accessroll {
    struct loop *loop;
    struct edge *edge;
    struct loop_timer timer;
    struct accessroll_conf *conf;
    uint64_t pruned_ms;
    int sock;                   /* connected datagram socket, or -1 */
    uint64_t sock_retry_ms;
    int tail;                   /* the file being shipped, or -1 */
    dev_t tail_dev;
    ino_t tail_ino;
    char *line;                 /* ACCESSROLL_LINE_MAX + the priority and tag */
};

static const struct conf_key *
key(enum edge_key id)
{
    return &edge_keys[id];
}

struct accessroll_conf *
accessroll_conf_build(const struct conf_node *root, struct diag *d)
{
    struct accessroll_conf *c = mem_alloc_or_exit(sizeof(*c));
    const struct conf_node *al = conf_key_get(root, key(EK_ACCESS_LOG));
    const char *path = NULL, *sock = NULL, *tag = NULL;
    unsigned before = diag_count(d);

    memset(c, 0, sizeof(*c));
    if (!al || al->kind != CONF_MAP)        /* the edge reports a wrong kind */
        return c;
    if (conf_key_string(al, key(EK_AL_PATH), &path, d) == 0 && strcmp(path, "off") != 0)
        c->path = mem_strdup_or_exit(path);
    conf_key_size(al, key(EK_AL_MAX_SIZE), &c->max_size, d);
    conf_key_duration(al, key(EK_AL_RETENTION), &c->retention_ms, d);
    const struct conf_node *sl = conf_key_get(al, key(EK_AL_SYSLOG));
    if (sl && conf_expect(sl, CONF_MAP, "access_log.syslog", d) == 0) {
        conf_key_check_map(sl, edge_keys, EK_COUNT, key(EK_AL_SYSLOG), "access_log.syslog", d);
        c->syslog = true;
        if (conf_key_string(sl, key(EK_AL_SL_SOCKET), &sock, d) == 0)
            c->syslog_socket = mem_strdup_or_exit(sock);
        int f = conf_key_enum(sl, key(EK_AL_SL_FACILITY), d);
        c->syslog_facility = facility_codes[f >= 0 ? f : 9];
        if (conf_key_string(sl, key(EK_AL_SL_TAG), &tag, d) == 0)
            c->syslog_tag = mem_strdup_or_exit(tag);
    }
    if (diag_count(d) > before) {
        accessroll_conf_free(c);
        return NULL;
    }
    return c;
}

void
accessroll_conf_free(struct accessroll_conf *c)
{
    if (!c)
        return;
    free(c->path);
    free(c->syslog_socket);
    free(c->syslog_tag);
    free(c);
}

static void
close_fd(int *fd)
{
    if (*fd >= 0)
        close(*fd);
    *fd = -1;
}

/* Opens the live file for shipping, at its end (at_end) or its start (a new file). */
static void
tail_open(struct accessroll *r, bool at_end)
{
    struct stat st;

    close_fd(&r->tail);
    r->tail = open(r->conf->path, O_RDONLY | O_CLOEXEC);
    if (r->tail < 0)
        return;                             /* not written yet: the next round looks again */
    if (fstat(r->tail, &st) < 0) {
        close_fd(&r->tail);
        return;
    }
    r->tail_dev = st.st_dev;
    r->tail_ino = st.st_ino;
    if (at_end)
        lseek(r->tail, 0, SEEK_END);
}

static void
sock_open(struct accessroll *r, uint64_t now_ms)
{
    struct sockaddr_un sa = { .sun_family = AF_UNIX };

    if (r->sock >= 0 || now_ms < r->sock_retry_ms)
        return;
    snprintf(sa.sun_path, sizeof(sa.sun_path), "%s", r->conf->syslog_socket);
    r->sock = socket(AF_UNIX, SOCK_DGRAM | SOCK_CLOEXEC | SOCK_NONBLOCK, 0);
    if (r->sock >= 0 && connect(r->sock, (struct sockaddr *)&sa, sizeof(sa)) == 0)
        return;
    log_warn("daemon", "access log: cannot reach syslog socket path=%s err=\"%s\"; lines wait "
             "in the file, retrying in %us", sa.sun_path, strerror(errno),
             ACCESSROLL_RECONNECT_MS / 1000);
    close_fd(&r->sock);
    r->sock_retry_ms = now_ms + ACCESSROLL_RECONNECT_MS;
}

/* Sends one line; false when the socket cannot take it now (the caller stops there). */
static bool
ship_line(struct accessroll *r, const char *s, size_t n, uint64_t now_ms)
{
    int hl = snprintf(r->line, 64, "<%d>%s: ", r->conf->syslog_facility * 8 + 6,
                      r->conf->syslog_tag);
    size_t len = n < ACCESSROLL_LINE_MAX ? n : ACCESSROLL_LINE_MAX;

    memcpy(r->line + hl, s, len);
    for (;;) {
        if (send(r->sock, r->line, (size_t)hl + len, MSG_DONTWAIT | MSG_NOSIGNAL) >= 0)
            return true;
        if (errno == EINTR)
            continue;
        if (errno != EAGAIN && errno != ENOBUFS) {
            log_warn("daemon", "access log: syslog send failed path=%s err=\"%s\"; reconnecting",
                     r->conf->syslog_socket, strerror(errno));
            close_fd(&r->sock);
            r->sock_retry_ms = now_ms + ACCESSROLL_RECONNECT_MS;
        }
        return false;
    }
}

/* Ships what the file gained since the last round, then follows a rotation. */
static void
ship(struct accessroll *r, uint64_t now_ms)
{
    static char buf[64 * 1024];    /* the main thread's only */
    size_t round = 0;
    struct stat st;

    sock_open(r, now_ms);
    if (r->sock < 0)
        return;
    if (r->tail < 0)
        tail_open(r, false);
    while (r->tail >= 0 && round < ACCESSROLL_ROUND_BYTES) {
        off_t at = lseek(r->tail, 0, SEEK_CUR);
        ssize_t n = read(r->tail, buf, sizeof(buf));
        if (n < 0 && errno == EINTR)
            continue;
        if (n <= 0) {
            /* At the end: if the live name is another file now, the old one is done. */
            if (stat(r->conf->path, &st) == 0 &&
                (st.st_ino != r->tail_ino || st.st_dev != r->tail_dev)) {
                tail_open(r, false);
                continue;
            }
            if (fstat(r->tail, &st) == 0 && st.st_size < at)   /* truncated (copytruncate) */
                lseek(r->tail, 0, SEEK_SET);
            return;
        }
        size_t used = 0;
        while (used < (size_t)n) {
            const char *s = buf + used, *nl = memchr(s, '\n', (size_t)n - used);
            size_t len = nl ? (size_t)(nl - s) : (size_t)n - used, next = len + 1;
            if (!nl) {
                if (len < ACCESSROLL_LINE_MAX)
                    break;                  /* the rest of the line is not written yet */
                len = next = ACCESSROLL_LINE_MAX;   /* longer than a datagram: sent cut */
            }
            if (!ship_line(r, s, len, now_ms)) {
                lseek(r->tail, at + (off_t)used, SEEK_SET);
                return;
            }
            used += next;
        }
        /* Whatever was not shipped (a partial line) is read again next time. */
        lseek(r->tail, at + (off_t)used, SEEK_SET);
        round += used;
        if (used == 0)
            return;
    }
}

static void
prune(struct accessroll *r, uint64_t now_ms)
{
    int n = logrotate_prune(r->conf->path, now_ms, r->conf->retention_ms);

    r->pruned_ms = now_ms;
    if (n > 0)
        log_info("daemon", "access log: deleted rotated files past retention path=%s files=%d",
                 r->conf->path, n);
    else if (n < 0)
        log_warn("daemon", "access log: cannot prune rotated files path=%s err=\"%s\"",
                 r->conf->path, strerror(-n));
}

void
accessroll_tick(struct accessroll *r, uint64_t now_ms)
{
    struct accessroll_conf *c = r->conf;
    struct stat st;
    char to[4096 + 64];

    if (!c || !c->path)
        return;
    if ((c->max_size || c->retention_ms) && stat(c->path, &st) == 0) {
        uint64_t mtime_ms = (uint64_t)st.st_mtim.tv_sec * 1000 +
                            (uint64_t)st.st_mtim.tv_nsec / 1000000;
        if (logrotate_is_due((uint64_t)st.st_size, mtime_ms, now_ms, c->max_size,
                             c->retention_ms != 0)) {
            int rc = logrotate_rotate(c->path, now_ms, to, sizeof(to));
            if (rc == 0) {
                edge_reopen_logs(r->edge);
                log_info("daemon", "access log rotated path=%s to=%s bytes=%lld", c->path, to,
                         (long long)st.st_size);
                if (c->retention_ms)
                    prune(r, now_ms);
            } else if (rc != -ENOENT) {
                log_warn("daemon", "access log: cannot rotate path=%s err=\"%s\"", c->path,
                         strerror(-rc));
            }
        }
    }
    if (c->retention_ms && now_ms - r->pruned_ms >= ACCESSROLL_PRUNE_MS)
        prune(r, now_ms);
    if (c->syslog)
        ship(r, now_ms);
}

static void
on_tick(struct loop *l, struct loop_timer *t)
{
    struct accessroll *r = container_of(t, struct accessroll, timer);

    accessroll_tick(r, clock_wall_ms());
    loop_timer_start(l, t, ACCESSROLL_TICK_MS, on_tick);
}

struct accessroll *
accessroll_new(struct loop *loop, struct edge *edge)
{
    struct accessroll *r = mem_alloc_or_exit(sizeof(*r));

    memset(r, 0, sizeof(*r));
    r->loop = loop;
    r->edge = edge;
    r->sock = -1;
    r->tail = -1;
    r->line = mem_alloc_or_exit(ACCESSROLL_LINE_MAX + 64);
    return r;
}

void
accessroll_apply(struct accessroll *r, struct accessroll_conf *c)
{
    struct accessroll_conf *old = r->conf;
    bool same_ship = old && c && old->syslog && c->syslog && old->path && c->path &&
                     strcmp(old->path, c->path) == 0 &&
                     strcmp(old->syslog_socket, c->syslog_socket) == 0;

    r->conf = c;
    if (!same_ship) {
        close_fd(&r->sock);
        close_fd(&r->tail);
        r->sock_retry_ms = 0;
        if (c && c->syslog && c->path)
            tail_open(r, true);
    }
    accessroll_conf_free(old);
    if (c && c->path && c->retention_ms)
        prune(r, clock_wall_ms());
    bool active = c && c->path && (c->max_size || c->retention_ms || c->syslog);
    if (active && !loop_timer_is_armed(&r->timer))
        loop_timer_start(r->loop, &r->timer, ACCESSROLL_TICK_MS, on_tick);
    else if (!active)
        loop_timer_stop(r->loop, &r->timer);
}

void
accessroll_free(struct accessroll *r)
{
    if (!r)
        return;
    loop_timer_stop(r->loop, &r->timer);
    close_fd(&r->sock);
    close_fd(&r->tail);
    accessroll_conf_free(r->conf);
    free(r->line);
    free(r);
}

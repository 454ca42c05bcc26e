/*
 * edge/accesslog.c: the access log, buffered per worker and written in whole lines.
 * Format "combined" is nginx's, so existing tools read it; "json" adds the request time,
 * the target address and the request id. Each worker has its own descriptor (O_APPEND),
 * reopened when the path changes on reload or on SIGUSR1 (logrotate).
 */
#include "edge/accesslog.h"

#include <arpa/inet.h>
#include <errno.h>
#include <fcntl.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>
#include <time.h>
#include <unistd.h>

#include "core/clock.h"
#include "core/log.h"
#include "core/mem.h"
#include "edge/conn.h"
#include "edge/gen.h"
#include "edge/txn.h"
#include "edge/worker.h"

#define ACCESSLOG_FLUSH_BYTES (32 * 1024)
#define ACCESSLOG_FLUSH_MS 1000

static void
flush(struct worker *w)
{
    struct accesslog *al = &w->log;

    while (buf_len(&al->buf) && al->fd >= 0) {
        ssize_t n = write(al->fd, buf_head(&al->buf), buf_len(&al->buf));
        if (n < 0 && errno == EINTR)
            continue;
        if (n <= 0) {
            log_error("edge", "access log write failed path=%s err=\"%s\" lost_bytes=%zu",
                      al->path, strerror(errno), buf_len(&al->buf));
            buf_consume(&al->buf, buf_len(&al->buf));
            break;
        }
        buf_consume(&al->buf, (size_t)n);
    }
    buf_release(&al->buf);
}

static void
on_flush_timer(struct loop *l, struct loop_timer *t)
{
    (void)l;
    flush(container_of(t, struct worker, log.flush_timer));
}

static void
make_parent_dir(const char *path)
{
    char dir[4096];
    const char *slash = strrchr(path, '/');

    if (!slash || slash == path || (size_t)(slash - path) >= sizeof(dir))
        return;
    memcpy(dir, path, (size_t)(slash - path));
    dir[slash - path] = '\0';
    mkdir(dir, 0755);
}

void
accesslog_open(struct worker *w)
{
    struct accesslog *al = &w->log;
    const struct edge_conf *conf = &w->gen->conf;
    unsigned seq = atomic_load(&w->edge->log_reopen_seq);
    bool same = al->path && conf->access_log.enabled &&
                strcmp(al->path, conf->access_log.path) == 0;

    if (same && al->reopen_seq == seq && al->fd >= 0)
        return;
    flush(w);
    if (al->fd >= 0)
        close(al->fd);
    al->fd = -1;
    free(al->path);
    al->path = NULL;
    al->reopen_seq = seq;
    if (!conf->access_log.enabled)
        return;
    al->path = strdup(conf->access_log.path);
    make_parent_dir(conf->access_log.path);
    al->fd = open(conf->access_log.path, O_WRONLY | O_APPEND | O_CREAT | O_CLOEXEC, 0644);
    if (al->fd < 0)
        log_error("edge", "cannot open access log path=%s err=\"%s\"", conf->access_log.path,
                  strerror(errno));
}

void
accesslog_close(struct worker *w)
{
    loop_timer_stop(w->loop, &w->log.flush_timer);
    flush(w);
    if (w->log.fd >= 0)
        close(w->log.fd);
    w->log.fd = -1;
    free(w->log.path);
    w->log.path = NULL;
    buf_fini(&w->log.buf);
}

/* Appends s with nginx's escaping for quoted log fields: '"', '\\' and bytes outside
 * 0x20..0x7e become \xHH. json selects JSON string escaping instead. */
static void
put_escaped(struct buf *b, const char *s, bool json)
{
    static const char hex[] = "0123456789ABCDEF";

    if (!s || !*s) {
        buf_append_str(b, json ? "" : "-");
        return;
    }
    while (*s) {
        const char *run = s;
        while (*s && (unsigned char)*s >= 0x20 && (unsigned char)*s < 0x7f && *s != '"' &&
               *s != '\\')
            s++;
        if (s > run)
            buf_append(b, run, (size_t)(s - run));
        if (!*s)
            break;
        unsigned char ch = (unsigned char)*s++;
        if (json) {
            char e[7] = { '\\', 'u', '0', '0', hex[ch >> 4], hex[ch & 15], 0 };
            if (ch == '"' || ch == '\\') {
                e[1] = (char)ch;
                e[2] = 0;
            }
            buf_append_str(b, e);
        } else {
            char e[4] = { '\\', 'x', hex[ch >> 4], hex[ch & 15] };
            buf_append(b, e, 4);
        }
    }
}

static void
peer_text(const struct conn *c, char *out, size_t n)
{
    if (!inet_ntop(c->peer_family == 6 ? AF_INET6 : AF_INET, c->peer_addr, out, (socklen_t)n))
        snprintf(out, n, "-");
}

void
accesslog_write(struct worker *w, const struct txn *t, uint64_t now_us)
{
    struct accesslog *al = &w->log;
    struct buf *b = &al->buf;
    char peer[64], ts[64];
    uint64_t wall = clock_wall_ms();
    time_t sec = (time_t)(wall / 1000);
    struct tm tm;
    double rt = (double)(now_us - t->start_us) / 1e6;

    if (al->fd < 0)
        return;
    peer_text(t->c, peer, sizeof(peer));
    if (w->gen->conf.access_log.format == EDGE_LOG_JSON || al->ts_sec != (int64_t)sec)
        gmtime_r(&sec, &tm);
    if (w->gen->conf.access_log.format == EDGE_LOG_JSON) {
        size_t k = strftime(ts, sizeof(ts), "%Y-%m-%dT%H:%M:%S", &tm);
        snprintf(ts + k, sizeof(ts) - k, ".%03uZ", (unsigned)(wall % 1000));
        buf_printf(b, "{\"time\":\"%s\",\"remote_addr\":\"%s\",\"request\":\"", ts, peer);
        put_escaped(b, t->log_request, true);
        buf_append_str(b, "\",\"host\":\"");
        put_escaped(b, t->log_host, true);
        buf_printf(b, "\",\"status\":%d,\"body_bytes_sent\":%llu,\"request_time\":%.3f,"
                      "\"upstream_addr\":\"%s\",\"listener\":\"",
                   t->status, (unsigned long long)t->body_bytes_sent, rt, t->upstream_addr);
        put_escaped(b, t->lc ? t->lc->name : "", true);
        buf_append_str(b, "\",\"target_group\":\"");
        put_escaped(b, t->tg >= 0 ? t->gen->conf.tgs[t->tg].name : "", true);
        buf_printf(b, "\",\"request_id\":\"%s\",\"referer\":\"", t->request_id);
        put_escaped(b, t->log_referer, true);
        buf_append_str(b, "\",\"user_agent\":\"");
        put_escaped(b, t->log_ua, true);
        if (t->country[0])      /* two letters, from shield/geo.c: nothing to escape */
            buf_printf(b, "\",\"country\":\"%s", t->country);
        buf_append_str(b, "\"}\n");
    } else {
        if (al->ts_sec != (int64_t)sec) {
            strftime(al->ts_combined, sizeof(al->ts_combined), "%d/%b/%Y:%H:%M:%S +0000", &tm);
            al->ts_sec = (int64_t)sec;
        }
        buf_append_str(b, peer);
        buf_append_str(b, " - - [");
        buf_append_str(b, al->ts_combined);
        buf_append_str(b, "] \"");
        put_escaped(b, t->log_request, false);
        buf_append_str(b, "\" ");
        buf_append_u64(b, (uint64_t)t->status);
        buf_append(b, " ", 1);
        buf_append_u64(b, t->body_bytes_sent);
        buf_append_str(b, " \"");
        put_escaped(b, t->log_referer, false);
        buf_append_str(b, "\" \"");
        put_escaped(b, t->log_ua, false);
        buf_append_str(b, "\"\n");
    }
    if (buf_len(b) >= ACCESSLOG_FLUSH_BYTES)
        flush(w);
    else if (!loop_timer_is_armed(&al->flush_timer))
        loop_timer_start(w->loop, &al->flush_timer, ACCESSLOG_FLUSH_MS, on_flush_timer);
}

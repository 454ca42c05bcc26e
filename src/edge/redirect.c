/*
 * edge/redirect.c: builds the Location of a redirect rule as ALB does: each part (scheme,
 * host, port, path, query) is a template over #{protocol}, #{host}, #{port}, #{path} and
 * #{query}. A port that is the scheme's default is left out of the URL; a port not written
 * is the request's when the scheme stays, else the new scheme's default. Pure: no I/O.
 */
#include "edge/redirect.h"

#include <errno.h>
#include <stdio.h>
#include <string.h>

/* Appends template tpl with its placeholders replaced. */
static void
redirect_expand(struct buf *out, const char *tpl, const struct redirect_req *q,
                struct slice host, const char *port)
{
    for (const char *p = tpl; *p;) {
        if (p[0] == '#' && p[1] == '{') {
            const char *end = strchr(p, '}');
            size_t n = end ? (size_t)(end - p + 1) : 0;
            if (n == 11 && strncmp(p, "#{protocol}", n) == 0) {
                buf_append_str(out, q->tls ? "https" : "http");
            } else if (n == 7 && strncmp(p, "#{host}", n) == 0) {
                buf_append(out, host.p, host.len);
            } else if (n == 7 && strncmp(p, "#{port}", n) == 0) {
                buf_append_str(out, port);
            } else if (n == 7 && strncmp(p, "#{path}", n) == 0) {
                if (q->path.len > 1)
                    buf_append(out, q->path.p + 1, q->path.len - 1);
            } else if (n == 8 && strncmp(p, "#{query}", n) == 0) {
                buf_append(out, q->query.p, q->query.len);
            } else {
                n = 0;
            }
            if (n) {
                p += n;
                continue;
            }
        }
        buf_append(out, p, 1);
        p++;
    }
}

int
redirect_location(const struct edge_redirect_conf *rd, const struct redirect_req *q,
                  struct buf *out)
{
    char reqport[8], scheme[16], port[32];
    struct buf tmp = { 0 };
    struct slice host = q->host;

    /* Host without its port (an IPv6 literal keeps its brackets). */
    for (size_t i = host.len; i > 0; i--) {
        if (host.p[i - 1] == ']')
            break;
        if (host.p[i - 1] == ':') {
            host.len = i - 1;
            break;
        }
    }
    snprintf(reqport, sizeof(reqport), "%u", q->port);
    tmp = (struct buf){ 0 };
    redirect_expand(&tmp, rd->scheme ? rd->scheme : "#{protocol}", q, host, reqport);
    snprintf(scheme, sizeof(scheme), "%.*s", (int)buf_len(&tmp), buf_head(&tmp));
    buf_fini(&tmp);
    bool https = strcmp(scheme, "https") == 0;
    bool same = https == q->tls;
    const char *ptpl = rd->port ? rd->port : same ? "#{port}" : NULL;
    port[0] = '\0';
    if (ptpl) {
        tmp = (struct buf){ 0 };
        redirect_expand(&tmp, ptpl, q, host, reqport);
        snprintf(port, sizeof(port), "%.*s", (int)buf_len(&tmp), buf_head(&tmp));
        buf_fini(&tmp);
    }
    if (strcmp(port, https ? "443" : "80") == 0)
        port[0] = '\0';

    if (buf_reserve(out, 256 + host.len + q->path.len + q->query.len) < 0)
        return -ENOMEM;
    buf_append_str(out, scheme);
    buf_append_str(out, "://");
    redirect_expand(out, rd->host ? rd->host : "#{host}", q, host, reqport);
    if (port[0]) {
        buf_append(out, ":", 1);
        buf_append_str(out, port);
    }
    redirect_expand(out, rd->path ? rd->path : "/#{path}", q, host, reqport);
    size_t before = buf_len(out);
    buf_append(out, "?", 1);
    redirect_expand(out, rd->query ? rd->query : "#{query}", q, host, reqport);
    if (buf_len(out) == before + 1)
        out->wpos--;              /* empty query: no '?' */
    return 0;
}

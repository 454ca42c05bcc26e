/*
 * edge/forward.c: the heads tierd sends. Requests to targets get regenerated framing,
 * hop-by-hop fields removed (9110 §7.6.1), and X-Forwarded-For/-Proto/-Port, Via and
 * X-Request-Id added; responses to clients get regenerated framing and connection
 * fields. Also the bodies of locally generated responses (errors). Writes into buffers;
 * no sockets.
 */
#include "edge/forward.h"

#include <arpa/inet.h>
#include <errno.h>
#include <stdio.h>
#include <string.h>

#include "edge/conn.h"
#include "edge/gen.h"
#include "edge/sticky.h"
#include "edge/txn.h"
#include "edge/worker.h"


#define VIA_NAME "tierd"

static void
put_field(struct buf *out, const struct h1_header *h)
{
    buf_append(out, h->name.p, h->name.len);
    buf_append(out, ": ", 2);
    buf_append(out, h->value.p, h->value.len);
    buf_append(out, "\r\n", 2);
}

int
forward_request_head(struct buf *out, const struct h1_request *r, const struct conn *c,
                     const struct txn *t)
{
    char peer[INET6_ADDRSTRLEN];
    bool xff_done = false, via_done = false, has_id = false;

    if (buf_reserve(out, r->head_len + 512) < 0)
        return -ENOMEM;
    inet_ntop(c->peer_family == 6 ? AF_INET6 : AF_INET, c->peer_addr, peer, sizeof(peer));

    buf_append(out, r->method.p, r->method.len);
    buf_append(out, " ", 1);
    if (r->absolute_form) {
        /* Towards the origin the target is origin-form (9112 §3.2.1). */
        if (r->path.len)
            buf_append(out, r->path.p, r->path.len);
        else
            buf_append(out, "/", 1);
        if (r->query.len) {
            buf_append(out, "?", 1);
            buf_append(out, r->query.p, r->query.len);
        }
    } else {
        buf_append(out, r->target.p, r->target.len);
    }
    buf_append_str(out, " HTTP/1.1\r\nHost: ");
    buf_append(out, r->host.p, r->host.len);
    buf_append(out, "\r\n", 2);

    for (unsigned i = 0; i < r->nheaders; i++) {
        const struct h1_header *h = &r->headers[i];
        uint32_t f = h->flags;
        if (f & (H1_HDR_HOP | H1_HDR_HOST | H1_HDR_X_FORWARDED_PROTO))
            continue;
        if (f & H1_HDR_X_REQUEST_ID)
            has_id = true;
        if (f & H1_HDR_X_FORWARDED_FOR) {
            /* Combine every received X-Forwarded-For line, in order, and append the peer
             * (as ALB and nginx's $proxy_add_x_forwarded_for do). */
            if (xff_done)
                continue;
            buf_append_str(out, "X-Forwarded-For: ");
            for (unsigned j = i; j < r->nheaders; j++)
                if (r->headers[j].flags & H1_HDR_X_FORWARDED_FOR) {
                    buf_append(out, r->headers[j].value.p, r->headers[j].value.len);
                    buf_append(out, ", ", 2);
                }
            buf_append_str(out, peer);
            buf_append(out, "\r\n", 2);
            xff_done = true;
            continue;
        }
        if (f & H1_HDR_VIA) {
            if (via_done)
                continue;
            buf_append_str(out, "Via: ");
            for (unsigned j = i; j < r->nheaders; j++)
                if (r->headers[j].flags & H1_HDR_VIA) {
                    buf_append(out, r->headers[j].value.p, r->headers[j].value.len);
                    buf_append(out, ", ", 2);
                }
            buf_append_str(out, r->version_minor ? "1.1 " VIA_NAME "\r\n" : "1.0 " VIA_NAME "\r\n");
            via_done = true;
            continue;
        }
        put_field(out, h);
    }
    if (!xff_done) {
        buf_append_str(out, "X-Forwarded-For: ");
        buf_append_str(out, peer);
        buf_append(out, "\r\n", 2);
    }
    buf_append_str(out, c->tp == CONN_TP_TLS ? "X-Forwarded-Proto: https\r\nX-Forwarded-Port: "
                                             : "X-Forwarded-Proto: http\r\nX-Forwarded-Port: ");
    buf_append_u64(out, c->local_port);
    buf_append(out, "\r\n", 2);
    if (!via_done)
        buf_append_str(out, r->version_minor ? "Via: 1.1 " VIA_NAME "\r\n"
                                             : "Via: 1.0 " VIA_NAME "\r\n");
    /* OPTIONS/TRACE: one hop fewer (9110 §7.6.2); the received field is marked HOP. */
    if (r->max_forwards > 0) {
        buf_append_str(out, "Max-Forwards: ");
        buf_append_u64(out, (uint64_t)r->max_forwards - 1);
        buf_append(out, "\r\n", 2);
    }
    /* X-Request-Id: the client's is kept (put_field above); ours when absent. */
    if (!has_id) {
        buf_append_str(out, "X-Request-Id: ");
        buf_append(out, t->request_id, 32);
        buf_append(out, "\r\n", 2);
    }
    if (r->upgrade_websocket)
        buf_append_str(out, "Connection: upgrade\r\nUpgrade: websocket\r\n");
    else if (r->framing == H1_FRAMING_CHUNKED)
        buf_append_str(out, "Transfer-Encoding: chunked\r\n");
    else if (r->framing == H1_FRAMING_LENGTH) {
        buf_append_str(out, "Content-Length: ");
        buf_append_u64(out, r->content_length);
        buf_append(out, "\r\n", 2);
    }
    buf_append(out, "\r\n", 2);
    return 0;
}

int
forward_response_head(struct buf *out, const struct h1_response *r, struct txn *t,
                      bool close_client)
{
    if (buf_reserve(out, r->head_len + 256) < 0)
        return -ENOMEM;
    buf_append_str(out, "HTTP/1.1 ");
    buf_append_u64(out, (uint64_t)r->status);
    buf_append(out, " ", 1);
    if (r->reason.len)
        buf_append(out, r->reason.p, r->reason.len);
    else
        buf_append_str(out, h1_reason(r->status));
    buf_append(out, "\r\n", 2);
    for (unsigned i = 0; i < r->nheaders; i++) {
        const struct h1_header *h = &r->headers[i];
        if (h->flags & H1_HDR_HOP)
            continue;
        put_field(out, h);
    }
    if (r->status == 101) {
        buf_append_str(out, "Connection: upgrade\r\nUpgrade: websocket\r\n\r\n");
        return 0;
    }
    if (r->status >= 200 && r->status != 204 && r->status != 304) {
        switch (r->framing) {
        case H1_FRAMING_LENGTH:
            buf_append_str(out, "Content-Length: ");
            buf_append_u64(out, r->content_length);
            buf_append(out, "\r\n", 2);
            break;
        case H1_FRAMING_CHUNKED:
        case H1_FRAMING_CLOSE:
            if (t->resp_chunked_out)
                buf_append_str(out, "Transfer-Encoding: chunked\r\n");
            break;
        case H1_FRAMING_NONE:
            /* A HEAD response keeps the length the target announced. */
            for (unsigned i = 0; i < r->nheaders; i++)
                if (r->headers[i].flags & H1_HDR_CONTENT_LENGTH) {
                    const struct h1_header *h = &r->headers[i];
                    size_t n = 0;
                    while (n < h->value.len && h->value.p[n] >= '0' && h->value.p[n] <= '9')
                        n++;
                    buf_append_str(out, "Content-Length: ");
                    buf_append(out, h->value.p, n);
                    buf_append(out, "\r\n", 2);
                    break;
                }
            break;
        }
    }
    if (t->sticky && t->target && t->tg >= 0)
        sticky_set_cookie(out, &t->gen->conf.tgs[t->tg], t->target);
    const char *hsts = forward_hsts(t);
    if (hsts) {
        /* The target's own Strict-Transport-Security wins, as it knows its site. */
        bool has = false;
        for (unsigned i = 0; i < r->nheaders && !has; i++)
            has = slice_eq_nocase(r->headers[i].name, SLICE_LIT("Strict-Transport-Security"));
        if (!has)
            buf_printf(out, "Strict-Transport-Security: %s\r\n", hsts);
    }
    if (close_client)
        buf_append_str(out, "Connection: close\r\n");
    else if (t->version_minor == 0)
        buf_append_str(out, "Connection: keep-alive\r\n");
    buf_append(out, "\r\n", 2);
    return 0;
}

int
forward_local_response(struct buf *out, int status, bool close, const char *extra_headers)
{
    const char *reason = h1_reason(status);
    char body[256];

    if (status == 204)      /* no content, so no Content-Length either (9110 §8.6) */
        return buf_printf(out, "HTTP/1.1 204 No Content\r\nServer: tierd\r\n%s%s\r\n",
                          close ? "Connection: close\r\n" : "",
                          extra_headers ? extra_headers : "");
    int n = snprintf(body, sizeof(body),
                     "<html>\r\n<head><title>%d %s</title></head>\r\n<body>\r\n"
                     "<center><h1>%d %s</h1></center>\r\n<hr><center>tierd</center>\r\n"
                     "</body>\r\n</html>\r\n",
                     status, reason, status, reason);

    return buf_printf(out,
                      "HTTP/1.1 %d %s\r\nServer: tierd\r\nContent-Type: text/html\r\n"
                      "Content-Length: %d\r\n%s%s\r\n%s",
                      status, reason, n, close ? "Connection: close\r\n" : "",
                      extra_headers ? extra_headers : "", body);
}

const char *
forward_hsts(const struct txn *t)
{
    const struct edge_tls_conf *tls = t->lc ? t->lc->tls : NULL;

    return tls && tls->hsts && t->c->tp == CONN_TP_TLS ? tls->hsts_value : NULL;
}

int
forward_add_field(struct buf *out, size_t head_start, const char *name, const char *value)
{
    size_t len = buf_len(out);
    const char *h = buf_head(out);
    size_t end = 0;

    for (size_t i = head_start; i + 3 < len; i++)
        if (h[i] == '\r' && h[i + 1] == '\n' && h[i + 2] == '\r' && h[i + 3] == '\n') {
            end = i + 2;
            break;
        }
    if (!end)
        return -EINVAL;
    size_t add = strlen(name) + 2 + strlen(value) + 2;
    if (buf_reserve(out, add) < 0)
        return -ENOMEM;
    char *p = buf_head(out);
    memmove(p + end + add, p + end, len - end);
    snprintf(p + end, add + 1, "%s: %s\r", name, value);
    p[end + add - 1] = '\n';
    buf_commit(out, add);
    return 0;
}

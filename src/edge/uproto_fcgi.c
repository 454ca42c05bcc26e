/*
 * edge/uproto_fcgi.c: FastCGI as the upstream protocol (uproto.h), for PHP-FPM and other
 * responders. The request becomes BEGIN_REQUEST (FCGI_KEEP_CONN), the CGI/1.1 params
 * (RFC 3875 §4.1 and what PHP-FPM reads) and the body as STDIN records, streamed as the
 * client sends it; the answer is STDOUT records carrying a CGI head (parsed with
 * http/fcgi.c, as strict as an HTTP/1 head) and the body, STDERR records (to the log,
 * rate-limited) and END_REQUEST, which ends the body and, if nothing is left over, lets
 * the connection go back to its pool.
 *
 * Which script runs is decided here, and only a file that exists under the group's root
 * ever does: the request path, decoded and normalised as the static action does, is split
 * after the first segment ending in split_path; that prefix must resolve (realpath) to a
 * regular file inside root whose name ends in split_path. Anything else (no such file, a
 * directory, "/uploads/evil.jpg/x.php", a symlink leaving root, a path climbing above
 * it) runs the front controller `index` instead, with the original REQUEST_URI, as
 * Laravel's try_files does. Keeps its state in t->ups.fcgi; owns no memory.
 */
#include "edge/uproto.h"

#include <arpa/inet.h>
#include <errno.h>
#include <limits.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>

#include "core/err.h"
#include "core/log.h"
#include "edge/conn.h"
#include "edge/gen.h"
#include "edge/static.h"
#include "edge/txn.h"
#include "edge/upstream.h"
#include "edge/worker.h"
#include "http/fcgi.h"

#define UPROTO_FCGI_ID 1                /* one request at a time on a connection */
#define UPROTO_FCGI_HEAD_MAX_BYTES 65536
#define UPROTO_FCGI_STDERR_PER_SEC 10   /* log lines per worker thread per second */
/* Idle connections kept per target per edge worker. PHP-FPM gives each open connection a
 * child process of its pool, idle or not: every idle connection kept is a child nobody
 * else (a health probe, another proxy) can use. One per worker keeps the saving of a
 * connect per request without starving a pool sized above edge.workers. */
#define UPROTO_FCGI_IDLE_MAX 1

/* ---- the script ---------------------------------------------------------------------- */

struct fcgi_script {
    char filename[PATH_MAX];    /* SCRIPT_FILENAME */
    char name[PATH_MAX];        /* SCRIPT_NAME, from '/' */
    char info[PATH_MAX];        /* PATH_INFO, "" or from '/' */
};

/* The first segment of rel (normalised, no leading '/') that ends in ext; its length
 * including the segment, or 0. */
static size_t
fcgi_split(const char *rel, const char *ext)
{
    size_t el = strlen(ext);

    for (const char *p = rel; (p = strstr(p, ext)); p++) {
        char after = p[el];
        if ((after == '/' || after == '\0') && p > rel && p[-1] != '/')
            return (size_t)(p - rel) + el;
    }
    return 0;
}

static bool
fcgi_under_root(const char *real, const char *root)
{
    size_t rl = strlen(root);

    if (rl == 1)                /* root "/" */
        return true;
    return strncmp(real, root, rl) == 0 && real[rl] == '/';
}

/* Picks the script for the request path (see the file comment). Always succeeds: the
 * front controller is the fallback. */
static void
fcgi_script_pick(const struct edge_fcgi_conf *fc, struct slice path, struct fcgi_script *s)
{
    char rel[PATH_MAX], cand[PATH_MAX], real[PATH_MAX];
    size_t el = strlen(fc->split_path);

    s->info[0] = '\0';
    if (static_path_normalise(path.p, path.len, rel, sizeof(rel)) == 0) {
        size_t n = fcgi_split(rel, fc->split_path);
        struct stat st;
        if (n && n + 1 < sizeof(s->name) &&
            (size_t)snprintf(cand, sizeof(cand), "%s/%.*s", fc->root, (int)n, rel) <
                sizeof(cand) &&
            realpath(cand, real) && fcgi_under_root(real, fc->root) &&
            stat(real, &st) == 0 && S_ISREG(st.st_mode) && strlen(real) >= el &&
            strcmp(real + strlen(real) - el, fc->split_path) == 0) {
            snprintf(s->filename, sizeof(s->filename), "%s", real);
            snprintf(s->name, sizeof(s->name), "/%.*s", (int)n, rel);
            if (rel[n])
                snprintf(s->info, sizeof(s->info), "%s", rel + n);
            return;
        }
    }
    snprintf(s->filename, sizeof(s->filename), "%s/%s", fc->root, fc->index);
    snprintf(s->name, sizeof(s->name), "/%s", fc->index);
}

/* ---- the request --------------------------------------------------------------------- */

static int
fcgi_param(struct buf *b, const char *name, const char *v, size_t vlen)
{
    return fcgi_pair_put(b, name, strlen(name), v, vlen);
}

static int
fcgi_param_str(struct buf *b, const char *name, const char *v)
{
    return fcgi_param(b, name, v, strlen(v));
}

static int
fcgi_param_u64(struct buf *b, const char *name, uint64_t v)
{
    char s[24];

    return fcgi_param(b, name, s, (size_t)snprintf(s, sizeof(s), "%llu", (unsigned long long)v));
}

static bool
fcgi_name_eq(struct slice a, struct slice b)
{
    if (a.len != b.len)
        return false;
    for (size_t i = 0; i < a.len; i++) {
        char x = a.p[i], y = b.p[i];
        if (x >= 'A' && x <= 'Z')
            x = (char)(x + 32);
        if (y >= 'A' && y <= 'Z')
            y = (char)(y + 32);
        if (x != y)
            return false;
    }
    return true;
}

/* HTTP_* for the request's fields (RFC 3875 §4.1.18). Repeated fields are joined (", ",
 * "; " for Cookie). Left out: the framing and connection fields, Host (HTTP_HOST is from
 * the parsed authority), names with '_' (which would alias a '-' name, as nginx's
 * underscores_in_headers off), and Proxy, whose HTTP_PROXY is read by HTTP clients as
 * their proxy (httpoxy). */
static int
fcgi_param_fields(struct buf *b, const struct h1_request *r)
{
    char name[5 + 256];
    struct buf v = { 0 };
    int rc = 0;

    for (unsigned i = 0; i < r->nheaders && rc == 0; i++) {
        const struct h1_header *h = &r->headers[i];
        if ((h->flags & (H1_HDR_HOP | H1_HDR_CONTENT_LENGTH | H1_HDR_TRANSFER_ENCODING)) ||
            h->name.len > 250 || memchr(h->name.p, '_', h->name.len) ||
            fcgi_name_eq(h->name, SLICE_LIT("proxy")) ||
            fcgi_name_eq(h->name, SLICE_LIT("content-type")))
            continue;
        bool seen = false;
        for (unsigned j = 0; j < i && !seen; j++)
            seen = fcgi_name_eq(r->headers[j].name, h->name);
        if (seen)
            continue;
        bool cookie = fcgi_name_eq(h->name, SLICE_LIT("cookie"));
        memcpy(name, "HTTP_", 5);
        for (size_t k = 0; k < h->name.len; k++) {
            char c = h->name.p[k];
            name[5 + k] = c == '-' ? '_' : (c >= 'a' && c <= 'z') ? (char)(c - 32) : c;
        }
        v.rpos = v.wpos = 0;
        buf_append(&v, h->value.p, h->value.len);
        for (unsigned j = i + 1; j < r->nheaders; j++) {
            if (!fcgi_name_eq(r->headers[j].name, h->name))
                continue;
            buf_append_str(&v, cookie ? "; " : ", ");
            buf_append(&v, r->headers[j].value.p, r->headers[j].value.len);
        }
        rc = fcgi_pair_put(b, name, 5 + h->name.len, buf_head(&v), buf_len(&v));
    }
    buf_fini(&v);
    return rc;
}

/* REMOTE_ADDR: the client the shield judged (trusted proxies resolved), else the peer. */
static void
fcgi_remote_addr(const struct txn *t, char *out, size_t n)
{
    const struct conn *c = t->c;
    static const uint8_t v4mapped[12] = { 0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0xff, 0xff };

    if (t->shield_seen) {
        const uint8_t *a = t->client.b;
        if (memcmp(a, v4mapped, 12) == 0)
            inet_ntop(AF_INET, a + 12, out, (socklen_t)n);
        else
            inet_ntop(AF_INET6, a, out, (socklen_t)n);
        return;
    }
    inet_ntop(c->peer_family == 6 ? AF_INET6 : AF_INET, c->peer_addr, out, (socklen_t)n);
}

static int
fcgi_params_build(struct txn *t, const struct h1_request *r, const struct edge_fcgi_conf *fc,
                  struct buf *b)
{
    struct fcgi_script s;
    char addr[INET6_ADDRSTRLEN], tmp[2 * PATH_MAX + 16];
    struct slice host = r->host;
    bool tls = conn_is_tls(t->c);
    int rc = 0;

    fcgi_script_pick(fc, r->path, &s);
    for (size_t i = host.len; i > 0; i--) {     /* SERVER_NAME: the host without its port */
        if (host.p[i - 1] == ':') {
            host.len = i - 1;
            break;
        }
        if (host.p[i - 1] == ']')
            break;
    }
    fcgi_remote_addr(t, addr, sizeof(addr));
    rc |= fcgi_param_str(b, "GATEWAY_INTERFACE", "CGI/1.1");
    rc |= fcgi_param_str(b, "SERVER_SOFTWARE", "tierd");
    rc |= fcgi_param_str(b, "SERVER_PROTOCOL", r->version_minor ? "HTTP/1.1" : "HTTP/1.0");
    rc |= fcgi_param(b, "SERVER_NAME", host.p, host.len);
    rc |= fcgi_param_u64(b, "SERVER_PORT", t->c->local_port);
    rc |= fcgi_param(b, "REQUEST_METHOD", r->method.p, r->method.len);
    if (r->absolute_form) {
        int k = snprintf(tmp, sizeof(tmp), "%.*s%s%.*s", (int)r->path.len, r->path.p,
                         r->query.len ? "?" : "", (int)r->query.len, r->query.p);
        rc |= fcgi_param(b, "REQUEST_URI", tmp, (size_t)k < sizeof(tmp) ? (size_t)k : 0);
    } else {
        rc |= fcgi_param(b, "REQUEST_URI", r->target.p, r->target.len);
    }
    rc |= fcgi_param(b, "QUERY_STRING", r->query.p, r->query.len);
    rc |= fcgi_param_str(b, "DOCUMENT_ROOT", fc->root);
    rc |= fcgi_param_str(b, "SCRIPT_FILENAME", s.filename);
    rc |= fcgi_param_str(b, "SCRIPT_NAME", s.name);
    rc |= fcgi_param_str(b, "PATH_INFO", s.info);
    snprintf(tmp, sizeof(tmp), "%s%s", s.name, s.info);
    rc |= fcgi_param_str(b, "DOCUMENT_URI", tmp);
    if (s.info[0]) {
        snprintf(tmp, sizeof(tmp), "%s%s", fc->root, s.info);
        rc |= fcgi_param_str(b, "PATH_TRANSLATED", tmp);
    }
    rc |= fcgi_param_str(b, "REMOTE_ADDR", addr);
    rc |= fcgi_param_u64(b, "REMOTE_PORT", t->c->peer_port);
    rc |= fcgi_param_str(b, "REQUEST_SCHEME", tls ? "https" : "http");
    if (tls)
        rc |= fcgi_param_str(b, "HTTPS", "on");
    rc |= fcgi_param_str(b, "REDIRECT_STATUS", "200");
    if (r->framing == H1_FRAMING_LENGTH)
        rc |= fcgi_param_u64(b, "CONTENT_LENGTH", r->content_length);
    else
        rc |= fcgi_param_str(b, "CONTENT_LENGTH", "");
    struct slice ct;
    if (h1_request_field_get(r, "content-type", &ct))
        rc |= fcgi_param(b, "CONTENT_TYPE", ct.p, ct.len);
    else
        rc |= fcgi_param_str(b, "CONTENT_TYPE", "");
    rc |= fcgi_param(b, "HTTP_HOST", r->host.p, r->host.len);
    struct slice id;
    if (!h1_request_field_get(r, "x-request-id", &id) && t->request_id[0])
        rc |= fcgi_param_str(b, "HTTP_X_REQUEST_ID", t->request_id);
    rc |= fcgi_param_fields(b, r);
    /* The group's params last: PHP-FPM keeps the last of a repeated name. */
    for (unsigned i = 0; i < fc->nparams; i++)
        rc |= fcgi_param_str(b, fc->param_names[i], fc->param_values[i]);
    return rc ? -ENOMEM : 0;
}

static int
fcgi_request_head(struct txn *t, const struct h1_request *r)
{
    const struct edge_fcgi_conf *fc = t->gen->conf.tgs[t->tg].fastcgi;
    struct buf *out = &t->u->out;
    struct buf params = { 0 };

    memset(&t->ups.fcgi, 0, sizeof(t->ups.fcgi));
    BUG_ON(!fc);
    int rc = fcgi_params_build(t, r, fc, &params);
    if (rc == 0)
        rc = fcgi_begin_put(out, UPROTO_FCGI_ID, true);
    if (rc == 0)
        rc = fcgi_stream_put(out, FCGI_PARAMS, UPROTO_FCGI_ID, buf_head(&params),
                             buf_len(&params));
    if (rc == 0 && buf_len(&params))
        rc = fcgi_stream_put(out, FCGI_PARAMS, UPROTO_FCGI_ID, NULL, 0);
    if (rc == 0 && t->req_done)
        rc = fcgi_stream_put(out, FCGI_STDIN, UPROTO_FCGI_ID, NULL, 0);
    buf_fini(&params);
    return rc < 0 ? -ENOMEM : 0;
}

static int
fcgi_request_data(struct txn *t, const void *p, size_t n)
{
    if (n == 0)                 /* an empty STDIN record would end the stream */
        return 0;
    return fcgi_stream_put(&t->u->out, FCGI_STDIN, UPROTO_FCGI_ID, p, n) < 0 ? -ENOMEM : 0;
}

static int
fcgi_request_end(struct txn *t)
{
    return fcgi_stream_put(&t->u->out, FCGI_STDIN, UPROTO_FCGI_ID, NULL, 0) < 0 ? -ENOMEM : 0;
}

/* ---- the response -------------------------------------------------------------------- */

/* STDERR content to the log, at most UPROTO_FCGI_STDERR_PER_SEC lines a second per
 * thread; the rest is counted and the count said with the next line that is logged. */
static void
fcgi_stderr_log(const struct txn *t, const char *p, size_t n)
{
    static __thread uint64_t window_ms;
    static __thread unsigned lines, suppressed;
    uint64_t now = loop_now_ms(t->c->w->loop);

    while (n && (p[n - 1] == '\n' || p[n - 1] == '\r'))
        n--;
    if (!n)
        return;
    if (now - window_ms >= 1000) {
        window_ms = now;
        lines = 0;
    }
    if (++lines > UPROTO_FCGI_STDERR_PER_SEC) {
        suppressed++;
        return;
    }
    char clean[512];
    size_t k = 0;
    for (size_t i = 0; i < n && k < sizeof(clean) - 1; i++)
        clean[k++] = (p[i] >= 0x20 && p[i] < 0x7f && p[i] != '"') ? p[i] : ' ';
    clean[k] = '\0';
    if (suppressed)
        log_warn("edge", "fastcgi stderr target=%s msg=\"%s\" suppressed=%u", t->upstream_addr,
                 clean, suppressed);
    else
        log_warn("edge", "fastcgi stderr target=%s msg=\"%s\"", t->upstream_addr, clean);
    suppressed = 0;
}

/* Removes n bytes at offset off of b (the record framing around STDOUT bytes). */
static void
fcgi_cut(struct buf *b, size_t off, size_t n)
{
    char *h = buf_head(b);

    memmove(h + off, h + off + n, buf_len(b) - off - n);
    b->wpos -= (uint32_t)n;
}

/* Once the whole END_REQUEST record (content and padding) is read: ended, or -1 when the
 * application refused the request. 0 otherwise. */
static ssize_t
fcgi_end_check(struct txn *t)
{
    const char *why = "";
    uint32_t app;

    if (t->ups.fcgi.rec_type != FCGI_END_REQUEST || t->ups.fcgi.rec_left ||
        t->ups.fcgi.pad_left || t->ups.fcgi.ended)
        return 0;
    if (fcgi_end_parse(t->ups.fcgi.end, &app, &why) < 0) {
        log_warn("edge", "target refused the request target=%s why=\"%s\"", t->upstream_addr,
                 why);
        return -1;
    }
    t->ups.fcgi.ended = true;
    return 0;
}

/* One step over the records in u->in from offset `at`: reads a header, skips padding,
 * takes STDERR and END_REQUEST content. For STDOUT content returns how many of its bytes
 * lie at `at` (the caller uses them), else 0 with *progress saying whether anything moved;
 * -1 for a malformed record or a refused request. */
static ssize_t
fcgi_record_step(struct txn *t, size_t at, bool *progress)
{
    struct buf *in = &t->u->in;
    size_t avail = buf_len(in) - at;
    const char *why = "";

    *progress = false;
    if (t->ups.fcgi.ended) {
        if (avail)
            log_warn("edge", "bad response from target target=%s why=\"bytes after "
                     "FastCGI END_REQUEST\"", t->upstream_addr);
        return avail ? -1 : 0;
    }
    if (!t->ups.fcgi.rec_left && !t->ups.fcgi.pad_left) {
        struct fcgi_header h;
        ssize_t n = fcgi_header_parse(buf_head(in) + at, avail, UPROTO_FCGI_ID, &h, &why);
        if (n == -EAGAIN)
            return 0;
        if (n < 0) {
            log_warn("edge", "bad response from target target=%s why=\"%s\"", t->upstream_addr,
                     why);
            return -1;
        }
        fcgi_cut(in, at, FCGI_HEADER_LEN);
        t->ups.fcgi.rec_type = h.type;
        t->ups.fcgi.rec_left = h.content_len;
        t->ups.fcgi.pad_left = h.padding_len;
        t->ups.fcgi.end_have = 0;
        *progress = true;
        return 0;
    }
    if (!t->ups.fcgi.rec_left) {
        size_t k = avail < t->ups.fcgi.pad_left ? avail : t->ups.fcgi.pad_left;
        fcgi_cut(in, at, k);
        t->ups.fcgi.pad_left = (uint8_t)(t->ups.fcgi.pad_left - k);
        *progress = k > 0;
        return fcgi_end_check(t);
    }
    size_t k = avail < t->ups.fcgi.rec_left ? avail : t->ups.fcgi.rec_left;
    if (!k)
        return 0;
    if (t->ups.fcgi.rec_type == FCGI_STDOUT)
        return (ssize_t)k;
    if (t->ups.fcgi.rec_type == FCGI_STDERR) {
        fcgi_stderr_log(t, buf_head(in) + at, k);
    } else {
        memcpy(t->ups.fcgi.end + t->ups.fcgi.end_have, buf_head(in) + at, k);
        t->ups.fcgi.end_have = (uint8_t)(t->ups.fcgi.end_have + k);
    }
    fcgi_cut(in, at, k);
    t->ups.fcgi.rec_left = (uint16_t)(t->ups.fcgi.rec_left - k);
    *progress = true;
    return fcgi_end_check(t);
}

/* Body bytes: while the client has room (or always, to discard a body nobody reads after
 * a HEAD, 204 or 304), de-frames STDOUT into relay_body_put() until END_REQUEST, which
 * ends the body. 0, or -1 when the target broke the framing or closed early. */
static int
fcgi_pump(struct txn *t)
{
    struct upconn *u = t->u;

    for (;;) {
        bool discard = t->phase == TXN_DONE;
        if (t->ups.fcgi.ended && !t->ups.fcgi.dlen)
            break;
        if (!discard && !relay_body_room(t))
            return 0;
        size_t k = t->ups.fcgi.dlen;
        bool progress = false, decoded = k > 0;
        if (!decoded) {
            ssize_t n = fcgi_record_step(t, 0, &progress);
            if (n < 0)
                return -1;
            k = (size_t)n;
        }
        if (k) {
            size_t room = discard ? k : relay_body_room(t);
            if (k > room)
                k = room;
            if (!discard) {
                if (t->ups.fcgi.has_len && k > t->ups.fcgi.body_left) {
                    log_warn("edge", "bad response from target target=%s why=\"more body "
                             "than its Content-Length\"", t->upstream_addr);
                    return -1;
                }
                if (relay_body_put(t, buf_head(&u->in), k) < 0)
                    return -1;
                t->ups.fcgi.body_left -= k;
            }
            buf_consume(&u->in, k);
            if (decoded)
                t->ups.fcgi.dlen -= (uint32_t)k;
            else
                t->ups.fcgi.rec_left = (uint16_t)(t->ups.fcgi.rec_left - k);
            progress = true;
        }
        if (!progress)
            break;
    }
    if (t->ups.fcgi.ended) {
        if (t->phase != TXN_DONE) {
            if (t->ups.fcgi.has_len && t->ups.fcgi.body_left) {
                log_warn("edge", "target ended short of its Content-Length target=%s",
                         t->upstream_addr);
                return -1;
            }
            relay_body_end(t);
        }
        if (buf_len(&u->in))
            log_warn("edge", "bad response from target target=%s why=\"bytes after FastCGI "
                     "END_REQUEST\"", t->upstream_addr);
        return buf_len(&u->in) ? -1 : 0;
    }
    if (u->eof && t->phase != TXN_DONE) {
        log_warn("edge", "target closed mid-response target=%s", t->upstream_addr);
        return -1;
    }
    return 0;
}

static int
fcgi_response_head(struct txn *t, bool *close)
{
    struct upconn *u = t->u;
    struct h1_response *r = &t->c->w->resp;
    struct h1_limits lim = { 8192, UPROTO_FCGI_HEAD_MAX_BYTES, H1_HEADERS_MAX };
    const char *why = "";
    bool progress = true;

    *close = !t->req_done;
    /* De-frame STDOUT in place at u->in's head until the CGI head is complete. */
    while (progress) {
        ssize_t k = fcgi_record_step(t, t->ups.fcgi.dlen, &progress);
        if (k < 0)
            return -502;
        if (k > 0) {
            t->ups.fcgi.dlen += (uint32_t)k;
            t->ups.fcgi.rec_left = (uint16_t)(t->ups.fcgi.rec_left - k);
            progress = true;
        }
        if (t->ups.fcgi.ended)
            break;
    }
    ssize_t n = fcgi_cgi_head_parse(buf_head(&u->in), t->ups.fcgi.dlen, &lim, t->is_head, r,
                                    &why);
    if (n == -EAGAIN && !t->ups.fcgi.ended)
        return 0;
    if (n < 0) {
        log_warn("edge", "bad response from target target=%s why=\"%s\"", t->upstream_addr,
                 n == -EAGAIN ? "FastCGI request ended without a complete CGI head" : why);
        return -502;
    }
    t->ups.fcgi.has_len = r->framing == H1_FRAMING_LENGTH;
    t->ups.fcgi.body_left = r->content_length;
    int rc = relay_response_head(t, r);
    if (rc != 1) {
        *close = true;
        return rc < 0 ? rc : -502;
    }
    buf_consume(&u->in, (size_t)n);
    t->ups.fcgi.dlen -= (uint32_t)n;
    t->ups.fcgi.head_done = true;
    /* A bodiless answer is complete for the client now; what else is here is read to
     * find END_REQUEST, so that the connection can be pooled. */
    if (t->phase == TXN_DONE)
        fcgi_pump(t);
    return 1;
}

static int
fcgi_response_body(struct txn *t)
{
    return fcgi_pump(t);
}

/* Only after END_REQUEST, with nothing after it (FCGI_KEEP_CONN was asked for), and
 * while the pool holds fewer than UPROTO_FCGI_IDLE_MAX idle connections to the target. */
static bool
fcgi_reusable(const struct txn *t)
{
    return t->ups.fcgi.ended && !buf_len(&t->u->in) &&
           t->u->pool->nidle < UPROTO_FCGI_IDLE_MAX;
}

const struct uproto_ops uproto_fcgi_ops = {
    .name = "fastcgi",
    .fresh_unless_replayable = true,
    .needs_length = true,
    .request_head = fcgi_request_head,
    .request_data = fcgi_request_data,
    .request_end = fcgi_request_end,
    .response_head = fcgi_response_head,
    .response_body = fcgi_response_body,
    .reusable = fcgi_reusable,
    .tunnel = NULL,
};

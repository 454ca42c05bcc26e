/*
 * examples/app/stream.c: the two routes that move unbounded amounts of data in constant
 * memory. GET /bytes generates a repeating 'a'..'z' pattern as the socket drains. POST|PUT
 * /echo sends the request body back: up to APP_ECHO_BUFFER_BYTES it is collected and answered
 * with Content-Length; beyond that the answer turns chunked and is written while the body is
 * still being read. Both stop producing above APP_OUT_HIGH_BYTES of unsent output, and
 * conn.c then stops reading: that is the backpressure that lets 2 GB go through.
 */
#include "stream.h"
#include "conn.h"
#include "http.h"
#include "reply.h"

#include <pthread.h>
#include <string.h>

#define STREAM_PIECE_BYTES (64 * 1024)  /* one /bytes chunk */

/* 'a'..'z' repeated; piece k of /bytes starts at offset (produced % 26). */
static char stream_pattern[STREAM_PIECE_BYTES + 26];
static pthread_once_t stream_pattern_once = PTHREAD_ONCE_INIT;

static void
stream_pattern_init(void)
{
    for (size_t i = 0; i < sizeof(stream_pattern); i++)
        stream_pattern[i] = (char)('a' + i % 26);
}

/* Writes "<hex n>\r\n" at w; returns the bytes written. */
static size_t
stream_chunk_size(char *w, size_t n)
{
    char tmp[16];
    size_t i = 0, len;

    do {
        tmp[i++] = "0123456789abcdef"[n & 15];
        n >>= 4;
    } while (n);
    for (len = 0; i > 0; len++)
        w[len] = tmp[--i];
    w[len++] = '\r';
    w[len++] = '\n';
    return len;
}

void
stream_bytes_start(struct conn *c, const struct http_req *req)
{
    uint64_t n = 0, chunked = 0, close = 0;

    if (http_query_u64(req->query, "n", &n) < 0 ||
        http_query_u64(req->query, "chunked", &chunked) < 0 ||
        http_query_u64(req->query, "close", &close) < 0) {
        reply_error(c, 400, "n, chunked and close must be decimal numbers");
        return;
    }
    /* HTTP/1.0 clients know no chunked encoding: they get a close-delimited body. */
    enum reply_framing framing = REPLY_LENGTH;
    if (close || (chunked && c->minor == 0))
        framing = REPLY_CLOSE;
    else if (chunked)
        framing = REPLY_CHUNKED;
    reply_head(c, 200, "application/octet-stream", framing, n, NULL);
    if (c->is_head)
        return;
    if (n == 0) {
        if (framing == REPLY_CHUNKED)
            conn_out(c, "0\r\n\r\n", 5);
        return;
    }
    pthread_once(&stream_pattern_once, stream_pattern_init);
    c->stream_left = n;
    c->stream_pos = 0;
    c->stream_chunked = framing == REPLY_CHUNKED;
    c->after_body = CONN_STREAM;
}

bool
stream_bytes_more(struct conn *c)
{
    bool moved = false;

    while (c->state == CONN_STREAM && conn_out_pending(c) < APP_OUT_HIGH_BYTES) {
        size_t n = c->stream_left < STREAM_PIECE_BYTES ? (size_t)c->stream_left
                                                       : STREAM_PIECE_BYTES;
        char *w0 = conn_out_reserve(c, n + 32);
        if (!w0)
            return true;
        char *w = w0;
        if (c->stream_chunked)
            w += stream_chunk_size(w, n);
        memcpy(w, stream_pattern + c->stream_pos % 26, n);
        w += n;
        c->stream_pos += n;
        c->stream_left -= n;
        if (c->stream_chunked) {
            memcpy(w, "\r\n", 2);
            w += 2;
            if (c->stream_left == 0) {
                memcpy(w, "0\r\n\r\n", 5);
                w += 5;
            }
        }
        conn_out_commit(c, (size_t)(w - w0));
        moved = true;
        if (c->stream_left == 0)
            conn_response_done(c);
    }
    return moved;
}

/* Appends one piece of a streamed echo: a chunk, or raw bytes for an HTTP/1.0 client. */
static void
stream_echo_chunk(struct conn *c, const char *p, size_t n)
{
    char *w0 = conn_out_reserve(c, n + 20);

    if (!w0)
        return;
    char *w = w0;
    if (c->stream_chunked)
        w += stream_chunk_size(w0, n);
    memcpy(w, p, n);
    w += n;
    if (c->stream_chunked) {
        memcpy(w, "\r\n", 2);
        w += 2;
    }
    conn_out_commit(c, (size_t)(w - w0));
}

/* The body is too big to collect: answer chunked (close-delimited for HTTP/1.0), starting
 * with what was collected. */
static void
stream_echo_go_chunked(struct conn *c)
{
    c->stream_chunked = c->minor == 1;
    reply_head(c, 200, "application/octet-stream", c->stream_chunked ? REPLY_CHUNKED : REPLY_CLOSE,
               0, NULL);
    if (buf_len(&c->body) > 0)
        stream_echo_chunk(c, c->body.data + c->body.start, buf_len(&c->body));
    c->body.start = c->body.end = 0;
    c->sink = CONN_SINK_ECHO_STREAM;
}

void
stream_echo_start(struct conn *c, const struct http_req *req)
{
    (void)req;
    if (c->body_kind == CONN_BODY_NONE) {
        reply_head(c, 200, "application/octet-stream", REPLY_LENGTH, 0, NULL);
        return;
    }
    c->sink = CONN_SINK_ECHO;
    c->body.start = c->body.end = 0;
    if (c->body_kind == CONN_BODY_LENGTH && c->body_left > APP_ECHO_BUFFER_BYTES)
        stream_echo_go_chunked(c);
}

void
stream_echo_data(struct conn *c, const char *p, size_t n)
{
    if (c->sink == CONN_SINK_ECHO) {
        if (buf_len(&c->body) + n <= APP_ECHO_BUFFER_BYTES) {
            if (buf_append(&c->body, p, n) < 0)
                c->oom = true;
            return;
        }
        stream_echo_go_chunked(c);
    }
    stream_echo_chunk(c, p, n);
}

void
stream_echo_end(struct conn *c)
{
    if (c->sink == CONN_SINK_ECHO) {
        size_t n = buf_len(&c->body);
        reply_head(c, 200, "application/octet-stream", REPLY_LENGTH, n, NULL);
        if (n > 0)
            conn_out(c, c->body.data + c->body.start, n);
        c->body.start = c->body.end = 0;
    } else if (c->stream_chunked) {
        conn_out(c, "0\r\n\r\n", 5);
    }
    c->sink = CONN_SINK_DISCARD;
}

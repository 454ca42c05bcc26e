/*
 * examples/app/ws.c: the WebSocket echo behind GET /ws (RFC 6455). It checks the opening
 * handshake and answers 101 with Sec-WebSocket-Accept = base64(SHA-1(key + GUID)) computed with
 * libcrypto; then it reads client frames from the connection's input buffer, unmasks them,
 * reassembles fragmented messages (up to WS_MESSAGE_MAX_BYTES) and echoes each whole message
 * back unmasked with its opcode. A ping gets a pong; a close frame gets its echo and the
 * connection closes. Protocol errors close with 1002, invalid UTF-8 with 1007, too big with
 * 1009. Frames are consumed as they arrive, so the input buffer never holds a whole frame;
 * only the message being reassembled is buffered. conn.c stops reading while echoes are
 * unsent (backpressure).
 */
#include "ws.h"
#include "conn.h"
#include "http.h"
#include "reply.h"

#include <openssl/evp.h>
#include <openssl/sha.h>
#include <stdlib.h>
#include <string.h>

#define WS_MESSAGE_MAX_BYTES (16u * 1024 * 1024)

enum ws_opcode {
    WS_CONT = 0x0,
    WS_TEXT = 0x1,
    WS_BINARY = 0x2,
    WS_CLOSE = 0x8,
    WS_PING = 0x9,
    WS_PONG = 0xa,
};

struct ws {
    bool in_frame;          /* a header was read; c->ws->left payload bytes remain */
    bool fin;
    uint8_t opcode;         /* of the current frame */
    uint8_t mask[4];
    uint64_t left;
    uint64_t done;          /* payload bytes of this frame unmasked so far */
    uint8_t msg_opcode;     /* WS_TEXT or WS_BINARY while a message is open, else 0 */
    struct buf msg;         /* the data message being reassembled */
    uint8_t ctl[125];       /* payload of the current control frame */
    size_t ctl_len;
};

void
ws_free(struct ws *ws)
{
    buf_free(&ws->msg);
    free(ws);
}

/* 22 base64 characters then "==": the encoding of 16 bytes. */
static bool
ws_key_valid(struct http_slice key)
{
    static const char alphabet[] =
        "ABCDEFGHIJKLMNOPQRSTUVWXYZabcdefghijklmnopqrstuvwxyz0123456789+/";

    if (key.n != 24 || key.p[22] != '=' || key.p[23] != '=')
        return false;
    for (size_t i = 0; i < 22; i++) {
        if (!memchr(alphabet, key.p[i], sizeof(alphabet) - 1))
            return false;
    }
    return true;
}

void
ws_accept(struct conn *c, const struct http_req *req)
{
    static const char guid[] = "258EAFA5-E914-47DA-95CA-C5AB0DC85B11";
    const char *why = NULL;

    if (!req->is_get)
        why = "a WebSocket handshake is a GET";
    else if (req->minor != 1)
        why = "a WebSocket handshake needs HTTP/1.1";
    else if (!req->upgrade_ws || !req->conn_upgrade)
        why = "expected Upgrade: websocket and Connection: upgrade";
    else if (c->body_kind != CONN_BODY_NONE)
        why = "a WebSocket handshake has no body";
    else if (!ws_key_valid(req->ws_key))
        why = "bad Sec-WebSocket-Key";
    if (why) {
        reply_error(c, 400, why);
        return;
    }
    if (!http_slice_eq(req->ws_version, "13")) {
        static const char body[] = "426 Upgrade Required: WebSocket version 13 only\n";
        reply_head(c, 426, "text/plain", REPLY_LENGTH, sizeof(body) - 1,
                   "Sec-WebSocket-Version: 13\r\n");
        conn_out(c, body, sizeof(body) - 1);
        return;
    }
    c->ws = calloc(1, sizeof(*c->ws));
    if (!c->ws) {
        c->oom = true;
        return;
    }

    unsigned char joined[24 + sizeof(guid) - 1], digest[SHA_DIGEST_LENGTH];
    memcpy(joined, req->ws_key.p, 24);
    memcpy(joined + 24, guid, sizeof(guid) - 1);
    SHA1(joined, sizeof(joined), digest);
    char extra[160] = "Upgrade: websocket\r\nConnection: Upgrade\r\nSec-WebSocket-Accept: ";
    size_t at = strlen(extra);
    at += (size_t)EVP_EncodeBlock((unsigned char *)extra + at, digest, SHA_DIGEST_LENGTH);
    memcpy(extra + at, "\r\n", 3);

    c->keepalive = true;                /* no "Connection: close" on a 101 */
    reply_head(c, 101, NULL, REPLY_NONE, 0, extra);
    c->after_body = CONN_WS;
}

/* Appends one unmasked, unfragmented frame. */
static void
ws_send(struct conn *c, uint8_t opcode, const void *p, size_t n)
{
    uint8_t h[10];
    size_t hl;

    h[0] = (uint8_t)(0x80 | opcode);
    if (n < 126) {
        h[1] = (uint8_t)n;
        hl = 2;
    } else if (n <= 0xffff) {
        h[1] = 126;
        h[2] = (uint8_t)(n >> 8);
        h[3] = (uint8_t)n;
        hl = 4;
    } else {
        h[1] = 127;
        for (int i = 0; i < 8; i++)
            h[2 + i] = (uint8_t)((uint64_t)n >> (56 - 8 * i));
        hl = 10;
    }
    char *w = conn_out_reserve(c, hl + n);
    if (!w)
        return;
    memcpy(w, h, hl);
    if (n > 0)
        memcpy(w + hl, p, n);
    conn_out_commit(c, hl + n);
}

void
ws_fail(struct conn *c, uint16_t code)
{
    uint8_t payload[2] = { (uint8_t)(code >> 8), (uint8_t)code };

    if (c->state == CONN_CLOSING || c->state == CONN_LINGER)
        return;
    ws_send(c, WS_CLOSE, payload, sizeof(payload));
    c->keepalive = false;
    c->close_how = CONN_CLOSE_LINGER;
    c->state = CONN_CLOSING;
}

/* Strict UTF-8: no overlong forms, no surrogates, nothing above U+10FFFF. */
static bool
ws_utf8_valid(const uint8_t *s, size_t n)
{
    size_t i = 0;

    while (i < n) {
        if (s[i] < 0x80) {
            uint64_t word;
            while (i + 8 <= n && (memcpy(&word, s + i, 8), !(word & 0x8080808080808080u)))
                i += 8;
            while (i < n && s[i] < 0x80)
                i++;
            continue;
        }
        uint8_t b = s[i];
        size_t need;
        uint32_t cp, min;
        if ((b & 0xe0) == 0xc0) {
            need = 1, cp = b & 0x1fu, min = 0x80;
        } else if ((b & 0xf0) == 0xe0) {
            need = 2, cp = b & 0x0fu, min = 0x800;
        } else if ((b & 0xf8) == 0xf0) {
            need = 3, cp = b & 0x07u, min = 0x10000;
        } else {
            return false;
        }
        if (n - i - 1 < need)
            return false;
        for (size_t k = 1; k <= need; k++) {
            if ((s[i + k] & 0xc0) != 0x80)
                return false;
            cp = cp << 6 | (s[i + k] & 0x3fu);
        }
        if (cp < min || cp > 0x10ffff || (cp >= 0xd800 && cp <= 0xdfff))
            return false;
        i += need + 1;
    }
    return true;
}

/* Close codes a peer may send (RFC 6455 section 7.4). */
static bool
ws_close_code_valid(unsigned code)
{
    if (code >= 3000 && code <= 4999)
        return true;
    return code >= 1000 && code <= 1014 && code != 1004 && code != 1005 && code != 1006;
}

/*
 * Reads a frame header from c->in. Returns its length (consumed), 0 when more bytes are
 * needed, or -1 after failing the connection.
 */
static int
ws_read_header(struct conn *c, struct ws *ws)
{
    const uint8_t *p = (const uint8_t *)c->in.data + c->in.start;
    size_t len = buf_len(&c->in);

    if (len < 2)
        return 0;
    bool fin = p[0] & 0x80;
    uint8_t op = p[0] & 0x0f;
    uint64_t n = p[1] & 0x7f;
    /* Check what we can before waiting for the rest of the header. */
    if ((p[0] & 0x70) || !(p[1] & 0x80))
        return ws_fail(c, 1002), -1;    /* extension bits, or an unmasked client frame */
    switch (op) {
    case WS_CONT:
        if (!ws->msg_opcode)
            return ws_fail(c, 1002), -1;
        break;
    case WS_TEXT:
    case WS_BINARY:
        if (ws->msg_opcode)
            return ws_fail(c, 1002), -1;
        break;
    case WS_CLOSE:
    case WS_PING:
    case WS_PONG:
        if (!fin || n > 125)
            return ws_fail(c, 1002), -1;
        break;
    default:
        return ws_fail(c, 1002), -1;
    }
    size_t hl = 2 + (n == 126 ? 2 : n == 127 ? 8 : 0) + 4;
    if (len < hl)
        return 0;
    if (n == 126) {
        n = (uint64_t)p[2] << 8 | p[3];
    } else if (n == 127) {
        n = 0;
        for (int i = 0; i < 8; i++)
            n = n << 8 | p[2 + i];
    }
    if (op < WS_CLOSE && n > WS_MESSAGE_MAX_BYTES - buf_len(&ws->msg))
        return ws_fail(c, 1009), -1;
    if (op == WS_TEXT || op == WS_BINARY)
        ws->msg_opcode = op;
    memcpy(ws->mask, p + hl - 4, 4);
    ws->fin = fin;
    ws->opcode = op;
    ws->left = n;
    ws->done = 0;
    ws->ctl_len = 0;
    ws->in_frame = true;
    buf_consume(&c->in, hl);
    return (int)hl;
}

/* Unmasks what payload c->in holds into the control buffer or the message. Returns the
 * bytes taken. */
static size_t
ws_read_payload(struct conn *c, struct ws *ws)
{
    size_t n = buf_len(&c->in);
    uint8_t *dst;

    if (n > ws->left)
        n = (size_t)ws->left;
    if (n == 0)
        return 0;
    if (ws->opcode >= WS_CLOSE) {
        dst = ws->ctl + ws->ctl_len;
        ws->ctl_len += n;
    } else {
        if (buf_reserve(&ws->msg, n) < 0) {
            c->oom = true;
            return 0;
        }
        dst = (uint8_t *)ws->msg.data + ws->msg.end;
        ws->msg.end += n;
    }
    const uint8_t *src = (const uint8_t *)c->in.data + c->in.start;
    uint8_t m[4];
    for (int k = 0; k < 4; k++)
        m[k] = ws->mask[(ws->done + (uint64_t)k) & 3];
    for (size_t i = 0; i < n; i++)
        dst[i] = src[i] ^ m[i & 3];
    ws->done += n;
    ws->left -= n;
    buf_consume(&c->in, n);
    return n;
}

static void
ws_on_close(struct conn *c, struct ws *ws)
{
    uint16_t bad = 0;

    if (ws->ctl_len == 1)
        bad = 1002;
    else if (ws->ctl_len >= 2 && !ws_close_code_valid((unsigned)ws->ctl[0] << 8 | ws->ctl[1]))
        bad = 1002;
    else if (ws->ctl_len >= 2 && !ws_utf8_valid(ws->ctl + 2, ws->ctl_len - 2))
        bad = 1007;
    if (bad) {
        ws_fail(c, bad);
        return;
    }
    ws_send(c, WS_CLOSE, ws->ctl, ws->ctl_len);     /* echo the code and reason */
    c->keepalive = false;
    c->close_how = CONN_CLOSE_LINGER;
    c->state = CONN_CLOSING;
}

static void
ws_frame_done(struct conn *c, struct ws *ws)
{
    ws->in_frame = false;
    switch (ws->opcode) {
    case WS_PING:
        ws_send(c, WS_PONG, ws->ctl, ws->ctl_len);
        return;
    case WS_PONG:
        return;
    case WS_CLOSE:
        ws_on_close(c, ws);
        return;
    default:
        break;
    }
    if (!ws->fin)
        return;                         /* more fragments to come */
    uint8_t op = ws->msg_opcode;
    ws->msg_opcode = 0;
    if (op == WS_TEXT && !ws_utf8_valid((const uint8_t *)ws->msg.data, buf_len(&ws->msg))) {
        ws_fail(c, 1007);
        return;
    }
    ws_send(c, op, ws->msg.data, buf_len(&ws->msg));
    ws->msg.start = ws->msg.end = 0;
    if (ws->msg.cap > APP_OUT_KEEP_BYTES)
        buf_free(&ws->msg);
}

bool
ws_advance(struct conn *c)
{
    struct ws *ws = c->ws;
    bool moved = false;

    while (c->state == CONN_WS && !c->oom && conn_out_pending(c) < APP_OUT_HIGH_BYTES) {
        if (!ws->in_frame) {
            int n = ws_read_header(c, ws);
            if (n == 0)
                break;
            moved = true;
            if (n < 0)
                break;
        }
        if (ws->left > 0) {
            if (ws_read_payload(c, ws) == 0)
                break;
            moved = true;
            if (ws->left > 0)
                continue;
        }
        ws_frame_done(c, ws);
    }
    return moved;
}

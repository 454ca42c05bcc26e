/*
 * examples/app/ws.h: the WebSocket echo behind GET /ws (RFC 6455).
 */
#ifndef APP_WS_H
#define APP_WS_H

#include <stdbool.h>
#include <stdint.h>

struct conn;
struct http_req;
struct ws;

/* Validates the opening handshake: answers 101 and sets c->after_body = CONN_WS, or answers
 * 400 (426 for an unsupported version). */
void ws_accept(struct conn *c, const struct http_req *req);
/* Reads frames from c->in and echoes; returns true if it made progress. */
bool ws_advance(struct conn *c);
/* Sends a close frame with `code` and closes after it (protocol errors, shutdown). */
void ws_fail(struct conn *c, uint16_t code);
void ws_free(struct ws *ws);

#endif

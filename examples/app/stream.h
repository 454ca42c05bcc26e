/*
 * examples/app/stream.h: the routes that move unbounded data in constant memory: GET /bytes
 * and POST|PUT /echo.
 */
#ifndef APP_STREAM_H
#define APP_STREAM_H

#include <stdbool.h>
#include <stddef.h>

struct conn;
struct http_req;

/* GET /bytes?n=N[&chunked=1][&close=1]: appends the head and sets up the generator. */
void stream_bytes_start(struct conn *c, const struct http_req *req);
/* Produces more /bytes output while the output is below its high-water mark; returns true
 * if it produced anything. Calls conn_response_done() after the last byte. */
bool stream_bytes_more(struct conn *c);

/* POST|PUT /echo: arranges for the body to come back to stream_echo_data(). */
void stream_echo_start(struct conn *c, const struct http_req *req);
/* n bytes of the request body (borrowed for the call). */
void stream_echo_data(struct conn *c, const char *p, size_t n);
/* The body ended: completes the response. */
void stream_echo_end(struct conn *c);

#endif

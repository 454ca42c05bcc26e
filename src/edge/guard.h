/*
 * edge/guard.h: the edge's side of the shield (guard.c).
 */
#ifndef EDGE_GUARD_H
#define EDGE_GUARD_H
#include <stdbool.h>
#include <sys/socket.h>

#include "http/h1.h"

struct conn;
struct txn;
struct worker;

/* At accept: false when the shield refuses the connection (it is closed, uncounted). */
bool guard_accept(struct worker *w, const struct sockaddr_storage *peer, bool *counted);
void guard_release(struct worker *w, const struct conn *c);
/* After routing: 0 to go on, or the status to answer (403/429) when refused. */
int guard_request(struct txn *t, const struct h1_request *r, bool static_asset);
/* When a request the shield saw has its status. */
void guard_response(struct txn *t);
/* A client broke a protocol limit and was cut off (HTTP/2: Rapid Reset, CONTINUATION or
 * HPACK floods): counted by the detectors as a refused request ("PRI *", 400), like any
 * other refusal of that client. */
void guard_abuse(struct worker *w, const struct conn *c);

#endif

/*
 * daemon/routes.h: the control API's routes, wired to the subsystems by the daemon (ctl/
 * serves HTTP and knows no subsystem; the handlers here know them all).
 */
#ifndef DAEMON_ROUTES_H
#define DAEMON_ROUTES_H
#include "ctl/ctl.h"
#include "daemon/stack.h"

struct edge;
struct routes;
struct routes_view;

/* Registers every /v1 route on `ctl`. Borrows ctl, edge and path for its lifetime.
 * Returns a new routes object; exits on allocation failure (start-up). */
struct routes *routes_new(struct ctl *ctl, struct edge *edge, const char *path);
void routes_free(struct routes *r);

/* What the routes show of a stack that is about to be applied (the stack file text, the
 * target groups with their algorithms): take the copy before edge_apply() consumes the
 * stack, then routes_view_set() it once the apply succeeded, or routes_view_free() it. */
struct routes_view *routes_view_new(const struct stack *s);
void routes_view_set(struct routes *r, struct routes_view *v);   /* takes v */
void routes_view_free(struct routes_view *v);

struct shield;
/* routes_shield.c: GET/POST /v1/bans, DELETE /v1/bans/{address}, GET /v1/shield. */
void routes_shield_add(struct ctl *ctl, struct shield *s);

struct fleet;
/* routes_fleet.c: auto scaling groups, instances, instance refresh. */
void routes_fleet_add(struct ctl *ctl, struct fleet *f);

#endif

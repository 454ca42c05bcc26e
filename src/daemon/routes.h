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

struct watch;
/* routes_watch.c: GET /metrics (Prometheus), GET /v1/alarms, GET /v1/metrics. */
void routes_watch_add(struct ctl *ctl, struct watch *w);

/* GET /v1/certs (routes_acme.c); a may be NULL (no acme: blocks), then the list is empty. */
struct acme;
void routes_acme_add(struct ctl *ctl, struct acme *a);

/* GET /v1/db (routes_data.c). */
struct data;
void routes_data_add(struct ctl *ctl, struct data *dt);

/* The running stack file's text (borrowed until the next routes_view_set()), or NULL. */
const char *routes_config_text(const struct routes *r, size_t *len);

struct applylog;
struct plan;
/* Validates `text` as the stack file `name` and applies it like a reload, recording the
 * apply as `who`. Returns 0 with *plan (new) set; -EINVAL with every problem in d when the
 * text is invalid; another negative errno with the reason in err when it was refused
 * (-EIO: it could not be recorded). */
typedef int (*routes_apply_fn)(void *ctx, const char *name, const char *text, size_t len,
                               const char *who, struct diag *d, struct plan **plan,
                               char *err, size_t errlen);
struct routes_apply;
/* routes_apply.c: POST /v1/plan, POST /v1/apply, GET /v1/applies. Borrows r, f and log;
 * `apply` does the work of POST /v1/apply. Returns a new object for routes_apply_free(). */
struct routes_apply *routes_apply_add(struct ctl *ctl, struct routes *r, struct fleet *f,
                                      struct applylog *log, routes_apply_fn apply, void *ctx);
void routes_apply_free(struct routes_apply *ra);
/* The plan from the running text to `text` (a valid stack file named `name`); f gives
 * the template versions (may be NULL). Returns a new plan. */
struct plan *routes_apply_plan(struct routes *r, struct fleet *f, const char *name,
                               const char *text, size_t len);

#endif

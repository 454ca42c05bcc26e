/*
 * daemon/routes_data.c: GET /v1/db, the databases and their servers (data/data.h).
 */
#include "daemon/routes.h"

#include "core/err.h"
#include "data/data.h"

static void
db_get(struct ctl_req *req, void *ctx)
{
    ctl_req_reply(req, 200, data_status_json(ctx));
}

void
routes_data_add(struct ctl *ctl, struct data *dt)
{
    BUG_ON(ctl_route(ctl, "GET", "/v1/db", db_get, dt) < 0);
}

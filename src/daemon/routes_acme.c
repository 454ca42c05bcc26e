/*
 * daemon/routes_acme.c: GET /v1/certs, the automatic certificates with their expiry,
 * next renewal and last error (`tierd certs`). Paths and dates only: no key material.
 */
#include "daemon/routes.h"

#include "acme/acme.h"
#include "core/err.h"

static void
add_cert(void *ctx, const struct acme_cert_view *v)
{
    json_t *c = json_pack("{s:s, s:s, s:s, s:s, s:s, s:b, s:I, s:b, s:i, s:s, s:s}",
                          "name", v->name, "listener", v->listener, "domains", v->domains,
                          "challenge", v->challenge, "state", v->state, "has_certificate",
                          v->has_cert, "next_renewal", (json_int_t)v->next_renewal_s,
                          "renewal_from_ari", v->ari, "failures", (int)v->failures,
                          "last_error", v->last_error, "path", v->cert_path);

    if (v->has_cert) {
        json_object_set_new(c, "not_before", json_integer(v->not_before_s));
        json_object_set_new(c, "not_after", json_integer(v->not_after_s));
    }
    if (v->last_success_s)
        json_object_set_new(c, "last_success", json_integer(v->last_success_s));
    json_array_append_new(ctx, c);
}

static void
certs_get(struct ctl_req *req, void *ctx)
{
    json_t *list = json_array();

    if (ctx)
        acme_visit(ctx, add_cert, list);
    ctl_req_reply(req, 200, json_pack("{s:o}", "certificates", list));
}

void
routes_acme_add(struct ctl *ctl, struct acme *a)
{
    BUG_ON(ctl_route(ctl, "GET", "/v1/certs", certs_get, a) < 0);
}

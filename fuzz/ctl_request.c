/*
 * fuzz/ctl_request.c: the control API's request path on arbitrary bytes: head parse,
 * token check, routing with path parameters, query and JSON body decoding, handler.
 * Checks that it never needs more than it was given once it answers, that every answer
 * is one whole HTTP response with a JSON body, and that errors carry a code.
 */
#include <jansson.h>
#include <stdint.h>
#include <stdio.h>
#include <string.h>

#include "core/err.h"
#include "core/log.h"
#include "ctl/internal.h"

static void
handler(struct ctl_req *req, void *ctx)
{
    const char *n = ctl_req_param(req, "name"), *a = ctl_req_param(req, "address");
    const char *l = ctl_req_query(req, "limit");
    json_t *b = ctl_req_body(req);

    (void)ctx;
    BUG_ON(ctl_req_peer(req) == NULL);
    if (n)
        BUG_ON(strlen(n) >= CTL_KV_VALUE_MAX);
    if (b && !json_is_object(b)) {
        ctl_req_error(req, 400, "bad_request", NULL, "not an object");
        return;
    }
    ctl_req_reply(req, 200, json_pack("{s:s?, s:s?, s:s?, s:O?}", "name", n, "address", a,
                                      "limit", l, "body", b));
}

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t len);

int
LLVMFuzzerTestOneInput(const uint8_t *data, size_t len)
{
    static struct ctl_router rt;
    static bool ready;
    static const struct ctl_peer peer = { .is_unix = true, .uid = 0, .pid = 1 };
    struct buf out = { 0 };

    if (!ready) {
        log_set_level(LOG_ERROR);   /* the operator log's "action" lines: not wanted here */
        ctl_router_init(&rt);
        ctl_router_add(&rt, "GET", "/v1/status", handler, NULL);
        ctl_router_add(&rt, "GET", "/v1/target-groups/{name}/targets", handler, NULL);
        ctl_router_add(&rt, "POST", "/v1/target-groups/{name}/targets", handler, NULL);
        ctl_router_add(&rt, "DELETE", "/v1/target-groups/{name}/targets/{address}", handler,
                       NULL);
        ctl_router_add(&rt, "GET", "/v1/events", handler, NULL);
        ready = true;
    }
    /* The first byte picks whether the TCP listener's checks apply (token, Host, Origin). */
    static const char *const origins[] = { "http://127.0.0.1:9000" };
    static const struct ctl_cred ops[] = { { "alice", "fuzz-alice" }, { "bob", "fuzz-bob" } };
    static const struct ctl_guard tcp = { "fuzz-token", "127.0.0.1:7070", true, origins, 1,
                                         NULL, ops, 2 };
    const struct ctl_guard *g = len > 0 && (data[0] & 1) ? &tcp : NULL;
    int st = 0;
    ssize_t n = ctl_req_handle(&rt, (const char *)data, len, &peer, g, &out, &st);

    BUG_ON(n != -EAGAIN && (n < 0 || (size_t)n > len));
    if (n == -EAGAIN) {
        BUG_ON(buf_len(&out) != 0);
        return 0;
    }
    const char *p = buf_head(&out);
    size_t olen = buf_len(&out);
    BUG_ON(olen < 12 || memcmp(p, "HTTP/1.1 ", 9) != 0);
    const char *sep = memmem(p, olen, "\r\n\r\n", 4);
    BUG_ON(!sep);
    size_t head = (size_t)(sep - p) + 4;
    int status = 0;
    unsigned long clen = 0;
    BUG_ON(sscanf(p, "HTTP/1.1 %d", &status) != 1 || status < 200 || status > 599);
    BUG_ON(status != st && status != 503);     /* 503: the reply did not fit in memory */
    const char *cl = memmem(p, head, "Content-Length: ", 16);
    BUG_ON(!cl || sscanf(cl, "Content-Length: %lu", &clen) != 1 || head + clen != olen);
    if (status != 503) {
        json_t *j = json_loadb(p + head, clen, 0, NULL);
        BUG_ON(!j);
        if (status >= 400)
            BUG_ON(!json_is_string(json_object_get(json_object_get(j, "error"), "code")));
        json_decref(j);
    }
    buf_fini(&out);
    return 0;
}

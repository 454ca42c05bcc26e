/*
 * ctl/ctl.h: the control API server, for daemon/. HTTP/1.1 + JSON on a unix socket (and
 * optionally TCP with a bearer token), served from the daemon's main-thread loop, one
 * request per connection. Routes are registered with ctl_route(); a handler runs on that
 * loop, must not block, and answers synchronously with ctl_req_reply() or ctl_req_error().
 */
#ifndef CTL_CTL_H
#define CTL_CTL_H
#include <jansson.h>
#include <stdbool.h>
#include <stdint.h>
#include <stddef.h>
#include <sys/types.h>

#include "ctl/ctl_conf.h"

#define CTL_BODY_MAX_BYTES (1u << 20)   /* request bodies above this: 413 */

struct loop;
struct ctl;
struct ctl_req;

/* Who sent a request. On the unix socket uid/pid come from SO_PEERCRED; on TCP they are
 * -1 and addr holds the client address. */
struct ctl_peer {
    bool is_unix;
    long uid;
    long pid;
    char addr[64];
};

/* Requests the TCP listener answered, and those refused before routing: what a web page
 * or a stranger would cause. The unix socket's are not counted. */
struct ctl_stats {
    uint64_t tcp_requests;
    uint64_t refused_token;     /* 401 */
    uint64_t refused_origin;    /* 403: Origin or Sec-Fetch-Site */
    uint64_t refused_type;      /* 415: a state change without the JSON type */
    uint64_t refused_host;      /* 421: a foreign Host */
};

/* Runs once per matching request; borrows req until it returns. */
typedef void (*ctl_handler_fn)(struct ctl_req *req, void *ctx);

/* Returns a new server with no routes and no sockets. */
struct ctl *ctl_new(struct loop *l);
/* Registers `fn` for `method` on `pattern`, a path whose segments may be "{name}"
 * parameters ("/v1/target-groups/{name}/targets"). Returns 0, -EEXIST for a duplicate,
 * -EINVAL for a malformed pattern. Routes may be added before or after ctl_start(). */
int ctl_route(struct ctl *c, const char *method, const char *pattern, ctl_handler_fn fn,
              void *ctx);
/* Opens the unix socket (mode 0660, parent directory created, a stale socket replaced)
 * and the TCP listener of `conf`, and starts serving. Returns 0; -EINVAL when the TCP
 * listener's token variable is unset or empty (the caller exits 2); another negative
 * errno when a socket cannot be opened. The reason is in err either way. */
int ctl_start(struct ctl *c, const struct ctl_conf *conf, char *err, size_t errlen);
/* A reload's new control.token and control.tokens (the rest of `conf` is ignored: it takes
 * effect on restart): the TCP listener accepts exactly these from now on, and the console
 * signs out every session of an operator who is gone or whose token changed. Returns 0; a
 * negative errno with the reason in err (an unset variable, two operators with one token),
 * the running tokens kept. */
int ctl_reload_tokens(struct ctl *c, const struct ctl_conf *conf, char *err, size_t errlen);
/* Closes the listeners and every connection, and removes the unix socket file. */
void ctl_stop(struct ctl *c);
void ctl_get_stats(const struct ctl *c, struct ctl_stats *out);
void ctl_free(struct ctl *c);

/* Request accessors, valid while the handler runs. Strings are NUL-terminated and
 * percent-decoded; NULL when absent. */
const char *ctl_req_method(const struct ctl_req *req);
const char *ctl_req_path(const struct ctl_req *req);
const char *ctl_req_param(const struct ctl_req *req, const char *name);
const char *ctl_req_query(const struct ctl_req *req, const char *name);
/* The decoded JSON body (borrowed), or NULL when the request had none. */
json_t *ctl_req_body(const struct ctl_req *req);
const struct ctl_peer *ctl_req_peer(const struct ctl_req *req);
/* The value of the first header field `name` (case-insensitive), *len set; NULL when
 * absent. Not NUL-terminated. */
const char *ctl_req_header(const struct ctl_req *req, const char *name, size_t *len);
/* Who is acting, for the operator log: the token's operator ("alice", from
 * control.tokens; "operator" for control.token), "console:alice" for a console session,
 * NULL on the unix socket (the peer's uid says who). */
const char *ctl_req_who(const struct ctl_req *req);
/* Writes who is acting as the operator log writes it: "uid=0 pid=42" on the unix socket,
 * "who=alice peer=127.0.0.1:51234" on TCP. Never holds a secret. */
void ctl_req_actor(const struct ctl_req *req, char *out, size_t n);
/* Turns the reply into the head of an event stream of the GET routes in `paths`
 * (comma-separated) for session `session_id`: for the console only (ctl_console.c).
 * Returns 0, or -ENOTSUP where the connection cannot stream. */
int ctl_req_stream(struct ctl_req *req, const char *paths, const char *session_id,
                   const char *extra_headers);
/* Extra response header lines ("Name: value\r\n"...), borrowed until the reply. */
void ctl_req_set_headers(struct ctl_req *req, const char *lines);

/* Answers with `status` and `body` (taken; NULL sends {}). */
void ctl_req_reply(struct ctl_req *req, int status, json_t *body);
/* Answers with a non-JSON body (Prometheus' text format), copied. */
void ctl_req_reply_text(struct ctl_req *req, int status, const char *content_type,
                        const char *body, size_t len);
/* Answers {"error": {"code", "message", "field"}}; field may be NULL. */
void ctl_req_error(struct ctl_req *req, int status, const char *code, const char *field,
                   const char *fmt, ...) __attribute__((format(printf, 5, 6)));

#endif

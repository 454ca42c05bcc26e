/*
 * ctl/ctl_conf.h: the `control:` section of the stack file (where the control API
 * listens and how TCP clients authenticate), read and validated. Every string is owned by
 * the struct; it is immutable once built.
 */
#ifndef CTL_CTL_CONF_H
#define CTL_CTL_CONF_H
#include <stdbool.h>
#include <stddef.h>

#include "conf/ctx.h"
#include "conf/node.h"
#include "core/sock.h"

#define CTL_CONF_SOCKET_DEFAULT "run/tierd.sock"
#define CTL_CONF_ORIGINS_MAX 16
#define CTL_CONF_ORIGIN_LEN_MAX 255
#define CTL_CONF_TOKENS_MAX 64
#define CTL_CONF_TOKEN_NAME_MAX 32
/* Who the unnamed token (control.token, token_env) acts as. */
#define CTL_CONF_DEFAULT_WHO "operator"

/* One operator's token (control.tokens.NAME): the name actions are recorded with, and the
 * token as written ("${env:NAME}" or a literal). */
struct ctl_conf_token {
    char *name;
    char *ref;
    char *key;                  /* "control.tokens.alice", for messages */
};

struct ctl_conf {
    char *socket_path;          /* unix socket; NULL when "off" */
    char *addr_text;            /* optional TCP listener, NULL when absent */
    struct sock_addr addr;
    bool addr_is_loopback;
    /* The TCP bearer token as written: "${env:NAME}" (token_env: NAME is stored so) or a
     * literal; NULL: none. ctl_start() expands it; it is never printed. */
    char *token;
    const char *token_key;      /* "control.token" or "control.token_env", for messages */
    char **origins;             /* control.allowed_origins: "scheme://host[:port]", lower case */
    unsigned norigins;
    bool console;               /* control.console: the web console on the TCP listener */
    struct ctl_conf_token *tokens;  /* control.tokens, in file order */
    unsigned ntokens;
};


/* Reads `control:` of `root` (a map) into *out, with defaults when absent. Returns 0, or
 * -EINVAL after one diagnostic per problem; on failure *out is left empty. */
int ctl_conf_build(const struct conf_node *root, const struct conf_ctx *cx,
                   struct ctl_conf **out);
void ctl_conf_fini(struct ctl_conf *c);
void ctl_conf_free(struct ctl_conf *c);
/* True when the two configurations listen in the same places with the same token (as
 * written: a changed value of the variable is not seen). */
bool ctl_conf_equal(const struct ctl_conf *a, const struct ctl_conf *b);
/* True when a and b differ at most in their tokens (control.token, control.tokens): a
 * reload can take those (ctl_reload_tokens()). */
bool ctl_conf_equal_but_tokens(const struct ctl_conf *a, const struct ctl_conf *b);
/* Moves src's tokens into dst, wiping and freeing dst's; src is left without any. */
void ctl_conf_take_tokens(struct ctl_conf *dst, struct ctl_conf *src);
/* The unix socket named by `control.socket` in the stack file at `path`, for the CLI:
 * copies it into out and returns 0; -ENOENT when the file is unreadable or invalid,
 * -ENOTSUP when the socket is "off". Prints nothing. */
int ctl_conf_socket_of(const char *path, char *out, size_t n);

#endif

/*
 * ctl/ctl_conf.c: reads and validates the `control:` section through its key table
 * (ctl/ctl_keys.c). A TCP listener, loopback or not, must have a token (checked here, so
 * `tierd check` refuses it: control.token, or one per operator in control.tokens), and lists the web origins it accepts (none by default). The token is kept as written, "${env:NAME}" or a
 * literal: this file checks that the variable is set (a warning under `tierd check`, an
 * error otherwise), ctl.c expands it at start. Does not open sockets.
 */
#include "ctl/ctl_conf.h"

#include <errno.h>
#include <netinet/in.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <strings.h>

#include "conf/keys.h"
#include "conf/ref.h"
#include "conf/value.h"
#include "core/mem.h"
#include "ctl/ctl_keys.h"

#define K(id) (&ctl_keys[id])

static bool
addr_is_loopback(const struct sock_addr *a)
{
    if (a->ss.ss_family == AF_INET) {
        const struct sockaddr_in *s4 = (const struct sockaddr_in *)&a->ss;
        return (ntohl(s4->sin_addr.s_addr) >> 24) == 127;
    }
    if (a->ss.ss_family == AF_INET6) {
        const struct sockaddr_in6 *s6 = (const struct sockaddr_in6 *)&a->ss;
        return IN6_IS_ADDR_LOOPBACK(&s6->sin6_addr);
    }
    return false;
}

static void
read_socket(const struct conf_node *sec, struct ctl_conf *out, struct diag *d)
{
    const struct conf_key *k = K(CK_SOCKET);
    const struct conf_node *n = conf_key_get(sec, k);
    const char *s;

    if (!n) {
        out->socket_path = mem_strdup_or_exit(k->def);
        return;
    }
    if (conf_string(n, &s, d) < 0)
        return;
    if (strcmp(s, "off") == 0)
        return;
    if (!*s) {
        diag_at(d, n, "control.socket: empty path; write a path like run/tierd.sock, or off");
        return;
    }
    if (strlen(s) > k->max) {
        diag_at(d, n, "control.socket: \"%s\" is longer than %llu bytes, the limit of a unix "
                      "socket path; use a shorter path", s, (unsigned long long)k->max);
        return;
    }
    out->socket_path = mem_strdup_or_exit(s);
}

/* The token's reference must resolve where tierd runs: unset or empty is an error, or a
 * warning under cx->check_only. A whole "${env:NAME}" gets the message naming what to do
 * about an empty value too; anything else (a literal, or text with references in it) is
 * conf_ref_check()'s. */
static int
check_token_ref(const struct conf_node *n, const char *written, const char *key,
                const struct conf_ctx *cx)
{
    char name[160];
    const char *v;

    if (!conf_ref_is_whole(written, name, sizeof(name)))
        return conf_ref_check(n, key, cx);
    if ((v = getenv(name)) && *v)
        return 0;
    if (cx->check_only) {
        diag_warn_at(cx->d, n, "%s: environment variable %s is unset or empty here; tierd "
                     "run and apply will need the bearer token in it", key, name);
        return 0;
    }
    diag_at(cx->d, n, "%s: environment variable %s is unset or empty; export the bearer token "
            "in tierd's environment (or its systemd EnvironmentFile=), or remove "
            "control.address", key, name);
    return -EINVAL;
}

/* token: "${env:NAME}" (or a literal), or its older spelling token_env: NAME. */
static void
read_token(const struct conf_node *sec, struct ctl_conf *out, const struct conf_ctx *cx)
{
    const struct conf_node *tok = conf_key_get(sec, K(CK_TOKEN));
    const struct conf_node *env = conf_key_get(sec, K(CK_TOKEN_ENV));
    const char *s, *key = K(CK_TOKEN)->path;
    char ref[192];

    if (tok && env) {
        diag_at(cx->d, env, "control: token and token_env are both set; keep token: "
                "\"${env:NAME}\" (token_env: NAME is an older spelling of it)");
        return;
    }
    if (env) {
        if (conf_string(env, &s, cx->d) < 0)
            return;
        if (!conf_ref_name_ok(s, strlen(s))) {
            diag_at(cx->d, env, "control.token_env: \"%.60s\" is not an environment variable "
                    "name (letters, digits and _, not starting with a digit, at most %llu)", s,
                    (unsigned long long)K(CK_TOKEN_ENV)->max);
            return;
        }
        snprintf(ref, sizeof(ref), "${env:%s}", s);
        s = ref;
        tok = env;
        key = K(CK_TOKEN_ENV)->path;
    } else if (tok) {
        if (conf_string(tok, &s, cx->d) < 0)
            return;
        if (!*s) {
            diag_at(cx->d, tok, "control.token is empty; write token: \"${env:NAME}\" naming "
                    "the environment variable that holds the bearer token");
            return;
        }
    } else {
        return;
    }
    if (check_token_ref(tok, s, key, cx) < 0)
        return;
    out->token = mem_strdup_or_exit(s);
    out->token_key = key;
}

/* control.tokens: { alice: "${env:ALICE_TOKEN}", ... }: each checked like control.token. */
static void
read_tokens(const struct conf_node *sec, struct ctl_conf *out, const struct conf_ctx *cx)
{
    const struct conf_key *k = K(CK_TOKENS);
    const struct conf_node *n = conf_key_get(sec, k);
    char key[96];
    const char *s;

    if (!n || conf_expect(n, CONF_MAP, k->path, cx->d) < 0)
        return;
    if (n->n > k->max) {
        diag_at(cx->d, n, "%s: at most %llu tokens", k->path, (unsigned long long)k->max);
        return;
    }
    out->tokens = mem_alloc_or_exit((n->n + 1) * sizeof(*out->tokens));
    for (unsigned i = 0; i < n->n; i++) {
        const struct conf_node *name = n->pairs[i].key, *v = n->pairs[i].value;
        if (conf_name_check(name, "control.tokens: operator", CTL_CONF_TOKEN_NAME_MAX,
                            cx->d) < 0)
            continue;
        snprintf(key, sizeof(key), "%s.%s", k->path, name->str);
        if (out->token && strcmp(name->str, CTL_CONF_DEFAULT_WHO) == 0) {
            diag_at(cx->d, name, "%s: \"%s\" is the name of control.token's operator; "
                    "choose another name, or move control.token here", key, name->str);
            continue;
        }
        if (!v || v->kind != CONF_SCALAR || conf_string(v, &s, cx->d) < 0) {
            if (!v || v->kind != CONF_SCALAR)
                diag_at(cx->d, v ? v : name, "%s: write the operator's token as "
                        "\"${env:NAME}\"", key);
            continue;
        }
        if (!*s) {
            diag_at(cx->d, v, "%s is empty; write \"${env:NAME}\" naming the environment "
                    "variable that holds %s's token", key, name->str);
            continue;
        }
        if (check_token_ref(v, s, key, cx) < 0)
            continue;
        struct ctl_conf_token *t = &out->tokens[out->ntokens++];
        t->name = mem_strdup_or_exit(name->str);
        t->ref = mem_strdup_or_exit(s);
        t->key = mem_strdup_or_exit(key);
    }
}

/* An origin as browsers serialise it (RFC 6454 6.2): "http" or "https", "://", a host,
 * an optional port; no path, query, user or trailing slash. Lower-cased for comparing. */
static bool
origin_ok(const char *s, char *out, size_t n, const char **why)
{
    const char *host;
    size_t len = strlen(s), hl = 0;

    if (strncasecmp(s, "http://", 7) == 0)
        host = s + 7;
    else if (strncasecmp(s, "https://", 8) == 0)
        host = s + 8;
    else
        return (*why = "it must start with http:// or https://"), false;
    if (len >= n)
        return (*why = "it is too long"), false;
    for (const char *p = host; *p; p++, hl++) {
        unsigned char c = (unsigned char)*p;
        if (c == '/' || c == '?' || c == '#' || c == '@')
            return (*why = "an origin has no path, query, fragment or user; write "
                           "scheme://host[:port] only"), false;
        if (c <= 0x20 || c >= 0x7f)
            return (*why = "it holds a space, a control byte or a non-ASCII byte"), false;
    }
    if (hl == 0 || host[0] == ':')
        return (*why = "the host is missing"), false;
    for (size_t i = 0; i <= len; i++)
        out[i] = (char)((s[i] >= 'A' && s[i] <= 'Z') ? s[i] - 'A' + 'a' : s[i]);
    return true;
}

static void
read_origins(const struct conf_node *sec, struct ctl_conf *out, struct diag *d)
{
    const struct conf_key *k = K(CK_ALLOWED_ORIGINS);
    const struct conf_node *n = conf_key_get(sec, k);
    char norm[CTL_CONF_ORIGIN_LEN_MAX + 1];
    const char *why;

    if (!n || conf_expect(n, CONF_SEQ, k->path, d) < 0)
        return;
    if (n->n > k->max) {
        diag_at(d, n, "%s: at most %llu origins", k->path, (unsigned long long)k->max);
        return;
    }
    out->origins = mem_alloc_or_exit((n->n + 1) * sizeof(*out->origins));
    for (unsigned i = 0; i < n->n; i++) {
        const struct conf_node *a = n->items[i];
        if (a->kind != CONF_SCALAR) {
            diag_at(d, a, "%s[%u]: give an origin like https://console.example:9000", k->path,
                    i);
            continue;
        }
        if (strcmp(a->str, "*") == 0 || strcmp(a->str, "null") == 0) {
            diag_at(d, a, "%s[%u]: \"%s\" would let any page (or any sandboxed one) drive the "
                    "API; list the exact origins of your own pages", k->path, i, a->str);
            continue;
        }
        if (!origin_ok(a->str, norm, sizeof(norm), &why)) {
            diag_at(d, a, "%s[%u]: \"%.80s\" is not an origin: %s (for example "
                    "https://console.example:9000)", k->path, i, a->str, why);
            continue;
        }
        out->origins[out->norigins++] = mem_strdup_or_exit(norm);
    }
}

static int
ctl_conf_read(const struct conf_node *root, struct ctl_conf *out, const struct conf_ctx *cx)
{
    struct diag *d = cx->d;
    const struct conf_node *sec = conf_key_get(root, K(CK_CONTROL)), *addr = NULL;
    unsigned before = diag_count(d);
    const char *s, *why;

    memset(out, 0, sizeof(*out));
    if (sec && conf_expect(sec, CONF_MAP, "control", d) < 0)
        return -EINVAL;
    conf_key_check_map(sec, ctl_keys, CK_COUNT, K(CK_CONTROL), "control", d);
    read_socket(sec, out, d);
    read_token(sec, out, cx);
    read_tokens(sec, out, cx);
    if ((addr = conf_key_get(sec, K(CK_ADDRESS))) && conf_string(addr, &s, d) == 0) {
        if (sock_addr_parse(s, &out->addr, &why) < 0) {
            diag_at(d, addr, "control.address: \"%s\": %s; write it as 127.0.0.1:7070", s, why);
        } else {
            out->addr_text = mem_strdup_or_exit(s);
            out->addr_is_loopback = addr_is_loopback(&out->addr);
            /* Loopback too: every local user, and every web page a local browser opens,
             * can reach 127.0.0.1. A token written but refused has had its own message. */
            if (!conf_key_get(sec, K(CK_TOKEN)) && !conf_key_get(sec, K(CK_TOKEN_ENV)) &&
                !conf_key_get(sec, K(CK_TOKENS)))
                diag_at(d, addr, "control.address: %s is a TCP listener and no token is set; "
                                 "add token: \"${env:NAME}\" naming an environment variable "
                                 "that holds the bearer token, or remove control.address and "
                                 "use the unix socket (control.socket)%s", s,
                        out->addr_is_loopback ? "" : "; this is not a loopback address either");
        }
    }
    read_origins(sec, out, d);
    if (out->norigins && !out->addr_text)
        diag_at(d, conf_key_get(sec, K(CK_ALLOWED_ORIGINS)), "control.allowed_origins: only "
                "the TCP listener checks origins; set control.address or remove this key");
    const struct conf_node *con = conf_key_get(sec, K(CK_CONSOLE));
    if (conf_key_bool(sec, K(CK_CONSOLE), &out->console, d) == 0 && out->console &&
        !out->addr_text)
        diag_at(d, con, "control.console: the console is served on the TCP listener only; set "
                "control.address (and control.token) or remove this key");
    if (diag_count(d) > before) {
        ctl_conf_fini(out);
        return -EINVAL;
    }
    return 0;
}

int
ctl_conf_build(const struct conf_node *root, const struct conf_ctx *cx, struct ctl_conf **out)
{
    struct ctl_conf *c = mem_alloc_or_exit(sizeof(*c));

    *out = NULL;
    if (ctl_conf_read(root, c, cx) < 0) {
        free(c);
        return -EINVAL;
    }
    *out = c;
    return 0;
}

void
ctl_conf_free(struct ctl_conf *c)
{
    if (!c)
        return;
    ctl_conf_fini(c);
    free(c);
}

void
ctl_conf_fini(struct ctl_conf *c)
{
    free(c->socket_path);
    free(c->addr_text);
    for (unsigned i = 0; i < c->norigins; i++)
        free(c->origins[i]);
    free(c->origins);
    /* A literal token is the secret itself. */
    if (c->token)
        explicit_bzero(c->token, strlen(c->token));
    free(c->token);
    for (unsigned i = 0; i < c->ntokens; i++) {
        free(c->tokens[i].name);
        explicit_bzero(c->tokens[i].ref, strlen(c->tokens[i].ref));
        free(c->tokens[i].ref);
        free(c->tokens[i].key);
    }
    free(c->tokens);
    memset(c, 0, sizeof(*c));
}

static bool
str_eq(const char *a, const char *b)
{
    return (!a && !b) || (a && b && strcmp(a, b) == 0);
}

static bool
tokens_equal(const struct ctl_conf *a, const struct ctl_conf *b)
{
    if (a->ntokens != b->ntokens || !str_eq(a->token, b->token))
        return false;
    for (unsigned i = 0; i < a->ntokens; i++)
        if (strcmp(a->tokens[i].name, b->tokens[i].name) != 0 ||
            strcmp(a->tokens[i].ref, b->tokens[i].ref) != 0)
            return false;
    return true;
}

bool
ctl_conf_equal_but_tokens(const struct ctl_conf *a, const struct ctl_conf *b)
{
    struct ctl_conf x = *a;

    /* b's tokens in a copy of a: then ctl_conf_equal() compares all the rest. */
    x.token = b->token;
    x.token_key = b->token_key;
    x.tokens = b->tokens;
    x.ntokens = b->ntokens;
    return ctl_conf_equal(&x, b);
}

void
ctl_conf_take_tokens(struct ctl_conf *dst, struct ctl_conf *src)
{
    struct ctl_conf old = { 0 };

    old.token = dst->token;
    old.tokens = dst->tokens;
    old.ntokens = dst->ntokens;
    ctl_conf_fini(&old);            /* wipes and frees the running ones */
    dst->token = src->token;
    dst->token_key = src->token_key;
    dst->tokens = src->tokens;
    dst->ntokens = src->ntokens;
    src->token = NULL;
    src->tokens = NULL;
    src->ntokens = 0;
}

bool
ctl_conf_equal(const struct ctl_conf *a, const struct ctl_conf *b)
{
    /* token_env: X and token: "${env:X}" are both stored as "${env:X}": equal. */
    if (a->norigins != b->norigins || !tokens_equal(a, b))
        return false;
    for (unsigned i = 0; i < a->norigins; i++)
        if (strcmp(a->origins[i], b->origins[i]) != 0)
            return false;
    return a->console == b->console &&
           str_eq(a->socket_path, b->socket_path) && str_eq(a->addr_text, b->addr_text);
}

int
ctl_conf_socket_of(const char *path, char *out, size_t n)
{
    struct diag d;
    struct conf_doc *doc;
    struct ctl_conf c;
    int rc = -ENOENT;

    diag_init(&d);
    /* The CLI needs the socket, not the token: an unset token variable is no error here. */
    struct conf_ctx cx = { .d = &d, .check_only = true };
    doc = conf_doc_load_file(path, &d);
    if (doc && doc->root && doc->root->kind == CONF_MAP && ctl_conf_read(doc->root, &c, &cx) == 0) {
        rc = c.socket_path ? 0 : -ENOTSUP;
        if (c.socket_path)
            snprintf(out, n, "%s", c.socket_path);
        ctl_conf_fini(&c);
    }
    conf_doc_free(doc);
    diag_fini(&d);
    return rc;
}

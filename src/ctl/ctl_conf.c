/*
 * ctl/ctl_conf.c: reads and validates the `control:` section. A TCP listener on a
 * non-loopback address must name a token variable (checked here, so `tierd check` refuses
 * it); whether the variable is set is a run-time question for ctl.c. Does not open
 * sockets.
 */
#include "ctl/ctl_conf.h"

#include <errno.h>
#include <netinet/in.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/un.h>

#include "conf/value.h"
#include "core/mem.h"

const char *const ctl_conf_keys[] = { "control", NULL };

static const char *const control_keys[] = { "socket", "address", "token_env", NULL };

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

static bool
env_name_is_valid(const char *s)
{
    if (!*s || (*s >= '0' && *s <= '9'))
        return false;
    for (; *s; s++)
        if (!(*s == '_' || (*s >= 'A' && *s <= 'Z') || (*s >= 'a' && *s <= 'z') ||
              (*s >= '0' && *s <= '9')))
            return false;
    return true;
}

static void
read_socket(const struct conf_node *n, struct ctl_conf *out, struct diag *d)
{
    const char *s;

    if (!n || conf_is_null(n)) {
        out->socket_path = mem_strdup_or_exit(CTL_CONF_SOCKET_DEFAULT);
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
    if (strlen(s) >= sizeof(((struct sockaddr_un *)0)->sun_path)) {
        diag_at(d, n, "control.socket: \"%s\" is longer than %zu bytes, the limit of a unix "
                      "socket path; use a shorter path", s,
                sizeof(((struct sockaddr_un *)0)->sun_path) - 1);
        return;
    }
    out->socket_path = mem_strdup_or_exit(s);
}

static int
ctl_conf_read(const struct conf_node *root, struct ctl_conf *out, struct diag *d)
{
    const struct conf_node *sec = conf_map_get(root, "control");
    const struct conf_node *addr = NULL, *tok = NULL;
    unsigned before = diag_count(d);
    const char *s, *why;

    memset(out, 0, sizeof(*out));
    if (sec && conf_is_null(sec))
        sec = NULL;
    if (sec && conf_expect(sec, CONF_MAP, "control", d) < 0)
        return -EINVAL;
    if (sec) {
        conf_check_keys(sec, control_keys, "control", d);
        addr = conf_map_get(sec, "address");
        tok = conf_map_get(sec, "token_env");
    }
    read_socket(sec ? conf_map_get(sec, "socket") : NULL, out, d);
    if (tok && !conf_is_null(tok) && conf_string(tok, &s, d) == 0) {
        if (!env_name_is_valid(s))
            diag_at(d, tok, "control.token_env: \"%s\" is not an environment variable name "
                            "(letters, digits and _, not starting with a digit)", s);
        else
            out->token_env = mem_strdup_or_exit(s);
    }
    if (addr && !conf_is_null(addr) && conf_string(addr, &s, d) == 0) {
        if (sock_addr_parse(s, &out->addr, &why) < 0) {
            diag_at(d, addr, "control.address: \"%s\": %s; write it as 127.0.0.1:7070", s, why);
        } else {
            out->addr_text = mem_strdup_or_exit(s);
            out->addr_is_loopback = addr_is_loopback(&out->addr);
            if (!out->addr_is_loopback && !out->token_env && !(tok && !conf_is_null(tok)))
                diag_at(d, addr, "control.address: %s is not a loopback address and "
                                 "control.token_env is not set; set token_env to the name of "
                                 "an environment variable holding the bearer token, or listen "
                                 "on 127.0.0.1", s);
        }
    }
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
    if (ctl_conf_read(root, c, cx->d) < 0) {
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
    free(c->token_env);
    memset(c, 0, sizeof(*c));
}

static bool
str_eq(const char *a, const char *b)
{
    return (!a && !b) || (a && b && strcmp(a, b) == 0);
}

bool
ctl_conf_equal(const struct ctl_conf *a, const struct ctl_conf *b)
{
    return str_eq(a->socket_path, b->socket_path) && str_eq(a->addr_text, b->addr_text) &&
           str_eq(a->token_env, b->token_env);
}

int
ctl_conf_socket_of(const char *path, char *out, size_t n)
{
    struct diag d;
    struct conf_doc *doc;
    struct ctl_conf c;
    int rc = -ENOENT;

    diag_init(&d);
    doc = conf_doc_load_file(path, &d);
    if (doc && doc->root && doc->root->kind == CONF_MAP &&
        ctl_conf_read(doc->root, &c, &d) == 0) {
        rc = c.socket_path ? 0 : -ENOTSUP;
        if (c.socket_path)
            snprintf(out, n, "%s", c.socket_path);
        ctl_conf_fini(&c);
    }
    conf_doc_free(doc);
    diag_fini(&d);
    return rc;
}

/*
 * policy/check_store.c: TD-STORE-001, what a static root exposes. Paths are resolved as
 * `run` resolves them (relative to the current directory) and compared lexically; the
 * only file-system look is whether an existing root holds .git or .env.
 */
#include <limits.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>
#include <unistd.h>

#include "policy/internal.h"

#define RES_MAX 192

/* Absolute, with ".", ".." and repeated slashes folded. Returns 0 or -1 when too long. */
static int
resolve(const char *p, char *out, size_t cap)
{
    char tmp[PATH_MAX * 2], cwd[PATH_MAX];
    size_t n = 0;

    if (p[0] == '/')
        snprintf(tmp, sizeof(tmp), "%s", p);
    else if (getcwd(cwd, sizeof(cwd)))
        snprintf(tmp, sizeof(tmp), "%s/%s", cwd, p);
    else
        return -1;
    out[0] = '\0';
    for (char *s = tmp, *tok; (tok = strsep(&s, "/")) != NULL;) {
        if (!*tok || strcmp(tok, ".") == 0)
            continue;
        if (strcmp(tok, "..") == 0) {
            char *slash = strrchr(out, '/');
            n = slash ? (size_t)(slash - out) : 0;
            out[n] = '\0';
            continue;
        }
        size_t tl = strlen(tok);
        if (n + tl + 2 > cap)
            return -1;
        out[n++] = '/';
        memcpy(out + n, tok, tl + 1);
        n += tl;
    }
    if (n == 0)
        snprintf(out, cap, "/");
    return 0;
}

/* child is parent or somewhere below it. */
static bool
is_within(const char *child, const char *parent)
{
    size_t n = strlen(parent);

    if (strcmp(parent, "/") == 0)
        return true;
    return strncmp(child, parent, n) == 0 && (child[n] == '\0' || child[n] == '/');
}

/* Why serving `dir` exposes more than public files, or NULL. */
static const char *
system_reason(const char *dir)
{
    static const char *const exact[] = { "/", "/usr", "/var", "/opt", "/srv", "/home", "/lib",
                                         "/bin", "/sbin", "/mnt", "/media", "/tmp",
                                         NULL };
    static const char *const below[] = { "/etc", "/proc", "/sys", "/dev", "/boot", "/root",
                                         "/var/lib", "/var/log", "/run", NULL };
    const char *home = getenv("HOME");

    for (const char *const *e = exact; *e; e++)
        if (strcmp(dir, *e) == 0)
            return "a system directory";
    for (const char *const *b = below; *b; b++)
        if (is_within(dir, *b))
            return "inside a system directory";
    if (strncmp(dir, "/home/", 6) == 0 && !strchr(dir + 6, '/'))
        return "a home directory";
    if (home && strcmp(home, "/") != 0 && strcmp(dir, home) == 0)
        return "the home directory";
    return NULL;
}

/* The first thing under root that must not be served, described in buf; NULL if none. */
static const char *
exposure(const struct conf_node *root, const char *dir, const char *stack_file, char *buf,
         size_t cap)
{
    const struct conf_node *ts = conf_key_get(root, FK(FK_TEMPLATES));
    const char *why = system_reason(dir);
    char other[PATH_MAX], probe[PATH_MAX + 8];
    struct stat st;

    if (why)
        return why;
    for (unsigned i = 0; i < inspect_nmap(ts); i++) {
        const char *wd = inspect_str(conf_key_get(ts->pairs[i].value, FK(FK_LT_WORKING_DIR)));
        if (wd && resolve(wd, other, sizeof(other)) == 0 && is_within(other, dir)) {
            snprintf(buf, cap, "at or above launch template %s's working_dir",
                     ts->pairs[i].key->str);
            return buf;
        }
    }
    /* "off" turns the access log and the control socket off: a special value of both
     * paths, which no entry names (edge_conf.c and ctl_conf.c spell it too). */
    const char *log = inspect_str(conf_key_get(conf_key_get(root, EK(EK_ACCESS_LOG)),
                                               EK(EK_AL_PATH)));
    if (log && strcmp(log, "off") != 0 && resolve(log, other, sizeof(other)) == 0 &&
        is_within(other, dir))
        return "holding the access log";
    const char *sock = inspect_str(conf_key_get(conf_key_get(root, CK(CK_CONTROL)),
                                                CK(CK_SOCKET)));
    if (!sock)
        sock = CK(CK_SOCKET)->def;
    if (strcmp(sock, "off") != 0 && resolve(sock, other, sizeof(other)) == 0 &&
        is_within(other, dir))
        return "holding the control socket";
    if (stack_file && resolve(stack_file, other, sizeof(other)) == 0 &&
        is_within(other, dir))
        return "holding the stack file itself";
    for (const char *const *f = (const char *const[]){ ".git", ".env", NULL }; *f; f++) {
        snprintf(probe, sizeof(probe), "%s/%s", strcmp(dir, "/") ? dir : "", *f);
        if (stat(probe, &st) == 0) {
            snprintf(buf, cap, "holding %s", *f);
            return buf;
        }
    }
    return NULL;
}

void
check_store_static_root(struct policy_ctx *cx, const struct conf_node *root)
{
    const struct conf_key *lk = EK(EK_LISTENERS), *rk = EK(EK_L_RULES), *sk = EK(EK_R_STATIC);
    const struct conf_node *ls = conf_key_get(root, lk);
    char res[RES_MAX], dir[PATH_MAX], buf[256];

    for (unsigned i = 0; i < inspect_nseq(ls); i++) {
        const struct conf_node *l = ls->items[i], *rules = conf_key_get(l, rk);
        const char *name = inspect_str(conf_key_get(l, EK(EK_L_NAME)));
        for (unsigned j = 0; j < inspect_nseq(rules); j++) {
            const struct conf_node *st = conf_key_get(rules->items[j], sk);
            const char *r = inspect_str(conf_key_get(st, EK(EK_S_ROOT)));
            if (!r || resolve(r, dir, sizeof(dir)) < 0)
                continue;
            snprintf(res, sizeof(res), "%s.%s.%s[%u].%s", lk->path, name ? name : "?",
                     conf_key_leaf(rk), j, conf_key_leaf(sk));
            const char *why = exposure(root, dir, cx->r->file, buf, sizeof(buf));
            if (why)
                policy_fail(cx, conf_key_node(st, EK(EK_S_ROOT)), POLICY_CRITICAL, res,
                            "static root %s is %s", dir, why);
            else
                policy_pass(cx, conf_key_node(st, EK(EK_S_ROOT)), res);
        }
    }
}

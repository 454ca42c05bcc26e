/*
 * fleet/envfile.c: reading env_file (fleet/envfile.h). Parsing is pure over bytes (the
 * fuzz target fuzz/envfile.c drives it); loading adds the permission check. It owns the
 * variables it returns and nothing else.
 */
#include "fleet/envfile.h"

#include <errno.h>
#include <fcntl.h>
#include <stdbool.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>
#include <unistd.h>

#include "conf/ref.h"
#include "core/mem.h"

void
envfile_fini(struct envfile *e)
{
    for (unsigned i = 0; i < e->n; i++) {
        memset(e->vars[i], 0, strlen(e->vars[i]));     /* secrets: wipe before free */
        free(e->vars[i]);
    }
    free(e->vars);
    e->vars = NULL;
    e->n = 0;
}

struct envfile_out {
    char *s;
    size_t len, cap;
};

static void
envfile_put(struct envfile_out *o, char c)
{
    if (o->len + 2 > o->cap) {
        o->cap = o->cap ? o->cap * 2 : 64;
        o->s = mem_realloc_or_exit(o->s, o->cap);
    }
    o->s[o->len++] = c;
    o->s[o->len] = '\0';
}

static bool
envfile_space(char c)
{
    return c == ' ' || c == '\t' || c == '\r';
}

/* Adds or replaces KEY (a later line wins, as in systemd). */
static void
envfile_set(struct envfile *e, char *kv)
{
    size_t klen = strcspn(kv, "=");

    for (unsigned i = 0; i < e->n; i++)
        if (strncmp(e->vars[i], kv, klen + 1) == 0) {
            free(e->vars[i]);
            e->vars[i] = kv;
            return;
        }
    e->vars = mem_realloc_or_exit(e->vars, (e->n + 1) * sizeof(char *));
    e->vars[e->n++] = kv;
}

int
envfile_parse(const char *text, size_t len, struct envfile *out, unsigned *line,
              const char **why)
{
    size_t i = 0;
    unsigned ln = 1;

    memset(out, 0, sizeof(*out));
    while (i < len) {
        unsigned start_line = ln;
        while (i < len && (envfile_space(text[i]) || text[i] == '\n')) {
            if (text[i] == '\n')
                ln++;
            i++;
        }
        if (i >= len)
            break;
        start_line = ln;
        if (text[i] == '#' || text[i] == ';') {
            while (i < len && text[i] != '\n')
                i++;
            continue;
        }
        struct envfile_out kv = { 0 };
        size_t k0 = i;
        while (i < len && text[i] != '=' && text[i] != '\n' && !envfile_space(text[i]))
            i++;
        size_t klen = i - k0;
        while (i < len && envfile_space(text[i]))
            i++;
        if (i >= len || text[i] != '=') {
            *why = "expected KEY=VALUE";
            goto bad;
        }
        if (!conf_ref_name_ok(text + k0, klen)) {
            *why = "a variable name uses letters, digits and '_' and does not start with a digit";
            goto bad;
        }
        for (size_t j = 0; j < klen; j++)
            envfile_put(&kv, text[k0 + j]);
        envfile_put(&kv, '=');
        i++;
        while (i < len && envfile_space(text[i]))
            i++;
        size_t trail = kv.len;          /* unquoted value: trailing spaces are dropped */
        while (i < len && text[i] != '\n') {
            char c = text[i];
            if (c == '"' || c == '\'') {
                char q = c;
                for (i++; i < len && text[i] != q; i++) {
                    if (text[i] == '\n')
                        ln++;
                    if (q == '"' && text[i] == '\\' && i + 1 < len) {
                        char e = text[++i];
                        envfile_put(&kv, e == 'n' ? '\n' : e);
                        continue;
                    }
                    envfile_put(&kv, text[i]);
                }
                if (i >= len) {
                    *why = "a quote is not closed";
                    free(kv.s);
                    *line = start_line;
                    envfile_fini(out);
                    return -EBADMSG;
                }
                i++;
                trail = kv.len;
                continue;
            }
            if (c == '\\' && i + 1 < len && text[i + 1] == '\n') {
                i += 2;
                ln++;
                continue;
            }
            if (c == '\0') {
                *why = "a NUL byte";
                goto bad;
            }
            envfile_put(&kv, c);
            if (!envfile_space(c))
                trail = kv.len;
            i++;
        }
        kv.len = trail;
        kv.s[kv.len] = '\0';
        if (out->n >= ENVFILE_MAX_VARS) {
            *why = "too many variables (at most 1024)";
            goto bad;
        }
        envfile_set(out, kv.s);
        continue;
bad:
        free(kv.s);
        *line = start_line;
        envfile_fini(out);
        return -EBADMSG;
    }
    return 0;
}

int
envfile_load(const char *path, struct envfile *out, char *err, size_t errlen)
{
    struct stat st;
    unsigned line = 0;
    const char *why = "";
    int fd = open(path, O_RDONLY | O_CLOEXEC | O_NOFOLLOW);

    memset(out, 0, sizeof(*out));
    if (fd < 0 || fstat(fd, &st) < 0) {
        int e = errno;
        snprintf(err, errlen, "env_file %s: %s", path, strerror(e));
        if (fd >= 0)
            close(fd);
        return e == ELOOP ? -EACCES : -e;
    }
    if (!S_ISREG(st.st_mode)) {
        snprintf(err, errlen, "env_file %s: not a regular file", path);
        close(fd);
        return -EINVAL;
    }
    if (st.st_mode & (S_IRWXG | S_IRWXO)) {
        snprintf(err, errlen, "env_file %s is open to group or others (mode %04o); it holds "
                 "secrets: chmod 600 %s", path, (unsigned)(st.st_mode & 07777), path);
        close(fd);
        return -EACCES;
    }
    if (st.st_size > ENVFILE_MAX_BYTES) {
        snprintf(err, errlen, "env_file %s is larger than 1 MiB", path);
        close(fd);
        return -EFBIG;
    }
    char *text = mem_alloc_or_exit((size_t)st.st_size + 1);
    ssize_t got = read(fd, text, (size_t)st.st_size);
    close(fd);
    if (got < 0) {
        snprintf(err, errlen, "env_file %s: %s", path, strerror(errno));
        free(text);
        return -EIO;
    }
    int rc = envfile_parse(text, (size_t)got, out, &line, &why);
    memset(text, 0, (size_t)got);
    free(text);
    if (rc < 0)
        snprintf(err, errlen, "%s:%u: %s", path, line, why);
    return rc;
}

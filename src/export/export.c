/*
 * export/export.c: the `export` verb: options, loading the validated stack file, the list
 * of what did not map (stderr and the output), the output files (built in memory, written
 * when the whole export succeeded), and the readers and quoting the exporters share.
 * What each target means is in tf*.c and k8s.c.
 */
#include "export/export.h"

#include <ctype.h>
#include <errno.h>
#include <stdarg.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>
#include <unistd.h>

#include "conf/value.h"
#include "core/err.h"
#include "core/mem.h"
#include "export/internal.h"

static void
usage(FILE *out)
{
    fputs("usage: tierd export terraform|kubernetes STACK [-o DIR]\n"
          "  terraform   a Terraform configuration for the AWS provider (hashicorp/aws "
          EXPORT_TF_PROVIDER_VERSION ")\n"
          "  kubernetes  Kubernetes manifests (apps/v1, autoscaling/v2, networking.k8s.io/v1,\n"
          "              policy/v1, batch/v1)\n"
          "  -o DIR      where to write (default: ./terraform or ./kubernetes)\n"
          "What does not map is listed on stderr and in the output (docs/export.md).\n",
          out);
}

FILE *
export_out(struct export_ctx *cx, const char *name)
{
    for (unsigned i = 0; i < cx->nfiles; i++)
        if (strcmp(cx->files[i].name, name) == 0)
            return cx->files[i].f;
    BUG_ON(cx->nfiles == EXPORT_FILES_MAX);
    struct export_file *ef = &cx->files[cx->nfiles++];
    ef->name = mem_strdup_or_exit(name);
    ef->f = open_memstream(&ef->text, &ef->len);
    if (!ef->f) {
        fputs("tierd export: out of memory\n", stderr);
        exit(1);
    }
    return ef->f;
}

void
export_note(struct export_ctx *cx, const struct conf_node *at, const char *fmt, ...)
{
    char msg[512], line[768];
    va_list ap;

    va_start(ap, fmt);
    vsnprintf(msg, sizeof(msg), fmt, ap);
    va_end(ap);
    if (at)
        snprintf(line, sizeof(line), "%s:%u:%u: %s", at->file, at->line, at->col, msg);
    else
        snprintf(line, sizeof(line), "%s: %s", cx->stack, msg);
    if (cx->nnotes == cx->capnotes) {
        cx->capnotes = cx->capnotes ? cx->capnotes * 2 : 16;
        cx->notes = mem_realloc_or_exit(cx->notes, cx->capnotes * sizeof(*cx->notes));
    }
    cx->notes[cx->nnotes++] = mem_strdup_or_exit(line);
}

bool
export_declared(struct export_ctx *cx, const char *name)
{
    for (unsigned i = 0; i < cx->ndeclared; i++)
        if (strcmp(cx->declared[i], name) == 0)
            return true;
    if (cx->ndeclared == cx->capdeclared) {
        cx->capdeclared = cx->capdeclared ? cx->capdeclared * 2 : 16;
        cx->declared = mem_realloc_or_exit(cx->declared,
                                           cx->capdeclared * sizeof(*cx->declared));
    }
    cx->declared[cx->ndeclared++] = mem_strdup_or_exit(name);
    return false;
}

const struct conf_node *
export_get(const struct conf_node *map, const struct conf_key *k)
{
    return map && map->kind == CONF_MAP ? conf_key_get(map, k) : NULL;
}

const struct conf_node *
export_key(const struct conf_node *map, const struct conf_key *k)
{
    return map && map->kind == CONF_MAP ? conf_key_node(map, k) : NULL;
}

/* The typed readers differ only in the conf/keys.c reader they call. */
#define EXPORT_READER(name, T, reader)                                                      \
    bool name(struct export_ctx *cx, const struct conf_node *map, const struct conf_key *k, \
              T *out)                                                                       \
    {                                                                                       \
        return reader(map, k, out, &cx->scratch) == 0;                                      \
    }
EXPORT_READER(export_str, const char *, conf_key_string)
EXPORT_READER(export_uint, uint64_t, conf_key_uint)
EXPORT_READER(export_ms, uint64_t, conf_key_duration)
EXPORT_READER(export_bytes, uint64_t, conf_key_size)

bool
export_bool(struct export_ctx *cx, const struct conf_node *map, const struct conf_key *k,
            bool def)
{
    bool v;

    return conf_key_bool(map, k, &v, &cx->scratch) == 0 ? v : def;
}

const char *
export_word(struct export_ctx *cx, const struct conf_node *map, const struct conf_key *k)
{
    int i = conf_key_enum(map, k, &cx->scratch);

    return i >= 0 ? k->words[i] : NULL;
}

const char *
export_num(const struct conf_node *map, const struct conf_key *k)
{
    const struct conf_node *v = export_get(map, k);

    if (v && v->kind == CONF_SCALAR)
        return v->str;
    return k->def;
}

const struct conf_node *
export_section(const struct export_ctx *cx, const struct conf_key *k)
{
    const struct conf_node *v = export_get(cx->root, k);

    return v && (v->kind == CONF_MAP || v->kind == CONF_SEQ) ? v : NULL;
}

const char *
export_tf_id(const char *s, char *buf, size_t len)
{
    size_t o = 0;

    if (!isalpha((unsigned char)*s) && *s != '_' && o + 1 < len)
        buf[o++] = 'r';
    for (; *s && o + 1 < len; s++)
        buf[o++] = isalnum((unsigned char)*s) || *s == '_' || *s == '-' ? *s : '_';
    buf[o] = '\0';
    return buf;
}

const char *
export_k8s_id(const char *s, char *buf, size_t len)
{
    size_t o = 0;

    if (!isalnum((unsigned char)*s) && o + 1 < len)
        buf[o++] = 'x';
    for (; *s && o + 1 < len && o < 63; s++)
        buf[o++] = isalnum((unsigned char)*s) ? (char)tolower((unsigned char)*s) : '-';
    while (o > 1 && buf[o - 1] == '-')
        o--;
    buf[o] = '\0';
    return buf;
}

/* A double-quoted string both HCL and YAML (and JSON) read the same; for HCL, "${" and
 * "%{" are doubled so that nothing interpolates. */
static void
quote(FILE *f, const char *s, bool hcl)
{
    fputc('"', f);
    for (; *s; s++) {
        unsigned char c = (unsigned char)*s;
        if (c == '"' || c == '\\')
            fprintf(f, "\\%c", c);
        else if (c == '\n')
            fputs("\\n", f);
        else if (c == '\t')
            fputs("\\t", f);
        else if (c < 0x20)
            fprintf(f, "\\u%04x", c);
        else if (hcl && (c == '$' || c == '%') && s[1] == '{')
            fprintf(f, "%c%c", c, c);       /* "$${" is a literal "${" */
        else
            fputc(c, f);
    }
    fputc('"', f);
}

void
export_hcl_str(FILE *f, const char *s)
{
    quote(f, s, true);
}

void
export_yaml_str(FILE *f, const char *s)
{
    quote(f, s, false);
}

const char *
export_bind_any(const char *s, char *buf, size_t len)
{
    static const char *const loops[] = { "127.0.0.1:${PORT}", "localhost:${PORT}",
                                         "[::1]:${PORT}" };

    for (unsigned i = 0; i < 3; i++) {
        const char *p = strstr(s, loops[i]);
        if (p) {
            snprintf(buf, len, "%.*s0.0.0.0:${PORT}%s", (int)(p - s), s,
                     p + strlen(loops[i]));
            return buf;
        }
    }
    return s;
}

unsigned
export_port(const char *address)
{
    const char *colon = address ? strrchr(address, ':') : NULL;
    char *end;
    unsigned long p;

    if (!colon)
        return 0;
    p = strtoul(colon + 1, &end, 10);
    return *end == '\0' && p > 0 && p < 65536 ? (unsigned)p : 0;
}

/* The stack's name from its file's stem: "examples/demo.yaml" -> "demo". */
static char *
stack_name(const char *path)
{
    const char *base = strrchr(path, '/');
    char buf[64];

    base = base ? base + 1 : path;
    size_t n = strcspn(base, ".");
    char stem[64];
    snprintf(stem, sizeof(stem), "%.*s", (int)(n < 40 ? n : 40), base);
    return mem_strdup_or_exit(export_k8s_id(*stem ? stem : "stack", buf, sizeof(buf)));
}

/* mkdir -p: 0, or -errno. */
static int
make_dirs(const char *dir)
{
    char buf[4096];
    size_t n = strlen(dir);

    if (n == 0 || n >= sizeof(buf))
        return -ENAMETOOLONG;
    memcpy(buf, dir, n + 1);
    for (char *p = buf + 1; *p; p++) {
        if (*p != '/')
            continue;
        *p = '\0';
        if (mkdir(buf, 0777) < 0 && errno != EEXIST)
            return -errno;
        *p = '/';
    }
    return mkdir(buf, 0777) < 0 && errno != EEXIST ? -errno : 0;
}

static int
write_file(const char *dir, const struct export_file *ef)
{
    char path[4096], tmp[4200];
    FILE *f;

    snprintf(path, sizeof(path), "%s/%s", dir, ef->name);
    snprintf(tmp, sizeof(tmp), "%s.tmp", path);
    f = fopen(tmp, "w");
    if (!f)
        return -errno;
    if (fwrite(ef->text, 1, ef->len, f) != ef->len || fclose(f) != 0) {
        int rc = -errno;
        unlink(tmp);
        return rc ? rc : -EIO;
    }
    return rename(tmp, path) == 0 ? 0 : -errno;
}

static void
ctx_fini(struct export_ctx *cx)
{
    for (unsigned i = 0; i < cx->nfiles; i++) {
        if (cx->files[i].f)
            fclose(cx->files[i].f);
        free(cx->files[i].text);
        free(cx->files[i].name);
    }
    for (unsigned i = 0; i < cx->nnotes; i++)
        free(cx->notes[i]);
    free(cx->notes);
    for (unsigned i = 0; i < cx->ndeclared; i++)
        free(cx->declared[i]);
    free(cx->declared);
    free(cx->name);
    diag_fini(&cx->scratch);
}

int
export_main(int argc, char **argv, export_validate_fn *validate)
{
    const char *target = NULL, *stack = NULL, *dir = NULL;
    struct export_ctx cx = { 0 };
    struct conf_doc *doc;
    struct diag d;
    int rc;

    for (int i = 0; i < argc; i++) {
        if (strcmp(argv[i], "-o") == 0 && i + 1 < argc)
            dir = argv[++i];
        else if (strcmp(argv[i], "-h") == 0 || strcmp(argv[i], "--help") == 0) {
            usage(stdout);
            return 0;
        } else if (argv[i][0] == '-' || (target && stack)) {
            fprintf(stderr, "tierd export: unexpected argument \"%s\"\n", argv[i]);
            usage(stderr);
            return 2;
        } else if (!target)
            target = argv[i];
        else
            stack = argv[i];
    }
    if (!target || (strcmp(target, "terraform") != 0 && strcmp(target, "kubernetes") != 0)) {
        fprintf(stderr, "tierd export: name a target: terraform or kubernetes\n");
        usage(stderr);
        return 2;
    }
    if (!stack)
        stack = "tierd.yaml";
    if (!dir)
        dir = target;
    if (validate(stack) != 0)
        return 2;
    diag_init(&d);
    doc = conf_doc_load_file(stack, &d);
    if (!doc || !doc->root) {
        diag_print(&d, stderr);
        diag_fini(&d);
        conf_doc_free(doc);
        return 2;
    }
    diag_fini(&d);
    cx.root = doc->root;
    cx.stack = stack;
    cx.target = target;
    cx.name = stack_name(stack);
    diag_init(&cx.scratch);
    rc = strcmp(target, "terraform") == 0 ? tf_export(&cx) : k8s_export(&cx);
    for (unsigned i = 0; i < cx.nfiles; i++)
        if (fclose(cx.files[i].f) != 0 && rc == 0)
            rc = -ENOMEM;
        else
            cx.files[i].f = NULL;
    if (rc == 0 && (rc = make_dirs(dir)) < 0)
        fprintf(stderr, "tierd export: cannot make %s: %s\n", dir, strerror(-rc));
    for (unsigned i = 0; rc == 0 && i < cx.nfiles; i++)
        if ((rc = write_file(dir, &cx.files[i])) < 0)
            fprintf(stderr, "tierd export: cannot write %s/%s: %s\n", dir, cx.files[i].name,
                    strerror(-rc));
    for (unsigned i = 0; i < cx.nnotes; i++)
        fprintf(stderr, "%s\n", cx.notes[i]);
    if (rc == 0)
        fprintf(stderr, "tierd export %s: wrote %u file%s to %s/ (%u key%s not mapped, listed "
                        "above and in the files)\n", target, cx.nfiles,
                cx.nfiles == 1 ? "" : "s", dir, cx.nnotes, cx.nnotes == 1 ? "" : "s");
    ctx_fini(&cx);
    conf_doc_free(doc);
    return rc == 0 ? 0 : 1;
}

/*
 * shield/analyze_main.c: `tierd analyze ACCESS_LOG... [--format F] [--json] [--stack FILE]
 * [--ipv6-prefix N] ...`. Reads the
 * files in the given order (rotated logs oldest first: access.log.2.gz access.log.1
 * access.log), feeds every line to the statistics and the detectors, and prints the
 * report. Exit 0 when the logs were read (offenders or not), 2 on bad arguments or an
 * unreadable file. It owns the run; parsing, reading, counting and printing live in the
 * other analyze_*.c files.
 */
#include "shield/analyze.h"

#include <errno.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

#include "conf/ctx.h"
#include "conf/node.h"
#include "shield/internal.h"
#include "shield/shield_keys.h"

#define MAIN_FLOOD_PER_MINUTE 1200

/* The live shield learns its login routes from the stack file; a log does not say, so
 * analyze assumes the common ones unless --login-path is given. */
static const char *const main_login_paths[] = {
    "/login", "/signin", "/sign-in", "/sign_in", "/user/login", "/users/sign_in",
    "/account/login", "/auth/login", "/api/login", "/api/auth/login", "/api/v1/login",
    "/session", "/wp-login.php", "/admin/login", NULL,
};

struct main_file_ctx {
    struct analyze_run *run;
    struct analyze_file *file;
    struct analyze_parser parser;
    bool forced;            /* --format given: never sniff */
};

static void
main_usage(FILE *out)
{
    fputs("usage: tierd analyze ACCESS_LOG... [--format auto|combined|combined_host|json]\n"
          "                     [--json] [--flood-per-minute N] [--login-path P]...\n"
          "                     [--stack FILE] [--ipv6-prefix N]\n"
          "\n"
          "Runs the shield's detectors over existing access logs (\"-\" is stdin; gzip'd\n"
          "files are recognised by their magic bytes) and reports offenders, the request\n"
          "rate per minute and suggested deny entries. Several files are read in the\n"
          "given order: oldest first (access.log.2.gz access.log.1 access.log).\n"
          "\n"
          "  --format F            line format; auto (default) looks at each file's first\n"
          "                        line; combined_host is \"$host[:port] \" + combined\n"
          "  --json                one JSON document instead of the text report\n"
          "  --flood-per-minute N  requests from one address in 60 s that count as a flood\n"
          "                        (default 1200; 0 turns the check off)\n"
          "  --login-path P        a login route (prefix; repeatable; replaces the default\n"
          "                        list: /login, /signin, /api/login, /wp-login.php, ...)\n"
          "  --stack FILE          take shield.ipv6_prefix and shield.login_paths from this\n"
          "                        stack file (the options above and below win)\n"
          "  --ipv6-prefix N       an IPv6 client is its /N, as the live shield counts and\n"
          "                        bans it (32..128; default: the stack file's, else 64;\n"
          "                        128 is per address)\n"
          "\n"
          "Exit status: 0 when the logs were read, 2 on bad arguments or unreadable input.\n"
          "Formats and report fields: docs/analyze.md.\n",
          out);
}

static void
main_skip(struct main_file_ctx *c, uint64_t lineno, const char *why)
{
    struct analyze_run *r = c->run;

    r->skipped++;
    c->file->skipped++;
    if (r->nskips < ANALYZE_SKIP_SAMPLES) {
        struct analyze_skip *k = &r->skips[r->nskips++];
        snprintf(k->file, sizeof(k->file), "%s", c->file->path);
        k->lineno = lineno;
        k->why = why;
    }
}

static void
main_on_line(void *ctx, const char *line, size_t len, uint64_t lineno)
{
    struct main_file_ctx *c = ctx;
    struct analyze_line l;
    const char *why;

    c->run->lines++;
    if (!line) {
        main_skip(c, lineno, "line longer than 1 MiB");
        return;
    }
    if (!c->forced && c->parser.format == ANALYZE_AUTO && len) {
        c->parser.format = analyze_parse_sniff(line, len);
        c->file->format = c->parser.format;
    }
    if (analyze_parse_line(&c->parser, line, len, &l, &why) < 0) {
        main_skip(c, lineno, why);
        return;
    }
    c->run->parsed++;
    analyze_stats_add(&c->run->stats, &l);
}

struct main_opts {
    enum analyze_format fmt;
    bool json;
    unsigned flood;
    const char **paths;         /* log files, in order */
    size_t npaths;
    const char **logins;        /* --login-path values, NULL-terminated */
    size_t nlogins;
    const char *stack;          /* --stack FILE, or NULL */
    unsigned ipv6_prefix;       /* --ipv6-prefix; 0: not given */
};

static int
main_args(int argc, char **argv, struct main_opts *o)
{
    bool opts = true;
    enum analyze_format *fmt = &o->fmt;
    bool *json = &o->json;
    unsigned *flood = &o->flood;
    const char ***paths = &o->paths;
    size_t *npaths = &o->npaths;

    *paths = calloc((size_t)argc + 1, sizeof(**paths));
    o->logins = calloc((size_t)argc + 1, sizeof(*o->logins));
    if (!*paths || !o->logins)
        return -ENOMEM;
    for (int i = 1; i < argc; i++) {
        const char *a = argv[i];
        const char *val = NULL;
        if (!opts || a[0] != '-' || strcmp(a, "-") == 0) {
            (*paths)[(*npaths)++] = a;
            continue;
        }
        if (strcmp(a, "--") == 0) {
            opts = false;
        } else if (strcmp(a, "-h") == 0 || strcmp(a, "--help") == 0) {
            main_usage(stdout);
            return 1;
        } else if (strcmp(a, "--json") == 0) {
            *json = true;
        } else if (strncmp(a, "--format", 8) == 0 && (a[8] == '=' || a[8] == '\0')) {
            val = a[8] == '=' ? a + 9 : (i + 1 < argc ? argv[++i] : NULL);
            if (!val || analyze_parse_format(val, fmt) < 0) {
                fprintf(stderr, "tierd analyze: --format takes auto, combined, combined_host "
                                "or json%s%s\n", val ? ", not " : "", val ? val : "");
                return -EINVAL;
            }
        } else if (strncmp(a, "--login-path", 12) == 0 && (a[12] == '=' || !a[12])) {
            val = a[12] == '=' ? a + 13 : (i + 1 < argc ? argv[++i] : NULL);
            if (!val || val[0] != '/') {
                fprintf(stderr, "tierd analyze: --login-path takes a path starting with /\n");
                return -EINVAL;
            }
            o->logins[o->nlogins++] = val;
        } else if (strncmp(a, "--stack", 7) == 0 && (a[7] == '=' || !a[7])) {
            val = a[7] == '=' ? a + 8 : (i + 1 < argc ? argv[++i] : NULL);
            if (!val || !*val) {
                fprintf(stderr, "tierd analyze: --stack takes a stack file\n");
                return -EINVAL;
            }
            o->stack = val;
        } else if (strncmp(a, "--ipv6-prefix", 13) == 0 && (a[13] == '=' || !a[13])) {
            const struct conf_key *k = &shield_keys[SK_IPV6_PREFIX];
            val = a[13] == '=' ? a + 14 : (i + 1 < argc ? argv[++i] : NULL);
            if (val && *val == '/')
                val++;                  /* "/64" reads as 64 */
            char *end;
            unsigned long v = val ? strtoul(val, &end, 10) : 0;
            if (!val || !*val || *end || v < k->min || v > k->max) {
                fprintf(stderr, "tierd analyze: --ipv6-prefix takes a prefix length from %llu "
                                "to %llu (64: a subnet, the default; 128: per address)\n",
                        (unsigned long long)k->min, (unsigned long long)k->max);
                return -EINVAL;
            }
            o->ipv6_prefix = (unsigned)v;
        } else if (strncmp(a, "--flood-per-minute", 18) == 0 && (a[18] == '=' || !a[18])) {
            val = a[18] == '=' ? a + 19 : (i + 1 < argc ? argv[++i] : NULL);
            char *end;
            unsigned long v = val ? strtoul(val, &end, 10) : 0;
            if (!val || !*val || *end || v > 100000000) {
                fprintf(stderr, "tierd analyze: --flood-per-minute takes a number of "
                                "requests (0 turns the check off)\n");
                return -EINVAL;
            }
            *flood = (unsigned)v;
        } else {
            fprintf(stderr, "tierd analyze: unknown option \"%s\"\n", a);
            main_usage(stderr);
            return -EINVAL;
        }
    }
    if (!*npaths) {
        fprintf(stderr, "tierd analyze: no access log given\n");
        main_usage(stderr);
        return -EINVAL;
    }
    if (o->stack && access(o->stack, R_OK) != 0) {
        int e = errno;
        fprintf(stderr, "tierd analyze: cannot read %s: %s\n", o->stack, strerror(e));
        return -e;
    }
    /* Fail before reading anything when a later file cannot be opened. */
    for (size_t i = 0; i < *npaths; i++) {
        if (strcmp((*paths)[i], "-") != 0 && access((*paths)[i], R_OK) != 0) {
            int e = errno;
            fprintf(stderr, "tierd analyze: cannot read %s: %s\n", (*paths)[i], strerror(e));
            return -e;
        }
    }
    return 0;
}

/* The `shield:` section of the stack file: what the live shield would count by. Returns a
 * new conf (the defaults when the file has no shield section), or NULL after printing the
 * file's problems. */
static struct shield_conf *
main_stack_shield(const char *path)
{
    struct diag d;
    struct shield_conf *c = NULL;

    diag_init(&d);
    struct conf_doc *doc = conf_doc_load_file(path, &d);
    /* check_only: secrets of other sections are none of analyze's business. */
    if (doc)
        shield_conf_build(doc->root, &(struct conf_ctx){ .d = &d, .check_only = true }, &c);
    if (!c) {
        diag_print(&d, stderr);
        fprintf(stderr, "tierd analyze: %s: the shield section has errors (tierd check %s)\n",
                path, path);
    }
    conf_doc_free(doc);
    diag_fini(&d);
    return c;
}

int
shield_analyze_main(int argc, char **argv)
{
    struct main_opts o = { .fmt = ANALYZE_AUTO, .flood = MAIN_FLOOD_PER_MINUTE };
    struct detect_params dp;
    struct analyze_run *r = NULL;
    struct detect *det = NULL;
    struct shield_conf *stack = NULL;
    int rc = main_args(argc, argv, &o);

    if (rc != 0)
        goto out;
    if (o.stack && !(stack = main_stack_shield(o.stack))) {
        rc = -EINVAL;
        goto out;
    }
    detect_params_default(&dp);
    dp.login_paths = o.nlogins ? o.logins : stack && stack->nlogin
                                                ? (const char *const *)stack->login_paths
                                                : main_login_paths;
    if (o.ipv6_prefix)
        dp.ipv6_prefix = o.ipv6_prefix;
    else if (stack)
        dp.ipv6_prefix = stack->ipv6_prefix;
    det = detect_new(&dp);
    r = calloc(1, sizeof(*r));
    if (r)
        r->files = calloc(o.npaths, sizeof(*r->files));
    if (!det || !r || !r->files) {
        fprintf(stderr, "tierd analyze: out of memory\n");
        detect_free(det);
        rc = -ENOMEM;
        goto out;
    }
    analyze_stats_init(&r->stats, det, o.flood);
    for (size_t i = 0; i < o.npaths && rc == 0; i++) {
        struct main_file_ctx c = { .run = r, .file = &r->files[i], .forced = o.fmt != ANALYZE_AUTO };
        char err[512];
        r->files[i].path = o.paths[i];
        r->files[i].format = o.fmt;
        r->nfiles++;
        analyze_parse_init(&c.parser, o.fmt);
        rc = analyze_input_read(o.paths[i], main_on_line, &c, &r->files[i].info, err,
                                sizeof(err));
        analyze_parse_fini(&c.parser);
        if (rc < 0)
            fprintf(stderr, "tierd analyze: %s\n", err);
        else if (r->files[i].info.truncated)
            fprintf(stderr, "tierd analyze: warning: %s ends in the middle of a gzip stream; "
                            "read up to the cut\n", o.paths[i]);
    }
    if (rc == 0) {
        analyze_stats_finish(&r->stats);
        if (o.json)
            rc = analyze_report_json(r, stdout);
        else
            analyze_report_text(r, stdout);
        if (fflush(stdout) != 0 && rc == 0)
            rc = -EIO;
    }
    analyze_stats_fini(&r->stats);
out:
    shield_conf_free(stack);
    if (r)
        free(r->files);
    free(r);
    free(o.paths);
    free(o.logins);
    return rc == 0 ? 0 : rc > 0 ? 0 : 2;
}

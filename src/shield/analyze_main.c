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
#include "core/mem.h"
#include "shield/geo.h"
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

/* Lines that did not fit, kept with their text for the error when most of a file fails. */
#define MAIN_BAD_SAMPLES 5
#define MAIN_BAD_TEXT 160

struct main_held {
    char *text;             /* NULL: an over-long line */
    size_t len;
    uint64_t lineno;
};

struct main_file_ctx {
    struct analyze_run *run;
    struct analyze_file *file;
    struct analyze_parser parser;
    bool forced;            /* --format or a layout given: never detect */
    /* --format auto: the first lines are held until they say which layout fits. */
    struct main_held held[ANALYZE_DETECT_LINES];
    size_t nheld;
    uint64_t bad_line[MAIN_BAD_SAMPLES];
    const char *bad_why[MAIN_BAD_SAMPLES];
    char bad_text[MAIN_BAD_SAMPLES][MAIN_BAD_TEXT + 1];
    size_t nbad;
};

static void
main_usage(FILE *out)
{
    fputs("usage: tierd analyze ACCESS_LOG... [--format auto|combined|combined_host|\n"
          "                     combined_host_last|json] [--log-format NGINX_LOG_FORMAT]\n"
          "                     [--apache-format LOGFORMAT] [--json] [--flood-per-minute N]\n"
          "                     [--login-path P]... [--stack FILE] [--ipv6-prefix N]\n"
          "                     [--geoip FILE] [--geoip6 FILE]\n"
          "\n"
          "Runs the shield's detectors over existing access logs (\"-\" is stdin; gzip'd\n"
          "files are recognised by their magic bytes) and reports offenders, the request\n"
          "rate per minute and suggested deny entries. Several files are read in the\n"
          "given order: oldest first (access.log.2.gz access.log.1 access.log).\n"
          "\n"
          "  --format F            line format; auto (default) tries each on the first\n"
          "                        200 lines of each file and takes the one most fit;\n"
          "                        combined_host is \"$host[:port] \" + combined,\n"
          "                        combined_host_last combined + ... + the host last\n"
          "  --log-format S        the nginx log_format string the log was written with\n"
          "                        ('$remote_addr - ... \"$http_user_agent\" \"$host\"', or\n"
          "                        the whole log_format directive); unknown variables\n"
          "                        are skipped\n"
          "  --apache-format S     the same for an Apache LogFormat string (%h %l %u %t ...)\n"
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
          "  --geoip FILE          report countries from this database in Tor's geoip\n"
          "                        format (/usr/share/tor/geoip, Debian's tor-geoipdb);\n"
          "                        default: the stack file's shield.geo, else none\n"
          "  --geoip6 FILE         the same for IPv6 (/usr/share/tor/geoip6)\n"
          "\n"
          "Exit status: 0 when the logs were read, 2 on bad arguments, unreadable input or\n"
          "a file most of whose lines do not fit the layout.\n"
          "Formats and report fields: docs/analyze.md.\n",
          out);
}

static void
main_skip(struct main_file_ctx *c, uint64_t lineno, const char *why, const char *line,
          size_t len)
{
    struct analyze_run *r = c->run;

    if (c->nbad < MAIN_BAD_SAMPLES) {
        char *o = c->bad_text[c->nbad];
        size_t n = 0;
        for (size_t i = 0; line && i < len && n < MAIN_BAD_TEXT; i++)
            o[n++] = line[i] >= 0x20 && line[i] < 0x7f ? line[i] : '?';
        o[n] = '\0';
        c->bad_line[c->nbad] = lineno;
        c->bad_why[c->nbad++] = why;
    }

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
main_parse(struct main_file_ctx *c, const char *line, size_t len, uint64_t lineno)
{
    struct analyze_line l;
    const char *why;

    c->run->lines++;
    if (!line) {
        main_skip(c, lineno, "line longer than 1 MiB", NULL, 0);
        return;
    }
    if (analyze_parse_line(&c->parser, line, len, &l, &why) < 0) {
        main_skip(c, lineno, why, line, len);
        return;
    }
    c->run->parsed++;
    analyze_stats_add(&c->run->stats, &l);
}

/* Decides the layout from the held lines, then parses them. */
static void
main_decide(struct main_file_ctx *c)
{
    struct slice sample[ANALYZE_DETECT_LINES];
    size_t n = 0, fit;

    for (size_t i = 0; i < c->nheld; i++)
        if (c->held[i].text && c->held[i].len)
            sample[n++] = slice_make(c->held[i].text, c->held[i].len);
    c->parser.format = analyze_parse_detect(sample, n, &fit);
    c->file->format = c->parser.format;
    c->forced = true;
    for (size_t i = 0; i < c->nheld; i++) {
        main_parse(c, c->held[i].text, c->held[i].len, c->held[i].lineno);
        free(c->held[i].text);
    }
    c->nheld = 0;
}

static void
main_on_line(void *ctx, const char *line, size_t len, uint64_t lineno)
{
    struct main_file_ctx *c = ctx;

    if (c->forced) {
        main_parse(c, line, len, lineno);
        return;
    }
    struct main_held *h = &c->held[c->nheld++];
    h->text = line ? mem_alloc_or_exit(len + 1) : NULL;
    if (line)
        memcpy(h->text, line, len);
    h->len = len;
    h->lineno = lineno;
    if (c->nheld == ANALYZE_DETECT_LINES)
        main_decide(c);
}

/* A file most of whose lines do not fit is read with the wrong layout: an empty report
 * would say "no attack" about a log nobody read. Prints the error with samples. */
static bool
main_mostly_unfit(const struct main_file_ctx *c)
{
    const struct analyze_file *f = c->file;
    const char *layout = f->layout ? analyze_layout_name(f->layout)
                                   : analyze_parse_format_name(f->format);

    if (f->info.lines == 0 || f->skipped * 2 <= f->info.lines)
        return false;
    fprintf(stderr, "tierd analyze: %s: %llu of %llu lines do not fit the layout %s%s; the "
                    "first ones:\n", f->path, (unsigned long long)f->skipped,
            (unsigned long long)f->info.lines, layout,
            f->layout || f->format_given ? "" : " (detected)");
    for (size_t i = 0; i < c->nbad; i++)
        fprintf(stderr, "  %s:%llu: %s\n    %s\n", f->path, (unsigned long long)c->bad_line[i],
                c->bad_why[i], c->bad_text[i]);
    fputs("Give the layout the server wrote the log with: --log-format '<nginx log_format>', "
          "--apache-format '<LogFormat>', or --format (docs/analyze.md#formats).\n", stderr);
    return true;
}

struct main_opts {
    enum analyze_format fmt;
    const char *log_format;     /* --log-format */
    const char *apache_format;  /* --apache-format */
    bool json;
    unsigned flood;
    const char **paths;         /* log files, in order */
    size_t npaths;
    const char **logins;        /* --login-path values, NULL-terminated */
    size_t nlogins;
    const char *stack;          /* --stack FILE, or NULL */
    unsigned ipv6_prefix;       /* --ipv6-prefix; 0: not given */
    const char *geoip, *geoip6; /* --geoip, --geoip6 */
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
        } else if ((strncmp(a, "--log-format", 12) == 0 && (a[12] == '=' || !a[12])) ||
                   (strncmp(a, "--apache-format", 15) == 0 && (a[15] == '=' || !a[15]))) {
            bool ng = a[2] == 'l';
            size_t k = ng ? 12 : 15;
            val = a[k] == '=' ? a + k + 1 : (i + 1 < argc ? argv[++i] : NULL);
            if (!val || !*val) {
                fprintf(stderr, "tierd analyze: %.*s takes the format string the log was "
                                "written with\n", (int)k, a);
                return -EINVAL;
            }
            *(ng ? &o->log_format : &o->apache_format) = val;
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
        } else if ((strncmp(a, "--geoip", 7) == 0 && (a[7] == '=' || !a[7])) ||
                   (strncmp(a, "--geoip6", 8) == 0 && (a[8] == '=' || !a[8]))) {
            size_t k = a[7] == '6' ? 8 : 7;
            val = a[k] == '=' ? a + k + 1 : (i + 1 < argc ? argv[++i] : NULL);
            if (!val || !*val) {
                fprintf(stderr, "tierd analyze: %.*s takes a database in Tor's geoip format "
                                "(%s)\n", (int)k, a, k == 8 ? GEO_DEFAULT_V6 : GEO_DEFAULT_V4);
                return -EINVAL;
            }
            *(k == 8 ? &o->geoip6 : &o->geoip) = val;
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
    if ((o->log_format != NULL) + (o->apache_format != NULL) + (o->fmt != ANALYZE_AUTO) > 1) {
        fprintf(stderr, "tierd analyze: give one of --format, --log-format and "
                        "--apache-format\n");
        return -EINVAL;
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

/* The databases of --geoip and --geoip6: a new geo, or NULL after a message. */
static struct geo *
main_geo(const char *v4, const char *v6)
{
    struct geo *g = geo_new();
    const char *paths[2] = { v4, v6 };
    char why[200] = "";

    for (int i = 0; i < 2; i++) {
        int rc = paths[i] ? geo_load(g, i == 1, paths[i], why, sizeof(why)) : 0;
        if (rc < 0) {
            fprintf(stderr, "tierd analyze: %s: %s\n", paths[i],
                    rc == -EBADMSG ? why : strerror(-rc));
            geo_free(g);
            return NULL;
        }
    }
    if (geo_finish(g, why, sizeof(why)) < 0) {
        fprintf(stderr, "tierd analyze: %s\n", why);
        geo_free(g);
        return NULL;
    }
    return g;
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
    struct analyze_layout *layout = NULL;
    struct geo *geo = NULL;
    int rc = main_args(argc, argv, &o);

    if (rc != 0)
        goto out;
    if (o.log_format || o.apache_format) {
        char err[512];
        layout = analyze_layout_compile(o.log_format ? ANALYZE_LAYOUT_NGINX
                                                     : ANALYZE_LAYOUT_APACHE,
                                        o.log_format ? o.log_format : o.apache_format, err,
                                        sizeof(err));
        if (!layout) {
            fprintf(stderr, "tierd analyze: %s\n", err);
            rc = -EINVAL;
            goto out;
        }
        o.fmt = ANALYZE_LAYOUT;
    }
    if (o.stack && !(stack = main_stack_shield(o.stack))) {
        rc = -EINVAL;
        goto out;
    }
    if ((o.geoip || o.geoip6) && !(geo = main_geo(o.geoip, o.geoip6))) {
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
    r->geo = geo ? geo : stack ? stack->geo : NULL;
    analyze_stats_init(&r->stats, det, o.flood);
    for (size_t i = 0; i < o.npaths && rc == 0; i++) {
        struct main_file_ctx *c = mem_alloc_or_exit(sizeof(*c));
        char err[512];
        *c = (struct main_file_ctx){ .run = r, .file = &r->files[i],
                                     .forced = o.fmt != ANALYZE_AUTO };
        r->files[i].path = o.paths[i];
        r->files[i].format = o.fmt;
        r->files[i].layout = layout;
        r->files[i].format_given = o.fmt != ANALYZE_AUTO;
        r->nfiles++;
        analyze_parse_init(&c->parser, o.fmt);
        c->parser.layout = layout;
        rc = analyze_input_read(o.paths[i], main_on_line, c, &r->files[i].info, err,
                                sizeof(err));
        if (!c->forced)
            main_decide(c);     /* a file shorter than the sample */
        analyze_parse_fini(&c->parser);
        if (rc < 0)
            fprintf(stderr, "tierd analyze: %s\n", err);
        else if (r->files[i].info.truncated)
            fprintf(stderr, "tierd analyze: warning: %s ends in the middle of a gzip stream; "
                            "read up to the cut\n", o.paths[i]);
        if (rc == 0 && main_mostly_unfit(c))
            rc = -EBADMSG;
        free(c);
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
    analyze_layout_free(layout);
    geo_free(geo);
    shield_conf_free(stack);
    if (r)
        free(r->files);
    free(r);
    free(o.paths);
    free(o.logins);
    return rc == 0 ? 0 : rc > 0 ? 0 : 2;
}

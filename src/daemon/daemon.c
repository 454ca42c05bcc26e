/*
 * daemon/daemon.c: boot, signals, reload and shutdown; the only code that wires the
 * subsystems together. The main thread runs a small loop for signals only: SIGHUP
 * reloads the stack file (built and validated off to the side, then swapped in; an
 * invalid file is refused and the running configuration keeps serving), SIGUSR1 reopens
 * access logs, SIGTERM/SIGINT drain and stop. The same loop serves the control API.
 */
#include "daemon/daemon.h"

#include <errno.h>
#include <signal.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>
#include <time.h>
#include <unistd.h>

#include "acme/acme.h"
#include "cli/checkopt.h"
#include "core/clock.h"
#include "core/log.h"
#include "core/loop.h"
#include "core/mem.h"
#include "ctl/ctl.h"
#include "conf/ref.h"
#include "data/data.h"
#include "daemon/applylog.h"
#include "daemon/autocert.h"
#include "daemon/plan.h"
#include "daemon/routes.h"
#include "daemon/sdnotify.h"
#include "daemon/keytabs.h"
#include "daemon/stack.h"
#include "edge/edge.h"
#include "export/export.h"
#include "fleet/fleet.h"
#include "daemon/sources.h"
#include "watch/watch.h"
#include "policy/policy.h"
#include "shield/shield.h"

struct daemon {
    const char *path;
    struct edge *edge;
    struct loop *loop;
    unsigned workers;
    struct ctl *ctl;
    struct routes *routes;
    struct ctl_conf ctl_conf;   /* the one in use; changes take effect on restart */
    struct shield *shield;
    struct fleet *fleet;
    struct watch *watch;
    struct applylog *applies;   /* state_dir/daemon.db: every apply and reload */
    struct routes_apply *apply_routes;
    struct accessroll *roll;    /* access-log rotation and syslog shipping */
    struct data *data;          /* the databases: managed mariadbd servers */
    struct acme *acme;          /* automatic certificates (idle without acme: blocks) */
    struct loop_timer tls_timer;    /* looks for changed certificate files */
};

/* The fleet registers its instances into the edge's target groups through these. */
static int
hook_register(void *ctx, const char *group, const struct sock_addr *a)
{
    return edge_target_register(ctx, group, a, 1);
}

static int
hook_deregister(void *ctx, const char *group, const struct sock_addr *a)
{
    return edge_target_deregister(ctx, group, a);
}

static int
hook_lookup(void *ctx, const char *group, const struct sock_addr *a,
            struct fleet_target_status *out)
{
    struct edge_target_info info;
    int rc = edge_target_lookup(ctx, group, a, &info);

    if (rc == 0) {
        out->state = info.state;        /* a static string */
        out->requests = info.requests;
    }
    return rc;
}

/* Creates dir and its parents (mode 0750); 0 or -1 with errno. */
static int
mkdir_p(const char *dir)
{
    char p[4096];
    size_t n = strlen(dir);

    if (n == 0 || n >= sizeof(p)) {
        errno = ENAMETOOLONG;
        return -1;
    }
    memcpy(p, dir, n + 1);
    for (size_t i = 1; i <= n; i++) {
        if (p[i] != '/' && p[i] != '\0')
            continue;
        char c = p[i];
        p[i] = '\0';
        if (mkdir(p, 0750) < 0 && errno != EEXIST)
            return -1;
        p[i] = c;
    }
    return 0;
}

/* The edge's http-01 hook: the ACME client's answer for token. */
static bool
daemon_challenge(void *ctx, const char *token, char *out, size_t outlen)
{
    return acme_http01_answer(ctx, token, out, outlen);
}

/* The TLS layer's tls-alpn-01 hook: the ACME client's validation certificate. */
static bool
daemon_alpn_cert(void *ctx, const char *servername, X509 **cert, EVP_PKEY **key)
{
    return acme_alpn_cert(ctx, servername, cert, key);
}

static void
log_diag(const struct diag *d)
{
    for (unsigned i = 0; i < d->n; i++)
        log_error("daemon", "config: %s", d->msgs[i]);
}

static void
log_listeners(const struct edge_conf *c)
{
    for (unsigned i = 0; i < c->nlisteners; i++)
        log_info("daemon", "listener name=%s address=%s rules=%u", c->listeners[i].name,
                 c->listeners[i].addr_text, c->listeners[i].nrules);
}

/* Loads the stack file `name` (from text, or dm->path when text is NULL), plans it against
 * the running one, applies it and records the apply as `who` before returning: SIGHUP and
 * POST /v1/apply share this path (a routes_apply_fn). Returns 0 and *planp (new, when
 * planp is not NULL); -EINVAL with every problem in d; -EBUSY when the edge refused it (err
 * says why); -EIO when it was applied but could not be recorded. */
static int
apply_text(void *ctx, const char *name, const char *text, size_t len, const char *who,
           struct diag *d, struct plan **planp, char *err, size_t errlen)
{
    struct daemon *dm = ctx;
    struct stack *s = text ? stack_load_mem(name, text, len, d) : stack_load(dm->path, false, d);
    struct plan *p = NULL;
    char summary[128] = "";
    int rc = 0;

    if (!s) {
        snprintf(err, errlen, "%u error%s", d->n, d->n == 1 ? "" : "s");
        rc = -EINVAL;
    } else {
        p = routes_apply_plan(dm->routes, dm->fleet, name, s->text, s->text_len);
        plan_summary(p, summary, sizeof(summary));
        if (s->edge->workers != dm->workers)
            log_warn("daemon", "edge.workers changed (%u -> %u): takes effect on restart",
                     dm->workers, s->edge->workers);
        if (ctl_conf_equal_but_tokens(&dm->ctl_conf, s->ctl) &&
            !ctl_conf_equal(&dm->ctl_conf, s->ctl)) {
            /* Operators' tokens apply at once, so that a revoked one stops working. */
            char cerr[256];
            if (ctl_reload_tokens(dm->ctl, s->ctl, cerr, sizeof(cerr)) == 0)
                ctl_conf_take_tokens(&dm->ctl_conf, s->ctl);
            else
                log_error("daemon", "%s", cerr);
        } else if (!ctl_conf_equal(&dm->ctl_conf, s->ctl)) {
            log_warn("daemon", "control changed: takes effect on restart");
        }
        struct routes_view *v = routes_view_new(s);
        struct acme_conf *ac = autocert_conf(s->edge);
        autocert_add_files(s->edge, s->state_dir, (int64_t)time(NULL));
        if (edge_apply(dm->edge, s->edge, err, errlen) < 0) {
            routes_view_free(v);
            acme_conf_free(ac);
            rc = -EBUSY;
        } else {
            acme_apply(dm->acme, ac);
            acme_conf_free(ac);
            shield_apply(dm->shield, s->shield);
            s->shield = NULL;
            char ferr[256];
            if (fleet_apply(dm->fleet, s->fleet, ferr, sizeof(ferr)) < 0)
                log_error("daemon", "fleet: %s", ferr);
            s->fleet = NULL;
            watch_apply(dm->watch, s->watch);
            s->watch = NULL;
            accessroll_apply(dm->roll, s->roll);
            s->roll = NULL;
            data_apply(dm->data, s->data);
            s->data = NULL;
            routes_view_set(dm->routes, v);
        }
        stack_free(s);
    }
    if (rc < 0)
        log_error("daemon", "apply refused path=%s who=%s: %s; the running configuration stays",
                  name, who, err);
    else
        log_info("daemon", "applied path=%s who=%s %s", name, who, summary);
    if (applylog_record(dm->applies, clock_wall_ms(), who, name, summary,
                        rc == 0 ? "applied" : err) < 0 && rc == 0) {
        snprintf(err, errlen, "applied, but the apply could not be recorded in daemon.db");
        rc = -EIO;
    }
    if (planp)
        *planp = p;
    else
        plan_free(p);
    return rc;
}

/* The ACME client installed a certificate (on its thread): wake the main loop. */
static void
on_cert_installed(void *ctx, const char *name, const char *cert_path, const char *key_path)
{
    struct daemon *dm = ctx;

    loop_wake(dm->loop);
}

/* On the main loop: the running stack text applied again, so every TLS listener loads the
 * certificates now in state_dir/acme (new, or renewed). Connections stay open; the
 * running configuration is otherwise unchanged. */
static void
on_wake_certs(struct loop *l, void *ctx)
{
    struct daemon *dm = ctx;
    size_t len = 0;
    const char *text = routes_config_text(dm->routes, &len);
    char *copy;
    struct diag d;
    char err[256];

    (void)l;
    if (!text || !(copy = malloc(len + 1)))
        return;
    memcpy(copy, text, len);            /* the apply replaces the text it borrows */
    copy[len] = '\0';
    diag_init(&d);
    if (apply_text(dm, dm->path, copy, len, "acme", &d, NULL, err, sizeof(err)) == -EINVAL)
        log_diag(&d);
    diag_fini(&d);
    free(copy);
}

/* SIGHUP: `tierd apply --auto-approve` of the file tierd was started with, re-read. */
static void
on_reload(struct loop *l, int signo, void *ctx)
{
    struct daemon *dm = ctx;
    struct diag d;
    char err[256];

    (void)l;
    (void)signo;
    diag_init(&d);
    log_info("daemon", "reloading path=%s", dm->path);
    sdnotify_reloading();
    int rc = apply_text(dm, dm->path, NULL, 0, "SIGHUP", &d, NULL, err, sizeof(err));
    if (rc == -EINVAL)
        log_diag(&d);
    sdnotify_reloaded(dm->path, rc == 0);
    diag_fini(&d);
}

/* Certificates replaced on disk (certbot, an ACME client, a copy) are picked up without
 * a reload; SIGHUP picks them up at once. */
static void
on_tls_poll(struct loop *l, struct loop_timer *t)
{
    struct daemon *dm = container_of(t, struct daemon, tls_timer);

    edge_tls_poll(dm->edge);
    loop_timer_start(l, t, EDGE_TLS_POLL_MS, on_tls_poll);
}

static void
on_reopen(struct loop *l, int signo, void *ctx)
{
    struct daemon *dm = ctx;

    (void)l;
    (void)signo;
    log_info("daemon", "reopening access logs");
    edge_reopen_logs(dm->edge);
}

static void
on_stop(struct loop *l, int signo, void *ctx)
{
    (void)ctx;
    log_info("daemon", "%s received, draining", signo == SIGINT ? "SIGINT" : "SIGTERM");
    sdnotify_stopping();
    loop_stop(l);
}

/* `tierd check`: validation first (exit 2 when invalid), then the policy rules (exit 1
 * when one fails, unless --soft-fail). Machine formats keep stdout to their document. */
int
daemon_check(int argc, char **argv)
{
    struct checkopt o;
    enum policy_format fmt;
    struct policy_report r;
    struct diag d;
    struct stack *s;
    char today[16] = "";
    time_t now = time(NULL);
    struct tm tm;
    int rc;

    if (checkopt_parse(argc, argv, &o) < 0)
        return 2;
    if (policy_format_parse(o.output, &fmt) < 0) {
        fprintf(stderr, "tierd check: unknown output format \"%s\"; use cli, json, sarif or "
                        "junitxml\n", o.output);
        return 2;
    }
    diag_init(&d);
    s = stack_load(o.file, true, &d);
    diag_print_warnings(&d, stderr);
    if (!s) {
        diag_print(&d, stderr);
        fprintf(stderr, "%s: %u error%s\n", o.file, d.n, d.n == 1 ? "" : "s");
        diag_fini(&d);
        return 2;
    }
    if (fmt == POLICY_OUT_CLI)
        printf("%s: ok (%u listener%s, %u target group%s)\n", o.file, s->edge->nlisteners,
               s->edge->nlisteners == 1 ? "" : "s", s->edge->ntgs, s->edge->ntgs == 1 ? "" : "s");
    stack_free(s);
    if (localtime_r(&now, &tm))
        strftime(today, sizeof(today), "%Y-%m-%d", &tm);
    policy_report_init(&r, o.file);
    if (policy_check_file(o.file, &(struct policy_opts){ .today = today }, &r, &d) < 0) {
        diag_print(&d, stderr);         /* the file changed between the two reads */
        rc = 2;
    } else {
        policy_print(&r, fmt, o.quiet, fmt == POLICY_OUT_CLI && isatty(STDOUT_FILENO) &&
                                           !getenv("NO_COLOR"), stdout);
        rc = policy_exit_code(&r, o.soft_fail);
    }
    policy_report_fini(&r);
    diag_fini(&d);
    return rc;
}

/* export_validate_fn: the reload path minus the swap, as check runs it. */
static int
export_validate(const char *path)
{
    struct diag d;
    struct stack *s;

    diag_init(&d);
    s = stack_load(path, true, &d);
    diag_print_warnings(&d, stderr);
    if (!s) {
        diag_print(&d, stderr);
        fprintf(stderr, "%s: %u error%s; nothing exported\n", path, d.n, d.n == 1 ? "" : "s");
    }
    diag_fini(&d);
    if (!s)
        return 2;
    stack_free(s);
    return 0;
}

int
daemon_export(int argc, char **argv)
{
    return export_main(argc, argv, export_validate);
}

int
daemon_keys(int argc, char **argv)
{
    bool json = argc == 1 && strcmp(argv[0], "--json") == 0;

    if (argc > 1 || (argc == 1 && !json)) {
        fprintf(stderr, "usage: tierd keys [--json]\n");
        return 2;
    }
    keytabs_print(json);
    return 0;
}

int
daemon_run(const char *path)
{
    struct daemon dm = { .path = path };
    struct diag d;
    char err[256];
    sigset_t set;
    int rc = 1;

    diag_init(&d);
    struct stack *s = stack_load(path, false, &d);
    if (!s) {
        diag_print(&d, stderr);
        fprintf(stderr, "tierd: %s has %u error%s; not starting\n", path, d.n,
                d.n == 1 ? "" : "s");
        diag_fini(&d);
        return 2;
    }
    diag_fini(&d);

    /* Every thread inherits this mask; the main loop takes the signals via signalfd. */
    sigemptyset(&set);
    sigaddset(&set, SIGTERM);
    sigaddset(&set, SIGINT);
    sigaddset(&set, SIGHUP);
    sigaddset(&set, SIGUSR1);
    pthread_sigmask(SIG_BLOCK, &set, NULL);
    signal(SIGPIPE, SIG_IGN);

    dm.workers = s->edge->workers;
    dm.loop = loop_new();
    dm.edge = edge_new(dm.workers);
    if (!dm.loop || !dm.edge) {
        fprintf(stderr, "tierd: cannot create event loops: %s\n", strerror(errno));
        goto out;
    }
    dm.ctl = ctl_new(dm.loop);
    if (!dm.ctl) {
        fprintf(stderr, "tierd: cannot create the control server: %s\n", strerror(errno));
        goto out;
    }
    if (mkdir_p(s->state_dir) < 0) {
        fprintf(stderr, "tierd: cannot create state_dir %s: %s; set state_dir: to a writable "
                        "directory\n", s->state_dir, strerror(errno));
        goto out;
    }
    if (!(dm.shield = shield_new(s->state_dir, err, sizeof(err)))) {
        fprintf(stderr, "tierd: %s\n", err);
        goto out;
    }
    shield_apply(dm.shield, s->shield);
    s->shield = NULL;
    edge_set_shield(dm.edge, dm.shield);
    struct fleet_hooks hooks = { dm.edge, hook_register, hook_deregister, hook_lookup };
    if (!(dm.fleet = fleet_new(s->state_dir, &hooks, err, sizeof(err)))) {
        fprintf(stderr, "tierd: %s\n", err);
        goto out;
    }
    if (!(dm.watch = watch_new(s->state_dir, err, sizeof(err)))) {
        fprintf(stderr, "tierd: %s\n", err);
        goto out;
    }
    if (!(dm.acme = acme_new(s->state_dir, err, sizeof(err)))) {
        fprintf(stderr, "tierd: %s\n", err);
        goto out;
    }
    sources_add_acme(dm.watch, dm.acme);
    acme_set_installed(dm.acme, on_cert_installed, &dm);
    loop_on_wake(dm.loop, on_wake_certs, &dm);
    edge_set_challenge(dm.edge, daemon_challenge, dm.acme);
    edge_set_alpn_challenge(dm.edge, daemon_alpn_cert, dm.acme);
    /* Databases start before the fleet: launch templates read ${db:NAME.FIELD}. */
    dm.data = data_new(s->state_dir, err, sizeof(err));
    sources_add(dm.watch, dm.edge, dm.shield, dm.fleet, dm.data);
    data_apply(dm.data, s->data);
    s->data = NULL;
    conf_ref_set_db(data_resolve, dm.data);
    if (!(dm.applies = applylog_new(s->state_dir, err, sizeof(err)))) {
        fprintf(stderr, "tierd: %s\n", err);
        goto out;
    }
    dm.routes = routes_new(dm.ctl, dm.edge, path);
    dm.apply_routes = routes_apply_add(dm.ctl, dm.routes, dm.fleet, dm.applies, apply_text, &dm);
    routes_shield_add(dm.ctl, dm.shield);
    routes_fleet_add(dm.ctl, dm.fleet);
    routes_watch_add(dm.ctl, dm.watch);
    routes_data_add(dm.ctl, dm.data);
    routes_acme_add(dm.ctl, dm.acme);
    if ((rc = ctl_start(dm.ctl, s->ctl, err, sizeof(err))) < 0) {
        fprintf(stderr, "tierd: %s\n", err);
        rc = rc == -EINVAL ? 2 : 1;
        goto out;
    }
    rc = 1;
    dm.ctl_conf = *s->ctl;
    memset(s->ctl, 0, sizeof(*s->ctl));
    log_listeners(s->edge);
    struct routes_view *v = routes_view_new(s);
    struct acme_conf *ac = autocert_conf(s->edge);
    autocert_add_files(s->edge, s->state_dir, (int64_t)time(NULL));
    if (edge_apply(dm.edge, s->edge, err, sizeof(err)) < 0) {
        fprintf(stderr, "tierd: %s\n", err);
        routes_view_free(v);
        acme_conf_free(ac);
        goto out;
    }
    acme_apply(dm.acme, ac);
    acme_conf_free(ac);
    routes_view_set(dm.routes, v);
    /* The fleet applies after the edge: its groups register into the edge's groups. */
    if (fleet_apply(dm.fleet, s->fleet, err, sizeof(err)) < 0) {
        fprintf(stderr, "tierd: %s\n", err);
        s->fleet = NULL;
        goto out;
    }
    s->fleet = NULL;
    watch_apply(dm.watch, s->watch);
    s->watch = NULL;
    loop_signal(dm.loop, SIGHUP, on_reload, &dm);
    loop_signal(dm.loop, SIGUSR1, on_reopen, &dm);
    loop_signal(dm.loop, SIGTERM, on_stop, &dm);
    loop_signal(dm.loop, SIGINT, on_stop, &dm);
    if ((rc = data_start(dm.data)) < 0 || (rc = edge_start(dm.edge)) < 0 ||
        (rc = acme_start(dm.acme)) < 0 ||
        (rc = fleet_start(dm.fleet)) < 0 ||
        (rc = watch_start(dm.watch)) < 0) {
        fprintf(stderr, "tierd: cannot start: %s\n", strerror(-rc));
        rc = 1;
        goto out;
    }
    loop_timer_start(dm.loop, &dm.tls_timer, EDGE_TLS_POLL_MS, on_tls_poll);
    dm.roll = accessroll_new(dm.loop, dm.edge);
    accessroll_apply(dm.roll, s->roll);
    s->roll = NULL;
    log_info("daemon", "started path=%s workers=%u", path, dm.workers);
    sdnotify_ready(path);
    loop_run(dm.loop);
    ctl_stop(dm.ctl);           /* clients learn at once that the daemon is going */
    watch_stop(dm.watch);       /* before the sources it reads go away */
    acme_stop(dm.acme);         /* aborts an exchange with the CA in progress */
    fleet_stop(dm.fleet);       /* instances get stop_signal while the edge still drains */
    edge_shutdown(dm.edge);
    data_stop(dm.data);         /* after the apps that use the databases */
    log_info("daemon", "stopped");
    rc = 0;
out:
    accessroll_free(dm.roll);
    stack_free(s);
    ctl_free(dm.ctl);
    routes_apply_free(dm.apply_routes);
    routes_free(dm.routes);
    applylog_free(dm.applies);
    ctl_conf_fini(&dm.ctl_conf);
    if (dm.watch)
        watch_free(dm.watch);
    acme_free(dm.acme);         /* after watch: a source reads it */
    if (dm.fleet)
        fleet_free(dm.fleet);
    conf_ref_set_db(NULL, NULL);
    data_free(dm.data);
    edge_free(dm.edge);
    if (dm.shield)
        shield_free(dm.shield);
    loop_free(dm.loop);
    return rc;
}

/*
 * cli/cli.c: the command line's verbs other than run and check (which main.c hands to
 * daemon/): help, version, and the verbs that ask the running daemon through the control
 * API. Parses their options; the requests and tables are in cli/verbs.c.
 */
#include "cli/cli.h"

#include <errno.h>
#include <limits.h>
#include <stdbool.h>
#include <stdlib.h>
#include <string.h>

#include "cli/client.h"
#include "cli/planapply.h"
#include "cli/certverbs.h"
#include "cli/fleetverbs.h"
#include "cli/shieldverbs.h"
#include "cli/verbs.h"
#include "cli/watchverbs.h"
#include "cli/dbverbs.h"

#ifndef TIERD_VERSION
#define TIERD_VERSION "0.1.0"
#endif

void
cli_usage(FILE *out)
{
    fputs("usage: tierd VERB [ARGS]\n"
          "\n"
          "  run [FILE]     run the stack in the foreground (default FILE: tierd.yaml)\n"
          "                 SIGHUP reloads FILE, SIGUSR1 reopens access logs,\n"
          "                 SIGTERM drains requests in flight and exits\n"
          "  check [FILE] [--output cli|json|sarif|junitxml] [--soft-fail] [--quiet]\n"
          "                 validate FILE (every error as file:line:col: message; exit 2),\n"
          "                 then run the policy rules of docs/checks.md (exit 1 on a\n"
          "                 failed check unless --soft-fail)\n"
          "  keys [--json]  every stack-file key: path, type, default, and whether it is\n"
          "                 required, sensitive, or forces a replacement or a restart\n"
          "  export terraform|kubernetes [FILE] [-o DIR]\n"
          "                 FILE as a Terraform configuration for AWS or as Kubernetes\n"
          "                 manifests; what does not map is listed (docs/export.md)\n"
          "  plan [FILE] [--json]\n"
          "                 what applying FILE would change in the running daemon, as\n"
          "                 terraform plan shows it (exit 0 no changes, 2 changes, 1 error)\n"
          "  apply [FILE] [--auto-approve]\n"
          "                 show the plan, ask, and apply it live (docs/api.md)\n"
          "  status         what the running daemon is doing\n"
          "  targets [GROUP]\n"
          "                 every target (or GROUP's) with its health and counters\n"
          "  events [--limit N]\n"
          "                 the daemon's recent log lines (info and above)\n"
          "  bans [list]    the shield's bans: address, reason, remaining time, evidence\n"
          "  bans add ADDR [--duration 1h] [--reason TEXT]\n"
          "                 ban an address or CIDR (durations: 30s, 10m, 1h, 1d; default 1h)\n"
          "  bans remove ADDR\n"
          "                 end a ban\n"
          "  shield         the shield's counters (refusals, detectors, bans)\n"
          "  groups         the auto scaling groups: version, sizes, instances by state\n"
          "  instances [GROUP]\n"
          "                 every instance (or GROUP's): state, health, version, port, CPU\n"
          "  refresh start|status|cancel GROUP\n"
          "                 replace GROUP's instances with its launch template's version\n"
          "                 (instance refresh), follow it, or stop it where it is\n"
          "  scale GROUP N  set GROUP's desired capacity to N (between its min and max)\n"
          "  alarms         the alarms: state, when it last changed, and why\n"
          "  certs          the automatic (ACME) certificates: state, expiry, next renewal,\n"
          "                 last error\n"
          "  db status      the databases: mode, server state, pid, restarts, endpoint\n"
          "  db backups|backup|verify|logs NAME, db restore NAME --to-time T|--latest --as NEW\n"
          "                 backups and their verify results, one now, a verify, the slow\n"
          "                 query log, a point-in-time restore into a new database\n"
          "  analyze LOG... [--format auto|combined|combined_host|json] [--json]\n"
          "                 run the shield's detectors over access logs (gzip too): offenders,\n"
          "                 evidence, requests per minute, deny entries (docs/analyze.md)\n"
          "  version        print the version\n"
          "  help           this text\n"
          "\n"
          "The verbs that ask the daemon (status to alarms) take --json (print the API's\n"
          "JSON) and --socket PATH (else $TIERD_SOCKET, else control.socket of ./tierd.yaml,\n"
          "else run/tierd.sock);\n"
          "they exit 3 when the daemon cannot be reached.\n"
          "The stack file is documented in docs/stack-file.md, the control API in docs/api.md.\n",
          out);
}

int
cli_version(void)
{
    printf("tierd %s\n", TIERD_VERSION);
    return 0;
}

static int
usage_error(const char *what, const char *arg)
{
    fprintf(stderr, "tierd: %s \"%s\"\n", what, arg);
    cli_usage(stderr);
    return 2;
}

/* Parses the options of the daemon verbs; returns -1 on success, else an exit code. */
static int
parse_opts(int argc, char **argv, struct verbs_opts *o, const char **socket_flag)
{
    const char *verb = argv[0];

    for (int i = 1; i < argc; i++) {
        const char *a = argv[i];
        if (strcmp(a, "--json") == 0) {
            o->json = true;
        } else if (strcmp(a, "--socket") == 0 || strncmp(a, "--socket=", 9) == 0) {
            if (a[8] == '=')
                *socket_flag = a + 9;
            else if (i + 1 < argc)
                *socket_flag = argv[++i];
            else
                return usage_error("a path must follow", a);
        } else if (strcmp(verb, "events") == 0 &&
                   (strcmp(a, "--limit") == 0 || strncmp(a, "--limit=", 8) == 0)) {
            const char *v = a[7] == '=' ? a + 8 : (i + 1 < argc ? argv[++i] : NULL);
            char *end;
            errno = 0;
            long n = v ? strtol(v, &end, 10) : 0;
            if (!v || !*v || *end || errno || n < 1 || n > 1000)
                return usage_error("--limit needs a number from 1 to 1000, not", v ? v : "");
            o->limit = (unsigned)n;
        } else if (a[0] == '-') {
            return usage_error("unknown option", a);
        } else if (strcmp(verb, "targets") == 0 && !o->group) {
            o->group = a;
        } else {
            return usage_error("unexpected argument", a);
        }
    }
    return -1;
}

int
cli_main(int argc, char **argv)
{
    static const struct {
        const char *name;
        int (*fn)(const struct verbs_opts *o);
    } verbs[] = {
        { "status", verbs_status },
        { "targets", verbs_targets },
        { "events", verbs_events },
    };
    static const struct {
        const char *name;
        int (*fn)(int argc, char **argv);
    } own_args[] = {    /* verbs with sub-verbs or options of their own parse their argv */
        { "bans", shieldverbs_bans },
        { "shield", shieldverbs_shield },
        { "groups", fleetverbs_groups },
        { "instances", fleetverbs_instances },
        { "refresh", fleetverbs_refresh },
        { "scale", fleetverbs_scale },
        { "alarms", watchverbs_alarms },
        { "certs", certverbs_certs },
        { "db", dbverbs_db },
    };
    const char *verb = argc > 0 ? argv[0] : "help";
    char socket[PATH_MAX];

    if (strcmp(verb, "version") == 0 || strcmp(verb, "--version") == 0)
        return cli_version();
    if (strcmp(verb, "help") == 0 || strcmp(verb, "--help") == 0 || strcmp(verb, "-h") == 0) {
        cli_usage(stdout);
        return 0;
    }
    if (strcmp(verb, "plan") == 0 || strcmp(verb, "apply") == 0)
        return planapply_main(argc, argv);
    for (size_t i = 0; i < sizeof(verbs) / sizeof(verbs[0]); i++) {
        struct verbs_opts o = { 0 };
        const char *flag = NULL;
        int rc;
        if (strcmp(verb, verbs[i].name) != 0)
            continue;
        if ((rc = parse_opts(argc, argv, &o, &flag)) >= 0)
            return rc;
        client_socket_path(flag, socket, sizeof(socket));
        o.socket = socket;
        return verbs[i].fn(&o);
    }
    for (size_t i = 0; i < sizeof(own_args) / sizeof(own_args[0]); i++)
        if (strcmp(verb, own_args[i].name) == 0)
            return own_args[i].fn(argc, argv);
    return usage_error("unknown verb", verb);
}

/*
 * main.c: one binary. "run" starts the daemon; every other verb is the command line.
 */
#include <stdio.h>
#include <string.h>

#include "cli/cli.h"
#include "daemon/daemon.h"
#include "shield/shield.h"

#define DEFAULT_STACK_FILE "tierd.yaml"

int
main(int argc, char **argv)
{
    const char *verb = argc > 1 ? argv[1] : "help";
    const char *file = argc > 2 ? argv[2] : DEFAULT_STACK_FILE;

    if (strcmp(verb, "analyze") == 0)  /* offline: reads access logs, no daemon */
        return shield_analyze_main(argc - 1, argv + 1);
    if (strcmp(verb, "export") == 0)    /* offline: the stack as Terraform or Kubernetes */
        return daemon_export(argc - 2, argv + 2);
    if (strcmp(verb, "keys") == 0)      /* offline: the key tables */
        return daemon_keys(argc - 2, argv + 2);
    /* Every verb but run and check is a client of the control API, with its own options. */
    if (strcmp(verb, "run") != 0 && strcmp(verb, "check") != 0)
        return cli_main(argc > 1 ? argc - 1 : 0, argv + 1);
    if (strcmp(verb, "check") == 0)     /* FILE and flags: cli/checkopt.c */
        return daemon_check(argc - 2, argv + 2);
    if (argc > 3) {
        fprintf(stderr, "tierd: too many arguments\n");
        cli_usage(stderr);
        return 2;
    }
    return daemon_run(file);
}

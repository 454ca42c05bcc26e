/*
 * main.c: one binary. "run" starts the daemon; every other verb is the command line.
 */
#include <stdio.h>
#include <string.h>

#include "cli/cli.h"
#include "daemon/daemon.h"

#define DEFAULT_STACK_FILE "tierd.yaml"

int
main(int argc, char **argv)
{
    const char *verb = argc > 1 ? argv[1] : "help";
    const char *file = argc > 2 ? argv[2] : DEFAULT_STACK_FILE;

    if (argc > 3) {
        fprintf(stderr, "tierd: too many arguments\n");
        cli_usage(stderr);
        return 2;
    }
    if (strcmp(verb, "run") == 0)
        return daemon_run(file);
    if (strcmp(verb, "check") == 0)
        return daemon_check(file);
    if (strcmp(verb, "version") == 0 || strcmp(verb, "--version") == 0)
        return cli_version();
    if (strcmp(verb, "help") == 0 || strcmp(verb, "--help") == 0 || strcmp(verb, "-h") == 0) {
        cli_usage(stdout);
        return 0;
    }
    fprintf(stderr, "tierd: unknown verb \"%s\"\n", verb);
    cli_usage(stderr);
    return 2;
}

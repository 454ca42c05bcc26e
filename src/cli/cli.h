/*
 * cli/cli.h: command-line verbs that need no daemon internals: help, version, and the
 * clients of the control API (status, targets, events).
 */
#ifndef CLI_CLI_H
#define CLI_CLI_H
#include <stdio.h>

void cli_usage(FILE *out);
int cli_version(void);
/* Runs the verb argv[0] with its arguments; returns the process exit code (2 for usage
 * errors, 3 when the daemon cannot be reached). */
int cli_main(int argc, char **argv);

#endif
